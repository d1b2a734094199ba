/**
 * The OAuth2 `state` of a Linked Roles authorization (RFC 9700: one-time, bound to the user agent).
 *
 * `state = nonce "." expiry "." HMAC(nonce "." expiry)`: 128 random bits, the expiry (10 minutes, base 36 ms), and
 * an HMAC-SHA-256 under a key derived from TOKEN_ENCRYPTION_KEY. GET /linked-roles sends the same value in an
 * HttpOnly cookie and in the authorize URL; the callback wants both, equal, signed by us and unexpired, and then
 * spends it: one row per used state in `spent_oauth_states`, inserted with ON CONFLICT DO NOTHING, so of two
 * callbacks racing with one state exactly one gets the row. Why this and not a row per issued state: opening
 * /linked-roles (a crawler, a reload) writes nothing, and only a callback that already passed the signature check
 * costs a write. Expired rows are pruned in the same batch as each insert.
 */
import { fromBase64Url, randomToken, sha256Hex, toBase64Url } from '../encoding.ts';
import { stateSigningKey } from './grant-crypto.ts';

export const STATE_LIFETIME_MS = 10 * 60_000;

export type StateCheck = { ok: true; expiresAtMs: number } | { ok: false; why: 'malformed' | 'forged' | 'expired' };

const SHAPE = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();

/** A new state that expires STATE_LIFETIME_MS after `now`. */
export async function newState(signingKey: Uint8Array, now: number): Promise<string> {
  const payload = `${randomToken(16)}.${(now + STATE_LIFETIME_MS).toString(36)}`;
  const mac = await crypto.subtle.sign('HMAC', await stateSigningKey(signingKey), encoder.encode(payload));
  return `${payload}.${toBase64Url(mac)}`;
}

/** Whether `state` is one we issued (signature, in constant time) and still unexpired at `now`. */
export async function verifyState(signingKey: Uint8Array, state: string, now: number): Promise<StateCheck> {
  const match = SHAPE.exec(state);
  const mac = match ? fromBase64Url(match[3]!) : undefined;
  if (!match || !mac) return { ok: false, why: 'malformed' };
  const payload = `${match[1]}.${match[2]}`;
  if (!(await crypto.subtle.verify('HMAC', await stateSigningKey(signingKey), mac, encoder.encode(payload)))) return { ok: false, why: 'forged' };
  const expiresAtMs = parseInt(match[2]!, 36);
  if (now >= expiresAtMs) return { ok: false, why: 'expired' };
  return { ok: true, expiresAtMs };
}

/** Marks a verified state as used. True the first time, false for a replay. */
export async function spendState(db: D1Database, state: string, expiresAtMs: number, now: number): Promise<boolean> {
  const hash = await sha256Hex(state);
  const [, inserted] = await db.batch<{ state_hash: string }>([
    db.prepare('DELETE FROM spent_oauth_states WHERE expires_at_ms <= ?1').bind(now),
    db.prepare('INSERT INTO spent_oauth_states (state_hash, expires_at_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING RETURNING state_hash').bind(hash, expiresAtMs),
  ]);
  return (inserted?.results.length ?? 0) === 1;
}
