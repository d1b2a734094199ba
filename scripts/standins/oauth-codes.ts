/**
 * The authorization-code flow's book-keeping the GitHub, Google and Microsoft stand-ins share: authorization
 * requests waiting for the user's decision on the stand-in's page, the codes issued, and their redemption with
 * PKCE (RFC 7636). Codes are single use and live 10 minutes (GitHub documents 10 minutes; Google and Microsoft
 * are shorter in practice, which no test of ours can tell apart). No HTTP here.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './oauth-identities.ts';

export type PkceMethod = 'S256' | 'plain';

/** A validated authorization request: what the client asked for at the authorize endpoint. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Whether redirect_uri was sent at all (GitHub falls back to the registered callback when it is not). */
  redirectUriSent: boolean;
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: PkceMethod | undefined;
  /** Microsoft: the tenant segment of the authorize URL. */
  tenant?: string;
  /** Google: `access_type=offline` asks for a refresh token. */
  offline?: boolean;
}

export type Redemption<I extends Identity> =
  | { kind: 'ok'; request: AuthorizationRequest; identity: I }
  | { kind: 'unknown' }
  /** A second redemption of a code. */
  | { kind: 'used' }
  | { kind: 'expired' }
  /** The code was issued to another client. */
  | { kind: 'client_mismatch' }
  | { kind: 'redirect_mismatch' }
  /** The request had a code_challenge; the token request has no code_verifier. */
  | { kind: 'verifier_missing' }
  | { kind: 'verifier_mismatch' }
  /** A code_verifier for a code whose request had no code_challenge. */
  | { kind: 'verifier_unexpected' };

/** What a test may see of an authorization: never the code itself. */
export interface AuthorizationSnapshot<I extends Identity = Identity> {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  pkce: PkceMethod | undefined;
  tenant?: string;
  openedAt: number;
  decision: 'pending' | 'approved' | 'declined';
  identity: I | undefined;
  decidedAt: number | undefined;
  redeemedAt: number | undefined;
}

export const CODE_LIFETIME_SECONDS = 600;
/** How long the stand-in's authorize page stays answerable (a person may leave it open a while). */
export const REQUEST_LIFETIME_SECONDS = 3600;

/** RFC 7636 §4.6. */
export function pkceMatches(challenge: string, method: PkceMethod, verifier: string): boolean {
  if (method === 'plain') return challenge === verifier;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

/** RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]. */
export function isWellFormedPkceValue(value: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(value);
}

interface Pending<I extends Identity> {
  request: AuthorizationRequest;
  openedAt: number;
  decision: 'pending' | 'approved' | 'declined';
  identity: I | undefined;
  decidedAt: number | undefined;
  code: string | undefined;
  issuedAt: number | undefined;
  redeemedAt: number | undefined;
}

export class AuthorizationCodes<I extends Identity = Identity> {
  readonly #now: Clock;
  readonly #newCode: () => string;
  readonly #byRequestId = new Map<string, Pending<I>>();
  readonly #byCode = new Map<string, Pending<I>>();

  constructor(now: Clock, newCode: () => string = () => randomBytes(20).toString('hex')) {
    this.#now = now;
    this.#newCode = newCode;
  }

  /** A validated request now waits for the user on the page; the id goes into the page's form. */
  open(request: AuthorizationRequest): string {
    const requestId = randomBytes(16).toString('base64url');
    this.#byRequestId.set(requestId, {
      request: { ...request, scopes: [...request.scopes] },
      openedAt: this.#now(),
      decision: 'pending',
      identity: undefined,
      decidedAt: undefined,
      code: undefined,
      issuedAt: undefined,
      redeemedAt: undefined,
    });
    return requestId;
  }

  /** The request behind a page's form, while it can still take a decision. */
  pending(requestId: string): AuthorizationRequest | undefined {
    const entry = this.#byRequestId.get(requestId);
    if (!entry || entry.decision !== 'pending') return undefined;
    if (this.#now() - entry.openedAt >= REQUEST_LIFETIME_SECONDS * 1000) return undefined;
    return entry.request;
  }

  /** The user authorized as `identity`: a new code for the redirect. Undefined when the request is gone. */
  approve(requestId: string, identity: I): { request: AuthorizationRequest; code: string } | undefined {
    const entry = this.#decidable(requestId);
    if (!entry) return undefined;
    entry.decision = 'approved';
    entry.identity = { ...identity };
    entry.decidedAt = entry.issuedAt = this.#now();
    entry.code = this.#newCode();
    this.#byCode.set(entry.code, entry);
    return { request: entry.request, code: entry.code };
  }

  /** The user cancelled. Undefined when the request is gone. */
  decline(requestId: string): AuthorizationRequest | undefined {
    const entry = this.#decidable(requestId);
    if (!entry) return undefined;
    entry.decision = 'declined';
    entry.decidedAt = this.#now();
    return entry.request;
  }

  #decidable(requestId: string): Pending<I> | undefined {
    return this.pending(requestId) ? this.#byRequestId.get(requestId) : undefined;
  }

  /**
   * The token request: checks, in this order, that the code exists, is unused, unexpired, was issued to this
   * client for this redirect URI, and that PKCE holds. Only a successful check uses the code up, so a client with
   * a typo in its verifier may retry (as at Google and Microsoft).
   */
  redeem(code: string, check: { clientId: string; redirectUri: string | undefined; redirectUriRequired: boolean; codeVerifier: string | undefined }): Redemption<I> {
    const entry = this.#byCode.get(code);
    if (!entry) return { kind: 'unknown' };
    if (entry.redeemedAt !== undefined) return { kind: 'used' };
    if (this.#now() - entry.issuedAt! >= CODE_LIFETIME_SECONDS * 1000) return { kind: 'expired' };
    const request = entry.request;
    if (request.clientId !== check.clientId) return { kind: 'client_mismatch' };
    const redirectNeeded = check.redirectUriRequired || request.redirectUriSent;
    if (check.redirectUri === undefined ? redirectNeeded : check.redirectUri !== request.redirectUri) return { kind: 'redirect_mismatch' };
    if (request.codeChallenge !== undefined) {
      if (check.codeVerifier === undefined) return { kind: 'verifier_missing' };
      if (!pkceMatches(request.codeChallenge, request.codeChallengeMethod ?? 'plain', check.codeVerifier)) return { kind: 'verifier_mismatch' };
    } else if (check.codeVerifier !== undefined) return { kind: 'verifier_unexpected' };
    entry.redeemedAt = this.#now();
    return { kind: 'ok', request, identity: entry.identity! };
  }

  /** Every authorization request opened so far, oldest first. */
  list(): AuthorizationSnapshot<I>[] {
    return [...this.#byRequestId.values()].map((entry) => ({
      clientId: entry.request.clientId,
      redirectUri: entry.request.redirectUri,
      scopes: [...entry.request.scopes],
      state: entry.request.state,
      nonce: entry.request.nonce,
      pkce: entry.request.codeChallengeMethod,
      ...(entry.request.tenant ? { tenant: entry.request.tenant } : {}),
      openedAt: entry.openedAt,
      decision: entry.decision,
      identity: entry.identity && { ...entry.identity },
      decidedAt: entry.decidedAt,
      redeemedAt: entry.redeemedAt,
    }));
  }
}
