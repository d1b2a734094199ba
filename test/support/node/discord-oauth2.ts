/** The Worker's side of Discord OAuth2 against the stand-in, as the Linked Roles tests need it. */
import type { DiscordStandin, DiscordUser } from '../../../scripts/standins/discord.ts';
import { call, postForm, type Reply } from './http.ts';

/** A registered redirect; nothing listens there (the tests read the Location, never follow it). */
export const REDIRECT_URI = 'http://127.0.0.1:9/linked-roles/callback';
export const LINKED_ROLES_SCOPE = 'identify role_connections.write';

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** The link GET /linked-roles on the Worker sends the browser to; `undefined` leaves a parameter out. */
export function authorizeUrl(discord: DiscordStandin, overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    client_id: discord.applicationId,
    response_type: 'code',
    scope: LINKED_ROLES_SCOPE,
    redirect_uri: REDIRECT_URI,
    prompt: 'consent',
    state: 'state-123',
    ...overrides,
  };
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return `${discord.webUrl}/oauth2/authorize?${query}`;
}

/** A GET as the browser does it, without following a redirect. */
export const browse = (url: string, init: RequestInit = {}) => call(url, { redirect: 'manual', ...init });

/** The code (or error) parameters Discord put on the redirect. */
export function redirectParams(location: string): URLSearchParams {
  const url = new URL(location);
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** `POST /oauth2/token`, client_secret_post unless `basic`. */
export function tokenRequest(discord: DiscordStandin, params: Record<string, string>, options: { basic?: boolean; secret?: string } = {}): Promise<Reply> {
  const secret = options.secret ?? discord.clientSecret;
  if (!options.basic) return postForm(`${discord.apiUrl}/oauth2/token`, { client_id: discord.applicationId, client_secret: secret, ...params });
  return call(`${discord.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${discord.applicationId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(params).toString(),
  });
}

export const exchangeCode = (discord: DiscordStandin, code: string, redirectUri = REDIRECT_URI) =>
  tokenRequest(discord, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });

/** `user` authorizes the app for `scope` and the app exchanges the code: the tokens. */
export async function linkUser(discord: DiscordStandin, user: DiscordUser, scope = LINKED_ROLES_SCOPE): Promise<TokenResponse> {
  const location = await discord.authorize(authorizeUrl(discord, { scope }), user);
  const code = redirectParams(location).get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const reply = await exchangeCode(discord, code);
  if (reply.status !== 200) throw new Error(`the code exchange failed: ${reply.text}`);
  return reply.json as TokenResponse;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A request with a user's access token, as the Worker sends it (JSON body when given). */
export function bearerCall(url: string, method: string, token: string, body?: unknown): Promise<Reply> {
  return call(url, {
    method,
    headers: { ...bearer(token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

export const roleConnectionUrl = (discord: DiscordStandin, applicationId = discord.applicationId) =>
  `${discord.apiUrl}/users/@me/applications/${applicationId}/role-connection`;

export const metadataUrl = (discord: DiscordStandin, applicationId = discord.applicationId) =>
  `${discord.apiUrl}/applications/${applicationId}/role-connections/metadata`;
