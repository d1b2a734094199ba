/**
 * Facebook's browser redirect login (PLATFORM.md §2): checking a `dialog/oauth` request, the person's decision
 * (a redirect back with `code` or with Facebook's "user denied" error), and exchanging the code at
 * `oauth/access_token`. No HTTP here: facebook.ts maps the results onto pages, redirects and Graph answers.
 *
 * Choices where Facebook's behaviour is not documented or not captured:
 * - Redirect URIs match exactly (Facebook's "strict mode"); nothing is normalised.
 * - The redirect carries `#_=_` at the end, as Facebook appends it to every dialog redirect (browsers keep a
 *   fragment; the server never sees it).
 * - A failed exchange (wrong secret, redirect_uri or code_verifier) leaves the code usable; only a successful
 *   one uses it up. A second exchange of a used code is refused (36009) but does not revoke the token.
 * - Check order: client_id, client_secret, code (unknown, used, expired), redirect_uri, code_verifier.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { Identity } from './facebook-device-logins.ts';
import * as errors from './facebook-errors.ts';
import { decidePermissions, parseScopes, type PermissionDecision } from './facebook-permissions.ts';

/** Facebook: "codes … must be exchanged for an access token within 10 minutes of their creation". */
export const CODE_LIFETIME_MS = 10 * 60 * 1000;

export interface DialogRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  nonce: string | undefined;
}

/** Why a dialog request gets an error page instead of a redirect. */
export type DialogProblem = 'invalid_app_id' | 'missing_redirect_uri' | 'redirect_uri_blocked' | 'unsupported_response_type' | 'unsupported_code_challenge_method';

export const DIALOG_PROBLEM_TEXT: Record<DialogProblem, { title: string; message: string }> = {
  invalid_app_id: { title: 'Invalid App ID', message: 'The provided app ID does not look like a valid app ID.' },
  missing_redirect_uri: { title: 'Error', message: 'The redirect_uri parameter is missing.' },
  // Observed wording (the error page people quote when the URI is not registered).
  redirect_uri_blocked: {
    title: 'URL blocked',
    message:
      "This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure " +
      'Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.',
  },
  unsupported_response_type: { title: 'Error', message: 'This stand-in supports response_type=code only.' },
  unsupported_code_challenge_method: { title: 'Error', message: 'code_challenge_method must be S256 or plain.' },
};

/** Thrown by the programmatic helpers for a request the dialog would answer with an error page. */
export class DialogError extends Error {
  override name = 'DialogError';
  readonly problem: DialogProblem;
  constructor(problem: DialogProblem) {
    super(`${DIALOG_PROBLEM_TEXT[problem].title}: ${DIALOG_PROBLEM_TEXT[problem].message}`);
    this.problem = problem;
  }
}

export interface RedirectLoginSnapshot {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  identity: Identity | undefined;
  decision: 'approved' | 'declined';
  permissions: PermissionDecision | undefined;
  decidedAt: number;
  /** When the code was exchanged for a token (undefined: not yet, or declined). */
  exchangedAt: number | undefined;
  withPkce: boolean;
}

interface IssuedCode {
  login: RedirectLoginSnapshot;
  request: DialogRequest;
  expiresAt: number;
  used: boolean;
}

export type ExchangeOutcome =
  | { kind: 'token'; identity: Identity; permissions: PermissionDecision }
  | { kind: 'error'; error: errors.GraphErrorAnswer; note: string };

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class RedirectLogins {
  readonly #appId: string;
  readonly #appSecret: string;
  readonly #now: Clock;
  readonly #redirectUris: Set<string>;
  readonly #codes = new Map<string, IssuedCode>();
  readonly #logins: RedirectLoginSnapshot[] = [];

  constructor(settings: { appId: string; appSecret: string; now: Clock; redirectUris: readonly string[] }) {
    this.#appId = settings.appId;
    this.#appSecret = settings.appSecret;
    this.#now = settings.now;
    this.#redirectUris = new Set(settings.redirectUris);
  }

  /** Registers one more "Valid OAuth Redirect URI" (exact match). */
  allowRedirectUri(uri: string): void {
    this.#redirectUris.add(uri);
  }

  /** Checks a `dialog/oauth` query the way Facebook does before it shows anything. */
  parse(params: Record<string, string>): { request: DialogRequest } | { problem: DialogProblem } {
    if (params.client_id !== this.#appId) return { problem: 'invalid_app_id' };
    const redirectUri = params.redirect_uri;
    if (!redirectUri) return { problem: 'missing_redirect_uri' };
    if (!this.#redirectUris.has(redirectUri)) return { problem: 'redirect_uri_blocked' };
    if ((params.response_type ?? 'code') !== 'code') return { problem: 'unsupported_response_type' };
    const method = params.code_challenge ? (params.code_challenge_method ?? 'plain') : undefined;
    if (method !== undefined && method !== 'S256' && method !== 'plain') return { problem: 'unsupported_code_challenge_method' };
    const scopes = parseScopes(params.scope);
    return {
      request: {
        clientId: params.client_id,
        redirectUri,
        state: params.state,
        scopes: scopes.length > 0 ? scopes : ['public_profile'],
        codeChallenge: params.code_challenge || undefined,
        codeChallengeMethod: method,
        nonce: params.nonce,
      },
    };
  }

  /** Continue as `identity`: a new single-use code. Returns the redirect Location. */
  approve(request: DialogRequest, identity: Identity, grantedScopes?: readonly string[]): string {
    const login = this.#record(request, 'approved', identity, decidePermissions(request.scopes, grantedScopes));
    const code = `AQ${randomBytes(48).toString('base64url')}`;
    this.#codes.set(code, { login, request, expiresAt: login.decidedAt + CODE_LIFETIME_MS, used: false });
    return redirectTo(request.redirectUri, { code, ...(request.state !== undefined ? { state: request.state } : {}) });
  }

  /** Cancel: Facebook's documented "user denied" redirect. */
  decline(request: DialogRequest): string {
    this.#record(request, 'declined', undefined, undefined);
    return redirectTo(request.redirectUri, {
      error: 'access_denied',
      error_code: '200',
      error_description: 'Permissions error',
      error_reason: 'user_denied',
      ...(request.state !== undefined ? { state: request.state } : {}),
    });
  }

  /** `oauth/access_token`: the code for a token, or the Graph error Facebook would answer. */
  exchange(params: Record<string, string>): ExchangeOutcome {
    const fail = (error: errors.GraphErrorAnswer, note: string): ExchangeOutcome => ({ kind: 'error', error, note });
    if (!params.client_id) return fail(errors.missingClientId(), 'missing client_id');
    if (params.client_id !== this.#appId) return fail(errors.invalidApplicationId(), 'wrong client_id');
    if (!params.client_secret || !safeEqual(params.client_secret, this.#appSecret)) return fail(errors.invalidClientSecret(), 'wrong client_secret');
    if (!params.redirect_uri) return fail(errors.missingRedirectUri(), 'missing redirect_uri');
    if (!params.code) return fail(errors.missingParameter('code'), 'missing code');
    const issued = this.#codes.get(params.code);
    if (!issued) return fail(errors.invalidVerificationCode(), 'unknown code');
    if (issued.used) return fail(errors.authorizationCodeUsed(), 'used code');
    if (this.#now() >= issued.expiresAt) return fail(errors.authorizationCodeExpired(), 'expired code');
    if (params.redirect_uri !== issued.request.redirectUri) return fail(errors.redirectUriMismatch(), 'redirect_uri mismatch');
    if (issued.request.codeChallenge !== undefined && !verifierMatches(params.code_verifier, issued.request)) {
      return fail(errors.invalidCodeVerifier(), 'code_verifier mismatch');
    }
    issued.used = true;
    issued.login.exchangedAt = this.#now();
    return { kind: 'token', identity: issued.login.identity!, permissions: issued.login.permissions! };
  }

  list(): RedirectLoginSnapshot[] {
    return this.#logins.map((login) => ({ ...login, scopes: [...login.scopes] }));
  }

  #record(
    request: DialogRequest,
    decision: RedirectLoginSnapshot['decision'],
    identity: Identity | undefined,
    permissions: PermissionDecision | undefined,
  ): RedirectLoginSnapshot {
    const login: RedirectLoginSnapshot = {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      state: request.state,
      scopes: [...request.scopes],
      identity: identity && { ...identity },
      decision,
      permissions,
      decidedAt: this.#now(),
      exchangedAt: undefined,
      withPkce: request.codeChallenge !== undefined,
    };
    this.#logins.push(login);
    return login;
  }
}

function verifierMatches(verifier: string | undefined, request: DialogRequest): boolean {
  if (!verifier) return false;
  const computed = request.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return safeEqual(computed, request.codeChallenge!);
}

/** `uri` with `params` added to its query (keeping any it has), then Facebook's `#_=_`. */
function redirectTo(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) url.searchParams.append(key, value);
  url.hash = '_=_';
  return url.href;
}
