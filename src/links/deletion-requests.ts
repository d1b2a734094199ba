/**
 * Facebook data-deletion requests (table `deletion_requests`): the confirmation code Facebook shows the user,
 * when the request came, and its status. Nothing about whom it concerned: no Facebook id, no name.
 */
import { toHex } from '../encoding.ts';

/** `completed`: everything held about the user was deleted when the request arrived. */
export type DeletionStatus = 'completed';

export interface DeletionRequest {
  confirmationCode: string;
  requestedAtMs: number;
  status: DeletionStatus;
}

/** How long a request's status page stays available. The record holds no personal data; this only bounds the table. */
export const DELETION_REQUEST_RETENTION_DAYS = 365;
const RETENTION_MS = DELETION_REQUEST_RETENTION_DAYS * 24 * 60 * 60 * 1000;

const CONFIRMATION_CODE = /^[0-9a-f]{32}$/;

/** 128 random bits as 32 lowercase hex characters: unguessable, and safe in a URL and in HTML as is. */
export function newConfirmationCode(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

export const isConfirmationCode = (text: string) => CONFIRMATION_CODE.test(text);

/** Statements that record `request` and prune records past the retention; run them in the erasing batch. */
export function recordDeletionRequestStatements(db: D1Database, request: DeletionRequest): D1PreparedStatement[] {
  return [
    db
      .prepare('INSERT INTO deletion_requests (confirmation_code, requested_at_ms, status) VALUES (?1, ?2, ?3)')
      .bind(request.confirmationCode, request.requestedAtMs, request.status),
    db.prepare('DELETE FROM deletion_requests WHERE requested_at_ms < ?1').bind(request.requestedAtMs - RETENTION_MS),
  ];
}

export async function findDeletionRequest(db: D1Database, confirmationCode: string): Promise<DeletionRequest | null> {
  if (!isConfirmationCode(confirmationCode)) return null;
  const row = await db
    .prepare('SELECT confirmation_code, requested_at_ms, status FROM deletion_requests WHERE confirmation_code = ?1')
    .bind(confirmationCode)
    .first<{ confirmation_code: string; requested_at_ms: number; status: DeletionStatus }>();
  return row ? { confirmationCode: row.confirmation_code, requestedAtMs: row.requested_at_ms, status: row.status } : null;
}
