/**
 * Every outbound call of Linked Roles, to Discord's OAuth2 and role-connection routes (PLATFORM.md §8): the
 * authorize URL, the code exchange, the refresh, the revocation, `GET /oauth2/@me`, and the user's role connection.
 * One request per call, each bounded by a timeout; no retries here. Answers become typed results: `retry` for a
 * 429 (after Discord's Retry-After), a 5xx, a timeout or a network failure; `failed` for anything else that is not
 * the expected answer; `invalid_grant` (token endpoint) and `unauthorized` (bearer routes) for what the caller must
 * act on. No token, code or secret ever appears in a result's text or a log line.
 */
import * as v from 'valibot';
import { redact, USER_AGENT } from '../discord/rest.ts';
import { fetchText, FetchTimeoutError, type FetchedText } from '../http.ts';
import type { DiscordGrant } from './grant-crypto.ts';
import type { RoleConnection } from './metadata.ts';

/** What the bot asks for: who the user is, and the right to write their role connection. */
export const SCOPES = ['identify', 'role_connections.write'] as const;
export const REQUEST_TIMEOUT_MS = 5_000;
/** When Discord gives no Retry-After (a 5xx, a timeout), come back after this long. */
export const DEFAULT_RETRY_MS = 5_000;

/** The application as an OAuth2 client; LinkedRolesSettings fits. */
export interface DiscordOAuthClient {
  applicationId: string;
  clientSecret: string;
  webUrl: string;
  apiUrl: string;
  redirectUri: string;
}

export type Retry = { kind: 'retry'; afterMs: number; reason: string };
export type Failed = { kind: 'failed'; reason: string };
export type TokenResult = { kind: 'ok'; grant: DiscordGrant } | { kind: 'invalid_grant' } | Retry | Failed;
export type BearerResult<T> = { kind: 'ok'; value: T } | { kind: 'unauthorized' } | Retry | Failed;

export interface DiscordIdentity {
  id: string;
  username: string;
  /** The display name, when the user set one. */
  globalName: string | undefined;
}

/** `{webUrl}/oauth2/authorize` for the code grant with `state`, always showing the consent page. */
export function authorizeUrl(client: DiscordOAuthClient, state: string): string {
  const url = new URL(`${client.webUrl}/oauth2/authorize`);
  url.search = new URLSearchParams({
    client_id: client.applicationId,
    response_type: 'code',
    scope: SCOPES.join(' '),
    redirect_uri: client.redirectUri,
    prompt: 'consent',
    state,
  }).toString();
  return url.href;
}

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the API URL; a route name, never a secret. */
  path: string;
  form?: Record<string, string>;
  json?: unknown;
  bearer?: string;
  /** Values to cut out of any text a result carries. */
  secrets: readonly string[];
}

type Sent = { ok: true; response: FetchedText } | Retry;

const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

async function send(client: DiscordOAuthClient, call: Call): Promise<Sent> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  let body: string | undefined;
  if (call.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  } else if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  }
  if (call.bearer) headers.authorization = `Bearer ${call.bearer}`;
  try {
    const response = await fetchText((input, init) => fetch(input, init), `${client.apiUrl}${call.path}`, { method: call.method, headers, body }, REQUEST_TIMEOUT_MS);
    return { ok: true, response };
  } catch (error) {
    const what = error instanceof FetchTimeoutError ? error.message : 'network error';
    return { kind: 'retry', afterMs: DEFAULT_RETRY_MS, reason: `${call.method} ${call.path}: no response (${what})` };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const field = (body: unknown, name: string): unknown => (body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined);

/** Discord's own words for a failure: the OAuth2 `error`, or the API's `code`, `message` and field errors. */
function detail(body: unknown): string {
  const error = field(body, 'error');
  if (typeof error === 'string') return ` (${error})`;
  const code = field(body, 'code');
  const message = field(body, 'message');
  const errors = field(body, 'errors');
  const parts = [typeof code === 'number' ? `code ${code}` : undefined, typeof message === 'string' ? message : undefined, errors !== undefined ? JSON.stringify(errors) : undefined];
  const text = parts.filter(Boolean).join(': ');
  return text ? ` (${text})` : '';
}

/** A 429 or 5xx as a `retry`; undefined for any other status. */
function retryable(call: Call, response: FetchedText, body: unknown): Retry | undefined {
  if (response.status !== 429 && response.status < 500) return undefined;
  const header = Number(response.headers.get('retry-after'));
  const bodySeconds = field(body, 'retry_after');
  let afterMs = DEFAULT_RETRY_MS;
  if (typeof bodySeconds === 'number' && bodySeconds >= 0) afterMs = Math.ceil(bodySeconds * 1000);
  else if (response.headers.has('retry-after') && Number.isFinite(header) && header >= 0) afterMs = Math.ceil(header * 1000);
  return { kind: 'retry', afterMs, reason: failure(call, response, body).reason };
}

function failure(call: Call, response: FetchedText, body: unknown, note = ''): Failed {
  return { kind: 'failed', reason: clip(redact(`${call.method} ${call.path}: HTTP ${response.status}${detail(body)}${note}`, call.secrets)) };
}

// v.object checks what the bot reads and passes by the fields Discord adds over time.
const NonEmpty = v.pipe(v.string(), v.minLength(1));
const TokenAnswer = v.object({ access_token: NonEmpty, refresh_token: NonEmpty, expires_in: v.number(), token_type: v.string(), scope: v.string() });

/** `secret`: the code or refresh token sent. */
async function tokenRequest(client: DiscordOAuthClient, params: Record<string, string>, secret: string, now: number): Promise<TokenResult> {
  const form = { ...params, client_id: client.applicationId, client_secret: client.clientSecret };
  const call: Call = { method: 'POST', path: '/oauth2/token', form, secrets: [client.clientSecret, secret] };
  const sent = await send(client, call);
  if (!('ok' in sent)) return sent;
  const { response } = sent;
  const body = parseJson(response.text);
  const retry = retryable(call, response, body);
  if (retry) return retry;
  if (response.status === 400 && field(body, 'error') === 'invalid_grant') return { kind: 'invalid_grant' };
  if (response.status === 401) return failure(call, response, body, ': Discord refused the client; check DISCORD_APPLICATION_ID and DISCORD_CLIENT_SECRET');
  if (response.status !== 200) return failure(call, response, body);
  const parsed = v.safeParse(TokenAnswer, body);
  if (!parsed.success || parsed.output.token_type.toLowerCase() !== 'bearer' || !(parsed.output.expires_in > 0)) {
    return failure(call, response, undefined, ': not a token answer');
  }
  const answer = parsed.output;
  // Tokens are cut out of any text: one echoed back in an error must not reach a log.
  call.secrets = [...call.secrets, answer.access_token, answer.refresh_token];
  const scopes = answer.scope.split(' ');
  if (!SCOPES.every((scope) => scopes.includes(scope))) {
    return { kind: 'failed', reason: `${call.method} ${call.path}: the grant lacks ${SCOPES.filter((scope) => !scopes.includes(scope)).join(', ')}` };
  }
  return {
    kind: 'ok',
    grant: { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresAtMs: now + answer.expires_in * 1000, scope: answer.scope },
  };
}

/** `grant_type=authorization_code` with the exact redirect_uri of the authorize request. */
export function exchangeCode(client: DiscordOAuthClient, code: string, now: number): Promise<TokenResult> {
  return tokenRequest(client, { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri }, code, now);
}

/** `grant_type=refresh_token`: a new access token and a new refresh token (the old one is spent). */
export function refreshGrant(client: DiscordOAuthClient, refreshToken: string, now: number): Promise<TokenResult> {
  return tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken }, refreshToken, now);
}

/** Revokes `token`; at Discord this ends the user's whole authorization of the app, every token with it. */
export async function revokeToken(client: DiscordOAuthClient, token: string, hint: 'access_token' | 'refresh_token'): Promise<{ kind: 'ok' } | Retry | Failed> {
  const call: Call = {
    method: 'POST',
    path: '/oauth2/token/revoke',
    form: { token, token_type_hint: hint, client_id: client.applicationId, client_secret: client.clientSecret },
    secrets: [token, client.clientSecret],
  };
  const sent = await send(client, call);
  if (!('ok' in sent)) return sent;
  const body = parseJson(sent.response.text);
  return retryable(call, sent.response, body) ?? (sent.response.status === 200 ? { kind: 'ok' } : failure(call, sent.response, body));
}

/** One call with the user's access token: 2xx → `read(body)`, 401 → unauthorized. */
async function bearerCall<T>(client: DiscordOAuthClient, call: Omit<Call, 'secrets'> & { bearer: string }, read: (body: unknown) => T | undefined): Promise<BearerResult<T>> {
  const full: Call = { ...call, secrets: [call.bearer] };
  const sent = await send(client, full);
  if (!('ok' in sent)) return sent;
  const { response } = sent;
  const body = parseJson(response.text);
  const retry = retryable(full, response, body);
  if (retry) return retry;
  if (response.status === 401) return { kind: 'unauthorized' };
  if (response.status < 200 || response.status > 299) return failure(full, response, body);
  const value = read(body);
  return value === undefined ? failure(full, response, undefined, ': unexpected answer') : { kind: 'ok', value };
}

const MeAnswer = v.object({
  user: v.object({ id: v.pipe(v.string(), v.regex(/^\d{17,20}$/)), username: v.string(), global_name: v.optional(v.unknown()) }),
});

/** `GET /oauth2/@me`: who authorized (needs `identify`). */
export function currentUser(client: DiscordOAuthClient, accessToken: string): Promise<BearerResult<DiscordIdentity>> {
  return bearerCall(client, { method: 'GET', path: '/oauth2/@me', bearer: accessToken }, (body) => {
    const parsed = v.safeParse(MeAnswer, body);
    if (!parsed.success) return undefined;
    const { user } = parsed.output;
    const globalName = user.global_name;
    return { id: user.id, username: user.username, globalName: typeof globalName === 'string' && globalName ? globalName : undefined };
  });
}

const connectionPath = (client: DiscordOAuthClient) => `/users/@me/applications/${client.applicationId}/role-connection`;

/** `PUT /users/@me/applications/{app}/role-connection`: replaces the user's connection with `connection`. */
export function putRoleConnection(client: DiscordOAuthClient, accessToken: string, connection: RoleConnection): Promise<BearerResult<true>> {
  return bearerCall(client, { method: 'PUT', path: connectionPath(client), json: connection, bearer: accessToken }, () => true);
}

/** `DELETE …/role-connection`: removes the user's connection (every requirement on it then fails). */
export function deleteRoleConnection(client: DiscordOAuthClient, accessToken: string): Promise<BearerResult<true>> {
  return bearerCall(client, { method: 'DELETE', path: connectionPath(client), bearer: accessToken }, () => true);
}
