/**
 * The Linked Roles pages (PLATFORM.md §8). GET /linked-roles is the app's Linked Roles Verification URL: Discord
 * opens it when a member takes a role that requires this app. It sends the browser to Discord's consent page with
 * a one-time `state` bound to the browser by a cookie (src/linked-roles/state.ts). GET /linked-roles/callback
 * checks that state, exchanges the code, keeps the Discord grant (encrypted) and pushes the member's role
 * connection, then says what it did. Every page: no scripts, a CSP that forbids them, no Referer (the URL carries
 * the code), never cached. The only redirect goes to the configured Discord URL, never to anything from a request.
 */
import { bindingCookie, requestCookie } from '../http.ts';
import { html, htmlPage, htmlText, type Html } from '../html.ts';
import type { Translator } from '../i18n/catalog.ts';
import { pageTranslator } from '../i18n/locales.ts';
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

/** Sent only to the callback. */
const cookie = (settings: LinkedRolesSettings, value: string, maxAgeSeconds: number) =>
  bindingCookie(STATE_COOKIE, value, { path: new URL(settings.redirectUri).pathname, maxAgeSeconds, siteUrl: settings.redirectUri });

/** A page that also clears the state cookie: whatever happened, that state is done. */
const page = (t: Translator, settings: LinkedRolesSettings, status: number, title: string, body: Html) =>
  htmlPage(status, title, body, { ...NO_STORE, 'set-cookie': cookie(settings, '', 0) }, t.locale);

const again = (t: Translator) => html`<p>${t.t('roles.again')}</p>`;
const refused = (t: Translator, settings: LinkedRolesSettings, title: string, text: Html | string) => page(t, settings, 400, title, html`<p>${text}</p>${again(t)}`);

const notSetUp = (t: Translator) =>
  htmlPage(503, t.t('page.notSetUp.title'), html`<p>${t.t('roles.notSetUp')}</p>`, { ...NO_STORE, 'retry-after': '3600' }, t.locale);

/** GET /linked-roles: to Discord's consent page, with a fresh state in the URL and in a cookie. */
export async function startLinkedRoles(request: Request, env: Env): Promise<Response> {
  const setting = linkedRolesPageSetting(env);
  if (!setting.ok) return notSetUp(pageTranslator(request));
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
async function checkCallback(request: Request, env: Env, t: Translator, settings: LinkedRolesSettings): Promise<string | Response> {
  const query = new URL(request.url).searchParams;
  const error = query.get('error');
  const state = query.get('state');
  const code = query.get('code');
  // An answer that is not for this browser's authorization (say, a link someone else made) must not end it: these
  // pages leave the cookie alone.
  if (!state || state !== requestCookie(request, STATE_COOKIE)) {
    const [title, text] = state ? (['roles.wrongBrowser.title', 'roles.wrongBrowser.text'] as const) : (['roles.incomplete.title', 'roles.incomplete.text'] as const);
    return htmlPage(400, t.t(title), html`<p>${t.t(text)}</p>${again(t)}`, NO_STORE, t.locale);
  }
  if (error === 'access_denied') return refused(t, settings, t.t('roles.cancelled.title'), t.t('roles.cancelled.text'));
  if (error !== null) return refused(t, settings, t.t('roles.refused.title'), htmlText(t.t('roles.refused.text'), { error: html`<code>${error.slice(0, 100)}</code>` }));
  if (!code) return refused(t, settings, t.t('roles.incomplete.title'), t.t('roles.incomplete.text'));
  const now = Date.now();
  const checked = await verifyState(settings.keys.current, state, now);
  if (!checked.ok) {
    return checked.why === 'expired'
      ? refused(t, settings, t.t('roles.expired.title'), t.t('roles.expired.text'))
      : refused(t, settings, t.t('roles.invalid.title'), t.t('roles.invalid.text'));
  }
  if (!(await spendState(env.DB, state, checked.expiresAtMs, now))) return refused(t, settings, t.t('roles.used.title'), t.t('roles.used.text'));
  return code;
}

function discordFailed(t: Translator, settings: LinkedRolesSettings, reason: string): Response {
  console.error(`linked roles: the callback failed: ${reason}`);
  return page(t, settings, 502, t.t('roles.discordFailed.title'), html`<p>${t.t('roles.discordFailed.text')}</p>${again(t)}`);
}

/** GET /linked-roles/callback?code&state (or ?error=access_denied). */
export async function linkedRolesCallback(request: Request, env: Env): Promise<Response> {
  const t = pageTranslator(request);
  const setting = linkedRolesPageSetting(env);
  if (!setting.ok) return notSetUp(t);
  const settings = setting.value;
  const code = await checkCallback(request, env, t, settings);
  if (code instanceof Response) return code;

  const now = Date.now();
  const exchanged = await exchangeCode(settings, code, now);
  if (exchanged.kind === 'invalid_grant') return refused(t, settings, t.t('roles.notAccepted.title'), t.t('roles.notAccepted.text'));
  if (exchanged.kind !== 'ok') return discordFailed(t, settings, exchanged.reason);
  const me = await currentUser(settings, exchanged.grant.accessToken);
  if (me.kind === 'unauthorized') return discordFailed(t, settings, 'GET /oauth2/@me: HTTP 401');
  if (me.kind !== 'ok') return discordFailed(t, settings, me.reason);
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
  const web = noLinkYet ? await loginSession(env, user.id).startWebLogin(user.id, t.locale, { username: user.username, globalName: user.globalName }) : undefined;
  return resultPage(t, env, settings, user, pushed, web);
}

type WebLogin = Awaited<ReturnType<ReturnType<typeof loginSession>['startWebLogin']>>;

/** "Continue with <Provider>" for every provider with a browser login, each starting the same web login. */
function continueButtons(t: Translator, env: Env, settings: LinkedRolesSettings, ticket: string) {
  const base = settings.redirectUri.replace(/\/linked-roles\/callback$/, '');
  const links = enabledProviders(env)
    .filter((p) => p.browser)
    .map((p) => html`<li><a href="${base}/auth/${p.id}/start?t=${ticket}">${t.t('roles.continue', { provider: p.name })}</a></li>`);
  return html`<p>${t.t('roles.continue.intro')}</p><ul class="buttons">${links}</ul>`;
}

function resultPage(t: Translator, env: Env, settings: LinkedRolesSettings, user: DiscordIdentity, pushed: PushResult, web?: WebLogin): Response {
  const whom = user.globalName ? html`<strong>${user.globalName}</strong> (@${user.username})` : html`<strong>@${user.username}</strong>`;
  if (pushed.kind !== 'pushed') {
    const later = t.t(pushed.kind === 'retry' ? 'roles.retryLater' : 'roles.seeLogs');
    return page(t, settings, 502, t.t('roles.notUpdated.title'), html`<p>${htmlText(t.t('roles.notUpdated.text'), { user: whom })} ${later}</p>`);
  }
  const { metadata } = pushed.connection;
  const since = metadata[LINKED_SINCE_KEY];
  const rows = providersWithRecords(enabledProviders(env)).map(
    (p) => html`<li>${htmlText(t.t('roles.linked'), { provider: p.name, answer: html`<strong>${t.t(metadata[p.id] === '1' ? 'roles.yes' : 'roles.no')}</strong>` })}</li>`,
  );
  const sinceRow = since ? html`<li>${htmlText(t.t('roles.since'), { date: html`<strong>${since.slice(0, 10)}</strong>` })}</li>` : '';
  const summary = html`<ul>${rows}${sinceRow}</ul>`;
  // linked_since is there exactly when the user has a link at an enabled provider.
  if (!since) {
    return page(t, settings, 200, t.t('roles.noLink.title'), html`<p>${htmlText(t.t('roles.noLink.text'), { user: whom })}</p>${summary}
<p>${t.t(web?.kind === 'in-progress' ? 'roles.inProgress' : 'roles.noLink.howTo')}</p>${web?.kind === 'started' ? continueButtons(t, env, settings, web.ticket) : ''}`);
  }
  return page(t, settings, 200, t.t('roles.verified.title'), html`<p>${htmlText(t.t('roles.verified.text'), { user: whom })}</p>${summary}
<p>${t.t('roles.verified.close')}</p>`);
}
