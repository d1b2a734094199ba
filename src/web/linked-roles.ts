/**
 * The Linked Roles pages (PLATFORM.md §8). GET /linked-roles is the app's Linked Roles Verification URL: Discord
 * opens it when a member takes a role that requires this app. It sends the browser to Discord's consent page with
 * a one-time `state` bound to the browser by a cookie (src/linked-roles/state.ts). GET /linked-roles/callback
 * checks that state, exchanges the code, keeps the Discord grant (encrypted) and pushes the member's role
 * connection, then says what it did. Every page: no scripts, a CSP that forbids them, no Referer (the URL carries
 * the code), never cached. The only redirect goes to the configured Discord URL, never to anything from a request.
 */
import { html, htmlPage, type Html } from '../html.ts';
import type { Env } from '../env.ts';
import { enabledProviders } from '../providers/registry.ts';
import { authorizeUrl, currentUser, exchangeCode, type DiscordIdentity } from '../linked-roles/discord-oauth.ts';
import { writeGrant } from '../linked-roles/grants.ts';
import { LINKED_SINCE_KEY, providersWithRecords } from '../linked-roles/metadata.ts';
import { pushRoleConnection, type PushResult } from '../linked-roles/push.ts';
import { linkedRolesPageSetting, type LinkedRolesSettings } from '../linked-roles/settings.ts';
import { loginSession } from '../login/stub.ts';
import { newState, spendState, STATE_LIFETIME_MS, verifyState } from '../linked-roles/state.ts';

export const STATE_COOKIE = 'linked_roles_state';
/** A 429 asking for at most this long is waited out before answering the page; longer ones are reported. */
const MAX_INLINE_RETRY_MS = 2_000;
const NO_STORE = { 'cache-control': 'no-store' };

/** Sent only to the callback, never to scripts, not on cross-site subrequests; Secure except on loopback http. */
function cookie(settings: LinkedRolesSettings, value: string, maxAge: number): string {
  const callback = new URL(settings.redirectUri);
  return `${STATE_COOKIE}=${value}; Max-Age=${maxAge}; Path=${callback.pathname}; HttpOnly; SameSite=Lax${callback.protocol === 'https:' ? '; Secure' : ''}`;
}

function cookieValue(request: Request): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === STATE_COOKIE) return value.join('=');
  }
  return undefined;
}

/** A page that also clears the state cookie: whatever happened, that state is done. */
const page = (settings: LinkedRolesSettings, status: number, title: string, body: Html) =>
  htmlPage(status, title, body, { ...NO_STORE, 'set-cookie': cookie(settings, '', 0) });

const AGAIN = html`<p>To try again, open <strong>Linked Roles</strong> from the server's menu in Discord.</p>`;
const refused = (settings: LinkedRolesSettings, title: string, text: Html | string) => page(settings, 400, title, html`<p>${text}</p>${AGAIN}`);

const notSetUp = () =>
  htmlPage(503, 'Not set up yet', html`<p>Linked Roles are not set up on this bot yet; the operator can see why in the Worker logs.</p>`, {
    ...NO_STORE,
    'retry-after': '3600',
  });

/** GET /linked-roles: to Discord's consent page, with a fresh state in the URL and in a cookie. */
export async function startLinkedRoles(env: Env): Promise<Response> {
  const setting = linkedRolesPageSetting(env);
  if (!setting.ok) return notSetUp();
  const settings = setting.value;
  const state = await newState(settings.keys.current, Date.now());
  return new Response(null, {
    status: 302,
    headers: {
      location: authorizeUrl(settings, state),
      'set-cookie': cookie(settings, state, STATE_LIFETIME_MS / 1000),
      'referrer-policy': 'no-referrer',
      ...NO_STORE,
    },
  });
}

/** Everything the callback checks before it talks to Discord: the code, or the page that refuses. */
async function checkCallback(request: Request, env: Env, settings: LinkedRolesSettings): Promise<string | Response> {
  const query = new URL(request.url).searchParams;
  const error = query.get('error');
  if (error === 'access_denied') return refused(settings, 'Nothing was changed', 'You cancelled on Discord, so the bot has no access to your Linked Roles.');
  if (error !== null) return refused(settings, 'Discord did not authorize the bot', html`Discord answered <code>${error.slice(0, 100)}</code>.`);
  const state = query.get('state');
  const code = query.get('code');
  if (!state || !code) return refused(settings, 'This link is incomplete', "Discord's answer should carry a code and a state.");
  if (state !== cookieValue(request)) {
    return refused(settings, 'Not the browser that started', 'This answer must come back, within 10 minutes, to the browser that opened Linked Roles, with cookies allowed.');
  }
  const now = Date.now();
  const checked = await verifyState(settings.keys.current, state, now);
  if (!checked.ok) {
    return checked.why === 'expired'
      ? refused(settings, 'This link has expired', 'Finish within 10 minutes of opening Linked Roles.')
      : refused(settings, 'This link is not valid', 'It was not made by this bot.');
  }
  if (!(await spendState(env.DB, state, checked.expiresAtMs, now))) return refused(settings, 'This link was already used', 'Each link works once.');
  return code;
}

function discordFailed(settings: LinkedRolesSettings, reason: string): Response {
  console.error(`linked roles: the callback failed: ${reason}`);
  return page(settings, 502, 'Discord did not answer as expected', html`<p>Discord did not complete the connection. Nothing was stored.</p>${AGAIN}`);
}

/** GET /linked-roles/callback?code&state (or ?error=access_denied). */
export async function linkedRolesCallback(request: Request, env: Env): Promise<Response> {
  const setting = linkedRolesPageSetting(env);
  if (!setting.ok) return notSetUp();
  const settings = setting.value;
  const code = await checkCallback(request, env, settings);
  if (code instanceof Response) return code;

  const now = Date.now();
  const exchanged = await exchangeCode(settings, code, now);
  if (exchanged.kind === 'invalid_grant') return refused(settings, 'This authorization was not accepted', "Discord says its code is used or expired. Nothing was stored.");
  if (exchanged.kind !== 'ok') return discordFailed(settings, exchanged.reason);
  const me = await currentUser(settings, exchanged.grant.accessToken);
  if (me.kind === 'unauthorized') return discordFailed(settings, 'GET /oauth2/@me: HTTP 401');
  if (me.kind !== 'ok') return discordFailed(settings, me.reason);
  const user = me.value;
  // A grant stored earlier is replaced, not revoked: at Discord, revoking any token of a user ends every one of
  // their tokens for this app, the new ones included.
  await writeGrant(env.DB, settings.keys, user.id, exchanged.grant, now);

  let pushed = await pushRoleConnection(env, user.id);
  if (pushed.kind === 'retry' && pushed.afterMs <= MAX_INLINE_RETRY_MS) {
    const { afterMs } = pushed;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    pushed = await pushRoleConnection(env, user.id);
  }
  // A user with no link yet may finish in this browser: a login of their own, begun here, for the buttons.
  const noLinkYet = pushed.kind === 'pushed' && !pushed.connection.metadata[LINKED_SINCE_KEY];
  const web = noLinkYet ? await loginSession(env, user.id).startWebLogin(user.id, 'en-US') : undefined;
  return resultPage(env, settings, user, pushed, web?.kind === 'started' ? web.ticket : undefined);
}

/** "Continue with <Provider>" for every provider with a browser login, each starting the same web login. */
function continueButtons(env: Env, settings: LinkedRolesSettings, ticket: string) {
  const base = settings.redirectUri.replace(/\/linked-roles\/callback$/, '');
  const links = enabledProviders(env)
    .filter((p) => p.browser)
    .map((p) => html`<li><a href="${base}/auth/${p.id}/start?t=${ticket}">Continue with ${p.name}</a></li>`);
  return html`<p>Or link one now, in this browser:</p><ul class="buttons">${links}</ul>`;
}

function resultPage(env: Env, settings: LinkedRolesSettings, user: DiscordIdentity, pushed: PushResult, ticket?: string): Response {
  const whom = user.globalName ? html`<strong>${user.globalName}</strong> (@${user.username})` : html`<strong>@${user.username}</strong>`;
  if (pushed.kind !== 'pushed') {
    const later = pushed.kind === 'retry' ? 'Open Linked Roles again in a minute to send it.' : 'The operator can see why in the Worker logs.';
    return page(settings, 502, 'Connected, but not updated yet', html`<p>You are connected as ${whom}, but Discord did not take the update just now. ${later}</p>`);
  }
  const { metadata } = pushed.connection;
  const since = metadata[LINKED_SINCE_KEY];
  const rows = providersWithRecords(enabledProviders(env)).map((p) => html`<li>${p.name} account linked: <strong>${metadata[p.id] === '1' ? 'yes' : 'no'}</strong></li>`);
  const summary = html`<ul>${rows}${since ? html`<li>Linked since: <strong>${since.slice(0, 10)}</strong></li>` : ''}</ul>`;
  // linked_since is there exactly when the user has a link at an enabled provider.
  if (!since) {
    return page(settings, 200, 'Connected: now link an account', html`<p>You are connected as ${whom}, with no account linked yet:</p>${summary}
<p>Run <code>/login</code> in Discord; your roles update by themselves when it succeeds.</p>${ticket ? continueButtons(env, settings, ticket) : ''}`);
  }
  return page(settings, 200, 'Verified', html`<p>You are verified as ${whom}. Discord now sees:</p>${summary}
<p>You can close this page and take the role in Discord; <code>/login</code> and <code>/logout</code> keep it current.</p>`);
}
