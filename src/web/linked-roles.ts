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
import { findLinks } from '../links/store.ts';
import { enabledProviders } from '../providers/registry.ts';
import { authorizeUrl, currentUser, exchangeCode, type DiscordIdentity } from '../linked-roles/discord-oauth.ts';
import { writeGrant } from '../linked-roles/grants.ts';
import { LINKED_SINCE_KEY, providersWithRecords } from '../linked-roles/metadata.ts';
import { pushRoleConnection, type PushResult } from '../linked-roles/push.ts';
import { linkedRolesPageSetting, type LinkedRolesSettings } from '../linked-roles/settings.ts';
import { newState, spendState, STATE_LIFETIME_MS, verifyState } from '../linked-roles/state.ts';

export const STATE_COOKIE = 'linked_roles_state';
/** A 429 asking for at most this long is waited out before answering the page; longer ones are reported. */
const MAX_INLINE_RETRY_MS = 2_000;

const NO_STORE = { 'cache-control': 'no-store' };

/** The cookie's attributes: only sent to the callback, never to scripts, not on cross-site subrequests. */
function cookieAttributes(settings: LinkedRolesSettings): string {
  const callback = new URL(settings.redirectUri);
  // Secure everywhere but on loopback http, where a browser would drop a Secure cookie set over http.
  const secure = callback.protocol === 'https:' ? '; Secure' : '';
  return `Path=${callback.pathname}; HttpOnly; SameSite=Lax${secure}`;
}

const setStateCookie = (settings: LinkedRolesSettings, state: string) =>
  `${STATE_COOKIE}=${state}; Max-Age=${STATE_LIFETIME_MS / 1000}; ${cookieAttributes(settings)}`;
const clearStateCookie = (settings: LinkedRolesSettings) => `${STATE_COOKIE}=; Max-Age=0; ${cookieAttributes(settings)}`;

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const START_AGAIN = html`<p>To try again, open <strong>Linked Roles</strong> from the server's menu in Discord (or the
role's requirement) once more.</p>`;

function page(status: number, title: string, body: Html, settings?: LinkedRolesSettings): Response {
  return htmlPage(status, title, body, settings ? { ...NO_STORE, 'set-cookie': clearStateCookie(settings) } : NO_STORE);
}

const notSetUp = () =>
  htmlPage(
    503,
    'Not set up yet',
    html`<p>Linked Roles are not available on this bot yet: its operator has not finished setting them up. The
operator can see what is missing in the Worker logs.</p>`,
    { ...NO_STORE, 'retry-after': '3600' },
  );

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
      'set-cookie': setStateCookie(settings, state),
      'referrer-policy': 'no-referrer',
      ...NO_STORE,
    },
  });
}

type Checked = { ok: true; code: string } | { ok: false; response: Response };

/** Everything the callback checks before it talks to Discord; nothing is stored or sent when one fails. */
async function checkCallback(request: Request, env: Env, settings: LinkedRolesSettings): Promise<Checked> {
  const query = new URL(request.url).searchParams;
  const fail = (title: string, body: Html): Checked => ({ ok: false, response: page(400, title, html`${body}${START_AGAIN}`, settings) });
  const error = query.get('error');
  if (error === 'access_denied') {
    return fail('Nothing was changed', html`<p>You cancelled on Discord's page, so the bot has no access to your Linked Roles.</p>`);
  }
  if (error !== null) {
    return fail('Discord did not authorize the bot', html`<p>Discord sent the error <code>${error.slice(0, 100)}</code> instead of an authorization.</p>`);
  }
  const state = query.get('state');
  const code = query.get('code');
  if (!state || !code) return fail('This link is incomplete', html`<p>Discord's answer should carry a <code>code</code> and a <code>state</code>.</p>`);
  const expected = cookie(request, STATE_COOKIE);
  if (!expected) {
    return fail(
      'This browser did not start the connection',
      html`<p>The answer from Discord must come back to the browser that opened Linked Roles, within 10 minutes, with
cookies allowed for this site. This one did not send the cookie that proves it.</p>`,
    );
  }
  if (state !== expected) {
    return fail('This answer is not for this browser', html`<p>Its <code>state</code> is not the one this browser was given.</p>`);
  }
  const now = Date.now();
  const checked = await verifyState(settings.keys.current, state, now);
  if (!checked.ok && checked.why === 'expired') {
    return fail('This link has expired', html`<p>The connection must be finished within 10 minutes of opening Linked Roles.</p>`);
  }
  if (!checked.ok) return fail('This link was not made by this bot', html`<p>Its <code>state</code> does not carry the bot's signature.</p>`);
  if (!(await spendState(env.DB, state, checked.expiresAtMs, now))) {
    return fail('This link was already used', html`<p>Each connection link works once.</p>`);
  }
  return { ok: true, code };
}

const discordFailed = (settings: LinkedRolesSettings, what: string) =>
  page(502, 'Discord did not answer as expected', html`<p>${what} Nothing was stored.</p>${START_AGAIN}`, settings);

/** GET /linked-roles/callback?code&state (or ?error=access_denied). */
export async function linkedRolesCallback(request: Request, env: Env): Promise<Response> {
  const setting = linkedRolesPageSetting(env);
  if (!setting.ok) return notSetUp();
  const settings = setting.value;
  const checked = await checkCallback(request, env, settings);
  if (!checked.ok) return checked.response;

  const now = Date.now();
  const exchanged = await exchangeCode(settings, checked.code, now);
  if (exchanged.kind === 'invalid_grant') {
    return page(400, 'This authorization was not accepted', html`<p>Discord says its code is used or expired. Nothing was stored.</p>${START_AGAIN}`, settings);
  }
  if (exchanged.kind !== 'ok') {
    console.error(`linked roles: the code exchange failed: ${exchanged.reason}`);
    return discordFailed(settings, 'Discord did not hand over the authorization.');
  }
  const me = await currentUser(settings, exchanged.grant.accessToken);
  if (me.kind !== 'ok') {
    console.error(`linked roles: reading /oauth2/@me failed: ${me.kind === 'unauthorized' ? 'HTTP 401' : me.reason}`);
    return discordFailed(settings, 'Discord did not say who you are.');
  }
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
  return resultPage(env, settings, user, pushed);
}

const whom = (user: DiscordIdentity) => (user.globalName ? html`<strong>${user.globalName}</strong> (@${user.username})` : html`<strong>@${user.username}</strong>`);

async function resultPage(env: Env, settings: LinkedRolesSettings, user: DiscordIdentity, pushed: PushResult): Promise<Response> {
  if (pushed.kind !== 'pushed') {
    const later =
      pushed.kind === 'retry'
        ? html`The bot sends it again whenever your links change; to send it now, open Linked Roles again in a minute.`
        : html`The bot's operator can see why in the Worker logs.`;
    return page(
      502,
      'Connected, but not updated yet',
      html`<p>You are connected as ${whom(user)}, but Discord did not take the update of your Linked Roles just now.
${later}</p>`,
      settings,
    );
  }
  const { metadata } = pushed.connection;
  const providers = enabledProviders(env);
  const links = await findLinks(env.DB, user.id);
  const linkedHere = links.filter((link) => providers.some((provider) => provider.id === link.provider));
  const rows = providersWithRecords(providers).map(
    (provider) => html`<li>${provider.name} account linked: <strong>${metadata[provider.id] === '1' ? 'yes' : 'no'}</strong></li>`,
  );
  const since = metadata[LINKED_SINCE_KEY];
  const summary = html`<ul>
${rows}${since ? html`<li>Linked since: <strong>${since.slice(0, 10)}</strong></li>` : ''}
</ul>`;
  if (linkedHere.length === 0) {
    return page(
      200,
      'Connected: now link an account',
      html`<p>You are connected as ${whom(user)}. You have not linked an account with this bot yet, so no requirement
is met:</p>
${summary}
<p>Run <code>/login</code> in Discord; your roles update by themselves when it succeeds.</p>`,
      settings,
    );
  }
  return page(
    200,
    'Verified',
    html`<p>You are verified as ${whom(user)}. Discord now sees:</p>
${summary}
<p>You can close this page and take the role in Discord. It stays current by itself: <code>/login</code> and
<code>/logout</code> update it.</p>`,
    settings,
  );
}
