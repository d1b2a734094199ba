/**
 * The Facebook users the stand-in knows, the user access tokens it issued, and revocations. App-scoped user ids
 * are derived from the app id and the identity's name, so the same name gets the same id in every run.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './facebook-device-logins.ts';

/** What Graph answers in `expires_in` for a device-login token: about 60 days. */
export const TOKEN_EXPIRES_IN_SECONDS = 5_183_999;
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
  readonly #users = new Map<string, { identity: Identity; generation: number }>();
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
    else this.#users.set(userId, { identity: { ...identity }, generation: 0 });
    return userId;
  }

  user(userId: string): Identity | undefined {
    return this.#users.get(userId)?.identity;
  }

  issueToken(identity: Identity, scopes: string[]): IssuedToken {
    const userId = this.register(identity);
    const now = this.#now();
    const accessToken = opaqueToken();
    this.#tokens.set(accessToken, {
      userId,
      identity: { ...identity },
      scopes: [...scopes],
      issuedAt: now,
      expiresAt: now + TOKEN_EXPIRES_IN_SECONDS * 1000,
      generation: this.#users.get(userId)!.generation,
    });
    return {
      accessToken,
      userId,
      expiresIn: TOKEN_EXPIRES_IN_SECONDS,
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
    this.#revocations.push({ userId, time: this.#now(), by });
    return true;
  }

  revocations(): Revocation[] {
    return this.#revocations.map((revocation) => ({ ...revocation }));
  }
}
