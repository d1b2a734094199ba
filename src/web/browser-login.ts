/**
 * The browser login (authorization code grant with PKCE, RFC 6749 §4.1 and RFC 9700), hosted by the Worker:
 * GET /auth/<provider>/start?t=<ticket> shows whose Discord account the sign-in is for and asks to continue;
 * the page's form (POST, same path) sends the browser to the provider; GET /auth/<provider>/callback brings it
 * back. The ticket and the state name the user's LoginSession object (an opaque id), which checks them (single
 * use), keeps the PKCE verifier and the nonce, exchanges the code and links the account; this module only routes,
 * sets the cookie that binds the browser, and answers with a small page.
 *
 * Why the page: the ticket is a bearer link. Someone could send theirs to another person, whose browser, if they
 * approved the app before, comes straight back from the provider and links their account to the sender's Discord
 * account. The page names that Discord account, and a cross-site form cannot skip it (the POST checks Origin).
 */
import { isLoopback, siteSetting, type SiteSettings } from '../config.ts';
import type { Env } from '../env.ts';
import { html, htmlPage, htmlText, PAGE_CSP, type Html } from '../html.ts';
import { bindingCookie, readBodyWithLimit, requestCookie, textResponse, TOO_LARGE } from '../http.ts';
import type { Translator } from '../i18n/catalog.ts';
import { pageTranslator } from '../i18n/locales.ts';
import { callbackUrl, type BrowserTicketResult } from '../login/login-session.ts';
import { enabledProvider, isProviderId } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';

const COOKIE = 'login_browser';
/** The browser has this long to come back from the provider (the login's own 15 minutes bound it too). */
const COOKIE_MAX_AGE_SECONDS = 15 * 60;
const NO_STORE = { 'cache-control': 'no-store' };
/** The start's form holds one ticket (about 90 bytes). */
const MAX_FORM_BYTES = 1024;

/** `<object id>.<random>`: the object's id is 64 hex characters, the random part base64url. */
const HANDLE = /^([0-9a-f]{64})\.([A-Za-z0-9_-]{16,64})$/;

function sessionFor(env: Env, handle: string | null) {
  const match = handle ? HANDLE.exec(handle) : null;
  if (!match) return undefined;
  try {
    return env.LOGIN_SESSIONS.get(env.LOGIN_SESSIONS.idFromString(match[1]!));
  } catch {
    return undefined;
  }
}

/** The pages of the browser login, in the browser's language. */
function pagesIn(t: Translator) {
  const page = (status: number, title: string, text: string) => htmlPage(status, title, html`<p>${text}</p>`, NO_STORE, t.locale);
  return {
    notOffered: () => page(404, t.t('page.notOffered.title'), t.t('page.notOffered.text')),
    notSetUp: () => page(503, t.t('page.notSetUp.title'), t.t('page.notSetUp.text')),
    badLink: () => page(400, t.t('page.badLink.title'), t.t('page.badLink.text')),
    used: () => page(400, t.t('page.used.title'), t.t('page.used.text')),
    finished: () => page(409, t.t('page.finished.title'), t.t('page.finished.text')),
    crossSite: () => page(403, t.t('page.crossSite.title'), t.t('page.crossSite.text')),
    /**
     * Asks before the ticket is spent. Referrer-Policy same-origin, not no-referrer: under no-referrer a browser
     * sends `Origin: null` with the form, which a cross-site page can send too. No form-action in the CSP: it
     * would apply to the redirects after the submission, which go to the provider and then wherever it sends on.
     * Never in another site's frame (a page could make the button be clicked unseen), except on loopback, where
     * the playground shows it in its phone.
     */
    confirm: (provider: Provider, action: string, ticket: string, user: Html, framable: boolean) =>
      htmlPage(
        200,
        t.t('page.confirm.title'),
        html`<p>${htmlText(t.t('page.confirm.text'), { provider: provider.name, user })}</p>
<p>${t.t('page.confirm.warning')}</p>
<form method="post" action="${action}"><input type="hidden" name="t" value="${ticket}"><button type="submit">${t.t('page.confirm.button', { provider: provider.name })}</button></form>`,
        {
          ...NO_STORE,
          'referrer-policy': 'same-origin',
          ...(framable ? {} : { 'content-security-policy': `${PAGE_CSP}; frame-ancestors 'none'`, 'x-frame-options': 'DENY' }),
        },
        t.locale,
      ),
    wrongBrowser: () => page(400, t.t('page.wrongBrowser.title'), t.t('page.wrongBrowser.text')),
    declined: (provider: string) => page(400, t.t('page.declined.title'), t.t('page.declined.text', { provider })),
    /** The provider refused the code (used, expired, or not bound to this login's PKCE verifier or nonce). */
    refused: (provider: string) => page(400, t.t('page.failed.title'), t.t('page.failed.text', { provider })),
    /** The provider could not be reached, or answered with an outage. */
    unavailable: (provider: string) => page(502, t.t('page.failed.title'), t.t('page.failed.text', { provider })),
    signedIn: (name: string, provider: string) =>
      htmlPage(
        200,
        t.t('page.signedIn.title', { name }),
        html`<p>${htmlText(t.t('page.signedIn.text'), { provider, name: html`<strong>${name}</strong>` })}</p>
<p>${t.t('page.signedIn.close')}</p>`,
        NO_STORE,
        t.locale,
      ),
  };
}

function browserProvider(env: Env, id: string): Provider | undefined {
  const provider = isProviderId(id) ? enabledProvider(env, id) : undefined;
  return provider?.browser ? provider : undefined;
}

type Pages = ReturnType<typeof pagesIn>;

function ticketRefused(pages: Pages, kind: Exclude<BrowserTicketResult['kind'], 'ok'>): Response {
  switch (kind) {
    case 'invalid':
    case 'invalid-state':
      return pages.badLink();
    case 'used':
      return pages.used();
    case 'finished':
      return pages.finished();
  }
}

/** The Discord account, as the page names it: the unique @username first (a display name can be anyone's). */
function discordAccount(result: Extract<BrowserTicketResult, { kind: 'ok' }>): Html {
  const user = result.discordUser;
  if (!user) return html`<strong>${result.discordUserId}</strong>`;
  return user.globalName && user.globalName !== user.username
    ? html`<strong>@${user.username}</strong> (${user.globalName})`
    : html`<strong>@${user.username}</strong>`;
}

/** What both /start routes need: the pages in the reader's language, the provider and the site, or the page saying why not. */
function startRoute(request: Request, env: Env, providerId: string): { pages: Pages; provider: Provider; site: SiteSettings } | Response {
  const pages = pagesIn(pageTranslator(request));
  const provider = browserProvider(env, providerId);
  if (!provider) return pages.notOffered();
  const site = siteSetting(env);
  if (!site.ok) return pages.notSetUp();
  return { pages, provider, site: site.value };
}

/** GET /auth/<provider>/start?t=<ticket>: the confirmation page; the ticket is checked, not spent. */
export async function browserLoginConfirm(request: Request, env: Env, providerId: string): Promise<Response> {
  const route = startRoute(request, env, providerId);
  if (route instanceof Response) return route;
  const { pages, provider, site } = route;
  const ticket = new URL(request.url).searchParams.get('t');
  const session = sessionFor(env, ticket);
  if (!session || !ticket) return pages.badLink();
  const checked = await session.browserTicket(ticket, provider.id);
  if (checked.kind !== 'ok') return ticketRefused(pages, checked.kind);
  const { publicBaseUrl } = site;
  return pages.confirm(provider, `${publicBaseUrl}/auth/${provider.id}/start`, ticket, discordAccount(checked), isLoopback(publicBaseUrl));
}

/** The form's ticket, or why there is none: only a small urlencoded form is read. */
async function formTicket(request: Request, pages: Pages): Promise<string | Response> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return textResponse(415, 'unsupported media type: send the form as application/x-www-form-urlencoded');
  const body = await readBodyWithLimit(request, MAX_FORM_BYTES);
  if (body === TOO_LARGE) return pages.badLink();
  return new URLSearchParams(new TextDecoder().decode(body)).get('t') ?? pages.badLink();
}

/** POST /auth/<provider>/start (form: t=<ticket>), from the confirmation page: to the provider. */
export async function browserLoginStart(request: Request, env: Env, providerId: string): Promise<Response> {
  const route = startRoute(request, env, providerId);
  if (route instanceof Response) return route;
  const { pages, provider, site } = route;
  // A browser sends Origin with every POST, and Sec-Fetch-Site where it can: a form on another site is refused.
  const origin = request.headers.get('origin');
  const fetchSite = request.headers.get('sec-fetch-site');
  if ((origin !== null && origin !== new URL(site.publicBaseUrl).origin) || (fetchSite !== null && fetchSite !== 'same-origin')) return pages.crossSite();
  const ticket = await formTicket(request, pages);
  if (ticket instanceof Response) return ticket;
  const session = sessionFor(env, ticket);
  if (!session || !ticket) return pages.badLink();
  // Before the ticket is spent: a provider that cannot be reached now leaves the button usable.
  let authorizationUrl: Awaited<ReturnType<NonNullable<Provider['browser']>['authorizer']>>;
  try {
    authorizationUrl = await provider.browser!.authorizer();
  } catch {
    return pages.unavailable(provider.name);
  }
  const started = await session.browserStart(ticket, provider.id);
  if (started.kind !== 'ok') return ticketRefused(pages, started.kind);
  const location = authorizationUrl({
    redirectUri: callbackUrl(site.publicBaseUrl, provider.id),
    state: started.state,
    codeChallenge: started.codeChallenge,
    nonce: started.nonce,
  });
  return new Response(null, {
    status: 302,
    headers: {
      location,
      'set-cookie': bindingCookie(COOKIE, started.cookie, { path: '/auth/', maxAgeSeconds: COOKIE_MAX_AGE_SECONDS, siteUrl: site.publicBaseUrl }),
      'referrer-policy': 'no-referrer',
      ...NO_STORE,
    },
  });
}

/** GET /auth/<provider>/callback?code&state (or ?error&state) */
export async function browserLoginCallback(request: Request, env: Env, providerId: string): Promise<Response> {
  const pages = pagesIn(pageTranslator(request));
  const provider = browserProvider(env, providerId);
  if (!provider) return pages.notOffered();
  const url = new URL(request.url);
  const state = url.searchParams.get('state');
  const session = sessionFor(env, state);
  if (!session || !state) return pages.badLink();
  if (!url.searchParams.get('code') && !url.searchParams.get('error')) return pages.badLink();
  const result = await session.browserCallback(provider.id, state, requestCookie(request, COOKIE), url.search);
  const withClearedCookie = (response: Response) => {
    const headers = new Headers(response.headers);
    headers.append('set-cookie', bindingCookie(COOKIE, '', { path: '/auth/', maxAgeSeconds: 0, siteUrl: request.url }));
    return new Response(response.body, { status: response.status, headers });
  };
  switch (result.kind) {
    case 'linked':
      return withClearedCookie(pages.signedIn(result.name, result.providerName));
    case 'declined':
      return withClearedCookie(pages.declined(provider.name));
    case 'refused':
      return withClearedCookie(pages.refused(provider.name));
    case 'failed':
      return withClearedCookie(pages.unavailable(provider.name));
    case 'invalid':
      return pages.wrongBrowser();
    default:
      return ticketRefused(pages, result.kind);
  }
}
