/**
 * The Facebook users the stand-in knows, the user access tokens it issued, and revocations. App-scoped user ids
 * are derived from the app id and the identity's name, so the same name gets the same id in every run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './facebook-device-logins.ts';
import { permissionRows, type PermissionDecision, type PermissionRow } from './facebook-permissions.ts';

/** What Graph answers in `expires_in` for a device-login token: about 60 days. */
export const TOKEN_EXPIRES_IN_SECONDS = 5_183_999;
/** `expires_in` of a token from the redirect flow's code exchange (PLATFORM.md §2 says ≈5183976; the task's figure). */
export const REDIRECT_TOKEN_EXPIRES_IN_SECONDS = 5_183_944;
/** Data access lasts 90 days from login. */
const DATA_ACCESS_SECONDS = 90 * 24 * 3600;

export interface IssuedToken {
  accessToken: string;
  userId: string;
  expiresIn: number;
  /** Unix seconds. */
  dataAccessExpirationTime: number;
}

export interface TokenRecord {
  userId: string;
  identity: Identity;
  /** The permissions granted on the login that issued this token. */
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  /** The user's revocation generation when issued; a revocation makes older tokens invalid. */
  generation: number;
}

export interface Revocation {
  userId: string;
  time: number;
  /** Which token asked: the app's (`APP_ID|APP_SECRET`) or the user's own. */
  by: 'app' | 'user';
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function opaqueToken(): string {
  const bytes = randomBytes(160);
  let body = '';
  for (const byte of bytes) body += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return `EAAB${body}`;
}

export class FacebookAccounts {
  readonly #appId: string;
  readonly #now: Clock;
  readonly #tokens = new Map<string, TokenRecord>();
  /** Per user: the latest status of every permission the app asked for (Graph keeps them per user and app). */
  readonly #users = new Map<string, { identity: Identity; generation: number; permissions: Map<string, PermissionRow['status']> }>();
  readonly #revocations: Revocation[] = [];

  constructor(appId: string, now: Clock) {
    this.#appId = appId;
    this.#now = now;
  }

  /** The app-scoped id for an identity name: a 16-digit numeric string, the same in every run. */
  userIdFor(name: string): string {
    const digest = createHash('sha256').update(`${this.#appId}\0${name}`).digest('hex');
    return (10n ** 15n + (BigInt(`0x${digest.slice(0, 16)}`) % (9n * 10n ** 15n))).toString();
  }

  /** Remembers `identity` (so its picture and id resolve) and returns its user id. */
  register(identity: Identity): string {
    const userId = this.userIdFor(identity.name);
    const known = this.#users.get(userId);
    if (known) known.identity = { ...identity };
    else this.#users.set(userId, { identity: { ...identity }, generation: 0, permissions: new Map() });
    return userId;
  }

  user(userId: string): Identity | undefined {
    return this.#users.get(userId)?.identity;
  }

  /** Graph's `/me/permissions` rows for `userId`: granted ones first, then declined ones. */
  permissions(userId: string): PermissionRow[] {
    const rows = [...(this.#users.get(userId)?.permissions ?? [])].map(([permission, status]) => ({ permission, status }));
    return [...rows.filter((row) => row.status === 'granted'), ...rows.filter((row) => row.status === 'declined')];
  }

  /** Whether `userId` currently grants `permission`. */
  grants(userId: string, permission: string): boolean {
    return this.#users.get(userId)?.permissions.get(permission) === 'granted';
  }

  /** A new user token for `identity`; the login's decision updates the user's permissions. */
  issueToken(identity: Identity, permissions: PermissionDecision, expiresIn = TOKEN_EXPIRES_IN_SECONDS): IssuedToken {
    const userId = this.register(identity);
    const user = this.#users.get(userId)!;
    for (const row of permissionRows(permissions)) user.permissions.set(row.permission, row.status);
    const now = this.#now();
    const accessToken = opaqueToken();
    this.#tokens.set(accessToken, {
      userId,
      identity: { ...identity },
      scopes: [...permissions.granted],
      issuedAt: now,
      expiresAt: now + expiresIn * 1000,
      generation: user.generation,
    });
    return {
      accessToken,
      userId,
      expiresIn,
      dataAccessExpirationTime: Math.floor(now / 1000) + DATA_ACCESS_SECONDS,
    };
  }

  /** The record of a token this stand-in issued, whatever its state; undefined for any other string. */
  token(accessToken: string): TokenRecord | undefined {
    return this.#tokens.get(accessToken);
  }

  isRevoked(record: TokenRecord): boolean {
    return this.#users.get(record.userId)!.generation !== record.generation;
  }

  isExpired(record: TokenRecord): boolean {
    return this.#now() >= record.expiresAt;
  }

  /** De-authorizes the app for `userId`: every token issued so far stops working. False for an unknown user. */
  revoke(userId: string, by: Revocation['by']): boolean {
    const user = this.#users.get(userId);
    if (!user) return false;
    user.generation++;
    user.permissions.clear();
    this.#revocations.push({ userId, time: this.#now(), by });
    return true;
  }

  revocations(): Revocation[] {
    return this.#revocations.map((revocation) => ({ ...revocation }));
  }
}
