/**
 * Linked Roles in tests: the browser's part (open /linked-roles, come back to the callback with or without the
 * cookie) through the Worker's real entry, and Discord's OAuth2 and role-connection answers for the fake network.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import worker from '../../../src/index.ts';
import type { Env } from '../../../src/env.ts';
import { json } from './network.ts';

export const APP = env.DISCORD_APPLICATION_ID!;
export const CLIENT_SECRET = env.DISCORD_CLIENT_SECRET!;
export const CALLBACK = 'https://bot.example/linked-roles/callback';

export const LINKED_ROLES_ROUTES = {
  token: 'POST discord:/oauth2/token',
  revoke: 'POST discord:/oauth2/token/revoke',
  me: 'GET discord:/oauth2/@me',
  putConnection: `PUT discord:/users/@me/applications/${APP}/role-connection`,
  deleteConnection: `DELETE discord:/users/@me/applications/${APP}/role-connection`,
} as const;

let nextToken = 1;
/** A fresh pair of Discord-shaped tokens: tests search for them where they must not be. */
export function newTokens() {
  const n = nextToken++;
  return { access: `AccessTok${n}xQ2mZ8wY4vB7nK1pL3sD5fG9hJ0`, refresh: `RefreshTok${n}aZ8xC6vB4nM2qW0eR7tY5uI3oP1` };
}

/** Discord's token answer (documented sample shape). */
export const tokenAnswer = (tokens = newTokens(), overrides: Record<string, unknown> = {}) => () =>
  json(200, { token_type: 'Bearer', access_token: tokens.access, expires_in: 604800, refresh_token: tokens.refresh, scope: 'identify role_connections.write', ...overrides });

export const oauthError = (status: number, error: string) => () => json(status, { error, ...(error === 'invalid_grant' ? { error_description: 'Invalid "code" in request.' } : {}) });

export const discordUser = { id: '111111111111111111', username: 'alice', global_name: 'Alice <Liddell>' };

/** `GET /oauth2/@me` as Discord answers it with `identify`. */
export const meAnswer = (user: { id: string; username: string; global_name?: string | null } = discordUser) => () =>
  json(200, { application: { id: APP, name: 'Bot' }, scopes: ['identify', 'role_connections.write'], expires: '2026-12-01T00:00:00.000000+00:00', user: { discriminator: '0', avatar: null, ...user } });

/** The role-connection PUT's answer: what was stored. */
export const connectionAnswer = () => json(200, { platform_name: 'Linked accounts', platform_username: null, metadata: {} });

export const unauthorized = () => json(401, { message: '401: Unauthorized', code: 0 });

/** GET /linked-roles through the real entry (or with other vars through the handler). */
export async function openLinkedRoles(vars?: Partial<Env>, url = 'https://bot.example/linked-roles'): Promise<Response> {
  if (!vars) return exports.default.fetch(url, { redirect: 'manual' });
  return worker.fetch(new Request(url, { redirect: 'manual' }) as never, { ...env, ...vars }, createExecutionContext());
}

/** Opens /linked-roles and returns the state (from the authorize URL) and the cookie header the browser would send. */
export async function startedFlow(): Promise<{ state: string; cookie: string; location: URL }> {
  const response = await openLinkedRoles();
  const location = new URL(response.headers.get('location')!);
  const setCookie = response.headers.get('set-cookie')!;
  return { state: location.searchParams.get('state')!, cookie: setCookie.split(';')[0]!, location };
}

/** The browser comes back from Discord to the callback with `params`, sending `cookie` if given. */
export function callback(params: Record<string, string>, cookie?: string, vars?: Partial<Env>): Promise<Response> {
  const url = `${CALLBACK}?${new URLSearchParams(params)}`;
  const headers: Record<string, string> = cookie ? { cookie } : {};
  const init = { headers, redirect: 'manual' as const };
  if (!vars) return exports.default.fetch(url, init);
  return worker.fetch(new Request(url, init) as never, { ...env, ...vars }, createExecutionContext());
}

/** The Worker's Linked Roles keys (TOKEN_ENCRYPTION_KEY from the test bindings). */
export async function workerKeys() {
  const { linkedRolesSetting } = await import('../../../src/linked-roles/settings.ts');
  const setting = linkedRolesSetting(env);
  if (!setting?.ok) throw new Error('Linked Roles are not set up in the test bindings');
  return setting.value.keys;
}

/** Stores a grant for `userId` as the callback would; returns its tokens. */
export async function storeGrant(userId: string, expiresAtMs: number, tokens = newTokens()) {
  const { writeGrant } = await import('../../../src/linked-roles/grants.ts');
  await writeGrant(env.DB, await workerKeys(), userId, { accessToken: tokens.access, refreshToken: tokens.refresh, expiresAtMs, scope: 'identify role_connections.write' }, Date.now());
  return tokens;
}

/** The grant stored for `userId`, decrypted, or undefined. */
export async function storedGrant(userId: string) {
  const { readGrant } = await import('../../../src/linked-roles/grants.ts');
  return (await readGrant(env.DB, await workerKeys(), userId))?.grant;
}
