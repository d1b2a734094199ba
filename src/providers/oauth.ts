/**
 * The standard protocol steps every RFC 8628 provider shares, on oauth4webapi (panva; one function per protocol
 * step, one request per call, never its own loop): discovery, the device authorization request, one token
 * poll, the ID token's claims, userinfo, and revocation. Provider modules configure it and, where a provider
 * breaks the standard, adapt its answers in `adapt` before oauth4webapi reads them.
 */
import * as oauth from 'oauth4webapi';
import { isLoopback } from '../config.ts';
import type { AuthorizationCallback, AuthorizationRequest, BrowserLogin, DeviceAuthorization, Grant, Identity, PollOutcome } from './types.ts';
import { ProviderError } from './types.ts';

/** RFC 8628 §3.2: without an interval, poll every 5 s. */
const DEFAULT_INTERVAL_SECONDS = 5;
/** How long a provider may take: polls wait longer, since the answer that carries the token is the only copy. */
export const REQUEST_TIMEOUT_MS = 5_000;
export const POLL_TIMEOUT_MS = 10_000;
const DISCOVERY_CACHE_MS = 60 * 60_000;

export class ProviderTimeoutError extends Error {
  override name = 'ProviderTimeoutError';
}

/** Rewrites a provider's answer into the standard one; the body is already read (`text`). */
export type Adapt = (url: string, response: { status: number; headers: Headers; text: string }) => { status: number; text: string };

/**
 * oauth4webapi's `customFetch`: a bounded exchange whose timer is cleared as soon as the body is read (a pending
 * timer keeps a Durable Object awake, and billed, for nothing), with the provider's adapter applied.
 */
export function boundedFetch(timeoutMs: number, adapt?: Adapt) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(url, { ...init, signal: controller.signal });
      const read = { status: response.status, headers: response.headers, text: await response.text() };
      const answer = adapt ? adapt(url, read) : read;
      const nullBody = answer.status === 204 || answer.status === 205 || answer.status === 304;
      return new Response(nullBody ? null : answer.text, { status: answer.status, headers: response.headers });
    } catch (error) {
      if (controller.signal.aborted) throw new ProviderTimeoutError(`no answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Everything oauth4webapi needs to talk to one provider as one client. */
export interface OAuthClient {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  /** Space-separated, as RFC 6749 wants them. */
  scope: string;
  adapt?: Adapt;
}

export const requestOptions = (server: { as: oauth.AuthorizationServer; adapt?: Adapt }, timeoutMs = REQUEST_TIMEOUT_MS) => ({
  [oauth.customFetch]: boundedFetch(timeoutMs, server.adapt),
  // Plain http only for a provider on this machine (tests, the playground); config refuses it elsewhere.
  [oauth.allowInsecureRequests]: isLoopback(server.as.issuer),
});

const discovered = new Map<string, { as: oauth.AuthorizationServer; at: number }>();

/**
 * The provider's metadata from `/.well-known/openid-configuration`, cached per isolate for an hour: one
 * request per isolate, not one per poll. `expectedIssuer` is what the document must name (Entra's templated
 * issuer is checked by the caller instead).
 */
export async function discover(issuer: string, expectedIssuer = new URL(issuer)): Promise<oauth.AuthorizationServer> {
  const cached = discovered.get(issuer);
  if (cached && Date.now() - cached.at < DISCOVERY_CACHE_MS) return cached.as;
  const url = new URL(issuer);
  try {
    const options = requestOptions({ as: { issuer } });
    const response = await oauth.discoveryRequest(url, { ...options, algorithm: 'oidc' });
    const as = await oauth.processDiscoveryResponse(expectedIssuer, response);
    discovered.set(issuer, { as, at: Date.now() });
    return as;
  } catch (error) {
    throw new ProviderError(`discovery at ${url.origin} failed: ${describe(error)}`, isTransient(error));
  }
}

/** A short, secret-free description of a failure: error names and codes, never bodies. */
export function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `HTTP ${error.status} ${error.error}`;
  if (error instanceof oauth.WWWAuthenticateChallengeError) return `HTTP ${error.status} ${error.cause[0]?.parameters.error ?? 'challenge'}`;
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? ` (HTTP ${error.cause.status})` : '';
    return `${error.code ?? 'invalid response'}${status}`;
  }
  if (error instanceof ProviderTimeoutError) return error.message;
  if (error instanceof ProviderError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}

/** Whether trying again later may help: no answer, a 5xx, or an answer that is not the protocol at all. */
export function isTransient(error: unknown): boolean {
  if (error instanceof oauth.ResponseBodyError) return error.status >= 500;
  if (error instanceof oauth.WWWAuthenticateChallengeError) return false;
  if (error instanceof oauth.OperationProcessingError) {
    if (error.cause instanceof Response) return error.cause.status >= 500 || error.code === oauth.RESPONSE_IS_NOT_JSON;
    return error.code === oauth.RESPONSE_IS_NOT_JSON || error.code === oauth.PARSE_ERROR;
  }
  if (error instanceof ProviderError) return error.transient;
  return true;
}

function retryAfterMs(error: unknown): number | undefined {
  const response = error instanceof oauth.ResponseBodyError ? error.response : error instanceof oauth.OperationProcessingError && error.cause instanceof Response ? error.cause : undefined;
  const header = response?.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 600) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(date - Date.now(), 0), 600_000);
}

/** RFC 8628 §3.1–3.2: asks for a device code. Throws {@link ProviderError}. */
export async function startDeviceGrant(server: OAuthClient): Promise<DeviceAuthorization> {
  try {
    const response = await oauth.deviceAuthorizationRequest(server.as, server.client, server.auth, { scope: server.scope }, requestOptions(server));
    const answer = await oauth.processDeviceAuthorizationResponse(server.as, server.client, response);
    if (!/^https?:\/\//.test(answer.verification_uri)) throw new ProviderError('the verification_uri is not an http(s) URL', false);
    const complete = answer.verification_uri_complete;
    return {
      deviceCode: answer.device_code,
      userCode: answer.user_code,
      verificationUri: answer.verification_uri,
      verificationUriComplete: typeof complete === 'string' && /^https?:\/\//.test(complete) ? complete : undefined,
      expiresInSeconds: answer.expires_in,
      intervalSeconds: typeof answer.interval === 'number' && answer.interval > 0 ? answer.interval : DEFAULT_INTERVAL_SECONDS,
    };
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError(`device authorization failed: ${describe(error)}`, isTransient(error));
  }
}

/** The RFC 8628 §3.5 error names, and the ones providers use for the same outcomes. */
const DECLINED = new Set(['access_denied', 'authorization_declined']);
const EXPIRED = new Set(['expired_token', 'bad_verification_code', 'incorrect_device_code']);

/**
 * RFC 8628 §3.4–3.5: one poll. An `error` is authoritative whatever the HTTP status (adapters turn GitHub's
 * 200-with-error into a 400 before this reads it). Never throws.
 */
export async function pollDeviceGrant(server: OAuthClient, deviceCode: string): Promise<PollOutcome> {
  try {
    const response = await oauth.deviceCodeGrantRequest(server.as, server.client, server.auth, deviceCode, requestOptions(server, POLL_TIMEOUT_MS));
    const result = await oauth.processDeviceCodeResponse(server.as, server.client, response);
    return { kind: 'authorized', grant: grantOf(result) };
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      if (error.error === 'authorization_pending') return { kind: 'pending' };
      if (error.error === 'slow_down') {
        const interval = (error.cause as { interval?: unknown }).interval;
        return { kind: 'slow_down', intervalSeconds: typeof interval === 'number' && interval > 0 ? interval : undefined };
      }
      if (DECLINED.has(error.error)) return { kind: 'declined' };
      if (EXPIRED.has(error.error)) return { kind: 'expired' };
    }
    if (isTransient(error)) return { kind: 'transient', reason: describe(error), retryAfterMs: retryAfterMs(error) };
    const name = error instanceof oauth.ResponseBodyError ? error.error : describe(error);
    return { kind: 'fatal', error: name };
  }
}

function grantOf(result: oauth.TokenEndpointResponse): Grant {
  const claims = oauth.getValidatedIdTokenClaims(result);
  return {
    accessToken: result.access_token,
    idTokenClaims: claims ? { ...claims } : undefined,
    scope: typeof result.scope === 'string' ? result.scope : undefined,
  };
}

const text = (value: unknown, max: number) => (typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined);
const httpsUrl = (value: unknown) => (typeof value === 'string' && /^https?:\/\//.test(value) && value.length <= 2000 ? value : undefined);
export const splitScopes = (scope: string | undefined) => (scope ?? '').split(/[\s,]+/).filter((s) => /^[\w.:/-]{1,200}$/.test(s));

/** Name and picture from a set of OpenID claims (the ID token's or userinfo's). */
function nameOf(claims: Record<string, unknown>): string | undefined {
  return text(claims.name, 200) ?? text(claims.preferred_username, 200) ?? text(claims.email, 200);
}

/**
 * Who logged in, from the ID token's `sub` and claims. A conforming provider may put only `sub` there: then the
 * name and picture come from its userinfo endpoint, whose `sub` must match (oauth4webapi checks it).
 */
export async function identityFromIdToken(server: OAuthClient, grant: Grant): Promise<Identity> {
  const claims = grant.idTokenClaims;
  const subject = text(claims?.sub, 255);
  if (!claims || !subject) throw new ProviderError('the token answer has no ID token with a sub', false);
  let name = nameOf(claims);
  let picture = httpsUrl(claims.picture);
  if (!name && server.as.userinfo_endpoint) {
    try {
      const response = await oauth.userInfoRequest(server.as, server.client, grant.accessToken, requestOptions(server));
      const info = await oauth.processUserInfoResponse(server.as, server.client, subject, response);
      name = nameOf(info);
      picture ??= httpsUrl(info.picture);
    } catch (error) {
      throw new ProviderError(`userinfo failed: ${describe(error)}`, isTransient(error));
    }
  }
  return { subject, name: name ?? subject, avatarUrl: picture, scopes: splitScopes(grant.scope) };
}

/** RFC 7009: gives the access token back, when the provider has a revocation endpoint. Best effort. */
export async function revokeToken(server: OAuthClient, grant: Grant): Promise<void> {
  if (!server.as.revocation_endpoint) return;
  try {
    const response = await oauth.revocationRequest(server.as, server.client, server.auth, grant.accessToken, {
      ...requestOptions(server),
      additionalParameters: { token_type_hint: 'access_token' },
    });
    await oauth.processRevocationResponse(response);
  } catch (error) {
    console.warn(`token revocation failed: ${describe(error)}`);
  }
}

/**
 * The authorization code grant with PKCE and a nonce on oauth4webapi: the authorization URL, then the callback's
 * parameters validated (state, and `iss` where the provider sends it: RFC 9207) and the code exchanged.
 */
export function codeGrant(server: () => Promise<OAuthClient>, extraParams: Record<string, string> = {}, openId = true): BrowserLogin {
  return {
    async authorizer() {
      const { as, client, scope } = await server();
      if (!as.authorization_endpoint) throw new ProviderError('the provider has no authorization endpoint', false);
      const endpoint = as.authorization_endpoint;
      return (request: AuthorizationRequest) => {
        const url = new URL(endpoint);
        const params: Record<string, string> = {
          client_id: client.client_id,
          response_type: 'code',
          redirect_uri: request.redirectUri,
          scope,
          state: request.state,
          code_challenge: request.codeChallenge,
          code_challenge_method: 'S256',
          ...(openId ? { nonce: request.nonce } : {}),
          ...extraParams,
        };
        for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
        return url.href;
      };
    },
    async exchange(callback: AuthorizationCallback) {
      const s = await server();
      try {
        const params = oauth.validateAuthResponse(s.as, s.client, callback.params, callback.state);
        const response = await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, callback.redirectUri, callback.codeVerifier, requestOptions(s));
        const result = await oauth.processAuthorizationCodeResponse(s.as, s.client, response, {
          expectedNonce: openId ? callback.nonce : oauth.expectNoNonce,
        });
        return { ...grantOf(result), via: 'browser' };
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        throw new ProviderError(`code exchange failed: ${describe(error)}`, isTransient(error));
      }
    },
  };
}
