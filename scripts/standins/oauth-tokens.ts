/**
 * Tokens the GitHub, Google and Microsoft stand-ins issued, and revocations. A grant is one user's authorization
 * of one client: revoking it ends every token issued under it so far (GitHub's "delete an app authorization",
 * Google's /revoke), while the person can log in again afterwards and get new, working tokens.
 */
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './oauth-identities.ts';

export interface TokenRecord<I extends Identity = Identity> {
  kind: 'access' | 'refresh';
  identity: I;
  /** The provider's stable id of the person (GitHub numeric id, Google sub, Microsoft oid). */
  userId: string;
  clientId: string;
  scopes: string[];
  issuedAt: number;
  /** Undefined: does not expire (GitHub OAuth app tokens). */
  expiresAt: number | undefined;
  /** Provider extras kept with the token, e.g. Microsoft's tenant. */
  extra: Readonly<Record<string, string>>;
  generation: number;
}

export type TokenCheck<I extends Identity> =
  | { kind: 'ok'; record: TokenRecord<I> }
  | { kind: 'unknown' }
  | { kind: 'revoked'; record: TokenRecord<I> }
  | { kind: 'expired'; record: TokenRecord<I> };

export interface Revocation {
  userId: string;
  /** The identity's display name, for readable test failures. */
  name: string;
  clientId: string;
  time: number;
  /** Which kind of token the request named. */
  token: 'access' | 'refresh';
}

export interface TokenSettings {
  now: Clock;
  newAccessToken: () => string;
  newRefreshToken: () => string;
  /** Undefined: access tokens do not expire. */
  accessTokenLifetimeSeconds: number | undefined;
}

export class TokenBook<I extends Identity = Identity> {
  readonly #settings: TokenSettings;
  readonly #tokens = new Map<string, TokenRecord<I>>();
  /** Revocation generation per grant (`clientId\0userId`). */
  readonly #generations = new Map<string, number>();
  readonly #revocations: Revocation[] = [];

  constructor(settings: TokenSettings) {
    this.#settings = settings;
  }

  issue(input: { identity: I; userId: string; clientId: string; scopes: string[]; refresh: boolean; extra?: Record<string, string> }): {
    accessToken: string;
    refreshToken: string | undefined;
    expiresIn: number | undefined;
  } {
    const now = this.#settings.now();
    const lifetime = this.#settings.accessTokenLifetimeSeconds;
    const base = {
      identity: { ...input.identity },
      userId: input.userId,
      clientId: input.clientId,
      scopes: [...input.scopes],
      issuedAt: now,
      extra: { ...input.extra },
      generation: this.#generation(input.clientId, input.userId),
    };
    const accessToken = this.#settings.newAccessToken();
    this.#tokens.set(accessToken, { ...base, kind: 'access', expiresAt: lifetime === undefined ? undefined : now + lifetime * 1000 });
    let refreshToken: string | undefined;
    if (input.refresh) {
      refreshToken = this.#settings.newRefreshToken();
      this.#tokens.set(refreshToken, { ...base, kind: 'refresh', expiresAt: undefined });
    }
    return { accessToken, refreshToken, expiresIn: lifetime };
  }

  check(token: string, kind: TokenRecord['kind'] = 'access'): TokenCheck<I> {
    const record = this.#tokens.get(token);
    if (!record || record.kind !== kind) return { kind: 'unknown' };
    if (record.generation !== this.#generation(record.clientId, record.userId)) return { kind: 'revoked', record };
    if (record.expiresAt !== undefined && this.#settings.now() >= record.expiresAt) return { kind: 'expired', record };
    return { kind: 'ok', record };
  }

  /** A still-valid token of either kind, for endpoints that take both (Google's /revoke). */
  find(token: string): TokenRecord<I> | undefined {
    const record = this.#tokens.get(token);
    if (!record) return undefined;
    const check = this.check(token, record.kind);
    return check.kind === 'ok' ? check.record : undefined;
  }

  /** Ends the grant `record` belongs to: every token issued under it so far stops working. */
  revokeGrant(record: TokenRecord<I>): Revocation {
    const key = `${record.clientId}\0${record.userId}`;
    this.#generations.set(key, this.#generation(record.clientId, record.userId) + 1);
    const revocation: Revocation = {
      userId: record.userId,
      name: record.identity.name,
      clientId: record.clientId,
      time: this.#settings.now(),
      token: record.kind,
    };
    this.#revocations.push(revocation);
    return { ...revocation };
  }

  revocations(): Revocation[] {
    return this.#revocations.map((revocation) => ({ ...revocation }));
  }

  #generation(clientId: string, userId: string): number {
    return this.#generations.get(`${clientId}\0${userId}`) ?? 0;
  }
}
