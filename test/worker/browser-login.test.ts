/**
 * The browser login next to the device code: the code message's second button, GET /auth/<provider>/start (a
 * page naming the Discord account the sign-in is for; the ticket is not spent), its form POST /auth/<provider>/start
 * (same-origin only; single-use ticket, cookie binding the browser, PKCE S256, state, nonce, exact redirect URI, no
 * open redirect) and GET /auth/<provider>/callback (state and cookie checked, code exchanged, account linked, the
 * Discord message edited at once, the device code no longer polled), and every bad input answered with a 4xx
 * page that links nothing and edits nothing.
 */
import { env, exports } from 'cloudflare:workers';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { advanceClock, runAlarm, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, facebook, held, json, ROUTES } from '../support/worker/network.ts';
import { ACCESS, providers } from '../support/worker/providers.ts';
import { FORM, freshBrowserTestbed, get, loginWithBrowserButton, post, SAME_ORIGIN, startPath, ticketOf, type ProviderId } from '../support/worker/browser.ts';

const bed = useLoginTestbed();
const EXCHANGE = 'POST graph:/oauth/access_token';
const GITHUB_GRANT = () => `DELETE ${env.GITHUB_API_URL}/applications/${env.GITHUB_CLIENT_ID}/grant`;

freshBrowserTestbed(bed);

interface Confirmation {
  status: number;
  text: string;
  headers: Headers;
  /** The form's action and its hidden ticket. */
  action: string | undefined;
  ticket: string | undefined;
}

/** GET of the button's URL: the confirmation page, and what its form would send. */
async function confirmation(url: string, headers: Record<string, string> = {}): Promise<Confirmation> {
  const response = await get(url, headers);
  const text = await response.text();
  const form = /<form method="post" action="([^"]*)"><input type="hidden" name="t" value="([^"]*)">/.exec(text);
  return { status: response.status, text, headers: response.headers, action: form?.[1], ticket: form?.[2] };
}

interface Started {
  location: URL;
  cookie: string;
  setCookie: string;
}

/**
 * A person opens the button and confirms: the page names their Discord account and leaves the ticket unspent
 * (opening it again shows the same page); its form (POST, same origin) sends the browser to the provider.
 */
async function start(url: string, user?: TestUser): Promise<Started> {
  const page = await confirmation(url);
  expect(page.status).toBe(200);
  if (user) expect(page.text).toContain(`<strong>@${user.username}</strong>`);
  expect(page.action).toBe(startPath(url));
  expect(page.ticket).toBe(ticketOf(url));
  expect((await confirmation(url)).status).toBe(200);
  const response = await post(page.action!, new URLSearchParams({ t: page.ticket! }));
  expect(response.status).toBe(302);
  const setCookie = response.headers.get('set-cookie')!;
  return { location: new URL(response.headers.get('location')!), cookie: setCookie.split(';')[0]!, setCookie };
}

/** The callback as the provider redirects the browser, with this browser's cookie. */
const callback = (provider: ProviderId, params: Record<string, string>, cookie?: string) =>
  get(`https://bot.example/auth/${provider}/callback?${new URLSearchParams(params)}`, cookie ? { cookie } : {});

async function pageOf(response: Response) {
  return { status: response.status, text: await response.text(), csp: response.headers.get('content-security-policy'), referrer: response.headers.get('referrer-policy') };
}

describe('the code message offers the browser login', () => {
  it.each<ProviderId>(['facebook', 'github', 'google', 'microsoft', 'oidc'])('%s: a second link button to /auth/<provider>/start with an opaque ticket', async (provider) => {
    const { browserUrl } = await loginWithBrowserButton(bed.net(), provider);
    const url = new URL(browserUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`https://bot.example/auth/${provider}/start`);
    expect(url.searchParams.get('t')).toMatch(/^[0-9a-f]{64}\.[A-Za-z0-9_-]{22}$/);
  });
});

describe('GET /auth/<provider>/start: the confirmation page', () => {
  it('names the Discord account the sign-in is for, asks, and posts the ticket back to the same path; nothing is spent', async () => {
    const net = bed.net();
    const user: TestUser = { ...freshUser('github'), globalName: 'Ada' };
    const { browserUrl } = await loginWithBrowserButton(net, 'github', user);
    const page = await confirmation(browserUrl);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Link your GitHub account to the Discord account <strong>@${user.username}</strong> (Ada)?`);
    expect(page.text).toContain('Continue only if you started this yourself in Discord; otherwise close this page.');
    expect(page.text).toContain('<button type="submit">Continue with GitHub</button>');
    expect(page).toMatchObject({ action: 'https://bot.example/auth/github/start', ticket: ticketOf(browserUrl) });
    expect(Object.fromEntries(page.headers)).toMatchObject({
      // No other site may frame it and have the button clicked unseen.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      // A browser sends `Origin: null` with a form under no-referrer; same-origin keeps the real Origin.
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'content-language': 'en',
    });
    expect(page.headers.get('set-cookie')).toBeNull();
    // Opening it again shows the same page: the ticket is spent only by the form.
    expect((await confirmation(browserUrl)).ticket).toBe(page.ticket);
    expect(net.to(providers.github.token())).toHaveLength(0);
  });

  it("in the browser's language", async () => {
    const user = freshUser('facebook');
    const { browserUrl } = await loginWithBrowserButton(bed.net(), 'facebook', user);
    const page = await confirmation(browserUrl, { 'accept-language': 'de-DE,de;q=0.9' });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Dein Facebook-Konto mit dem Discord-Konto <strong>@${user.username}</strong> verknüpfen?`);
    expect(page.text).toContain('Weiter mit Facebook');
    expect(page.headers.get('content-language')).toBe('de');
  });

  it("escapes the Discord user's names", async () => {
    const user: TestUser = { ...freshUser('evil'), globalName: '<img src=x onerror=alert(1)>"&\'' };
    const { browserUrl } = await loginWithBrowserButton(bed.net(), 'facebook', user);
    const page = await confirmation(browserUrl);
    expect(page.text).toContain(`<strong>@${user.username}</strong> (&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;)`);
    expect(page.text).not.toContain('<img');
  });

  it('a used ticket is a 400, a finished login a 409, a damaged ticket or another provider a 400', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net);
    await start(browserUrl, user);
    expect(await pageOf(await get(browserUrl))).toMatchObject({ status: 400, text: expect.stringContaining('already used') });
    const next = await loginWithBrowserButton(net, 'facebook', user);
    expect(await pageOf(await get(browserUrl))).toMatchObject({ status: 409, text: expect.stringContaining('already finished') });
    expect((await get(next.browserUrl.replace(/t=[0-9a-f]{4}/, 't=zzzz'))).status).toBe(400);
    expect((await get(next.browserUrl.replace('/facebook/', '/github/'))).status).toBe(400);
    expect((await confirmation(next.browserUrl)).status).toBe(200);
  });
});

describe('POST /auth/<provider>/start: the confirmed start', () => {
  it('Facebook: 302 to the dialog with the exact redirect URI, state, PKCE S256; a cookie binding this browser', async () => {
    const { user, browserUrl } = await loginWithBrowserButton(bed.net());
    const { location, setCookie } = await start(browserUrl, user);
    expect(`${location.origin}${location.pathname}`).toBe('https://www.facebook.com/v25.0/dialog/oauth');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: env.FACEBOOK_APP_ID,
      redirect_uri: 'https://bot.example/auth/facebook/callback',
      state: expect.stringMatching(/^[0-9a-f]{64}\.[A-Za-z0-9_-]{22}$/),
      response_type: 'code',
      scope: 'public_profile',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(setCookie).toMatch(/^login_browser=[A-Za-z0-9_-]{43}; Max-Age=900; Path=\/auth\/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('an OpenID provider: its authorization endpoint by discovery, with a nonce', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net(), 'oidc');
    const { location } = await start(browserUrl);
    expect(`${location.origin}${location.pathname}`).toBe(`${env.OIDC_ISSUER}/auth`);
    expect(location.searchParams.get('redirect_uri')).toBe('https://bot.example/auth/oidc/callback');
    expect(location.searchParams.get('scope')).toBe('openid profile');
    expect(location.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('Google: the "Web application" client (not the device flow\'s) at the discovered authorization endpoint', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net(), 'google');
    const { location } = await start(browserUrl);
    expect(`${location.origin}${location.pathname}`).toBe(`${env.GOOGLE_ISSUER}/o/oauth2/v2/auth`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: env.GOOGLE_WEB_CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'https://bot.example/auth/google/callback',
      scope: 'openid email profile',
      state: expect.stringMatching(/^[0-9a-f]{64}\.[A-Za-z0-9_-]{22}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
  });

  it('the ticket works once: a second start is refused, and so are a damaged ticket and another provider', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net());
    const path = startPath(browserUrl);
    const ticket = ticketOf(browserUrl);
    await start(browserUrl);
    expect(await pageOf(await post(path, new URLSearchParams({ t: ticket })))).toMatchObject({ status: 400, text: expect.stringContaining('already used'), referrer: 'no-referrer' });
    expect(await pageOf(await get(browserUrl))).toMatchObject({ status: 400, text: expect.stringContaining('already used'), referrer: 'no-referrer' });
    expect((await post(path, new URLSearchParams({ t: `zzzz${ticket.slice(4)}` }))).status).toBe(400);
    expect((await post(path.replace('/facebook/', '/github/'), new URLSearchParams({ t: ticket }))).status).toBe(400);
    expect((await post(path, new URLSearchParams({})))).toMatchObject({ status: 400 });
    expect((await post(path, new URLSearchParams({ t: `${'0'.repeat(64)}.AAAAAAAAAAAAAAAAAAAAAA` }))).status).toBe(400);
    expect((await get('https://bot.example/auth/facebook/start')).status).toBe(400);
    expect((await get(`https://bot.example/auth/facebook/start?t=${'0'.repeat(64)}.AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(400);
  });

  it('a provider the bot does not offer in the browser is a 404; the redirect target is always the configured provider', async () => {
    expect((await get('https://bot.example/auth/evil/start?t=x')).status).toBe(404);
    expect((await post('https://bot.example/auth/evil/start', new URLSearchParams({ t: 'x' }))).status).toBe(404);
    const { browserUrl } = await loginWithBrowserButton(bed.net());
    const { location } = await start(`${browserUrl}&redirect_uri=https://evil.example/`);
    expect(location.origin).toBe('https://www.facebook.com');
    expect(location.searchParams.get('redirect_uri')).toBe('https://bot.example/auth/facebook/callback');
  });

  it.each([
    ['a form on another site (its Origin)', { ...FORM, origin: 'https://evil.example' }],
    ['a form whose Origin is hidden (null: a sandboxed or no-referrer page)', { ...FORM, origin: 'null' }],
    ['another scheme or port of the same host', { ...FORM, origin: 'http://bot.example' }],
    ['a cross-site fetch without Origin (Sec-Fetch-Site)', { ...FORM, 'sec-fetch-site': 'cross-site' }],
  ])('%s: a 403 page, and the ticket stays good for its owner', async (_what, headers) => {
    const { user, browserUrl } = await loginWithBrowserButton(bed.net());
    const response = await post(startPath(browserUrl), new URLSearchParams({ t: ticketOf(browserUrl) }), headers);
    expect(await pageOf(response)).toMatchObject({ status: 403, text: expect.stringContaining('not sent from this site'), csp: expect.stringContaining("default-src 'none'") });
    expect(response.headers.get('set-cookie')).toBeNull();
    await start(browserUrl, user);
  });

  it('other methods: 405 with Allow', async () => {
    const put = await exports.default.fetch('https://bot.example/auth/facebook/start', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect((await exports.default.fetch('https://bot.example/auth/facebook/callback', { method: 'POST' })).headers.get('allow')).toBe('GET');
  });

  it('only a small urlencoded form: another content type is a 415, a large body a 400; the ticket stays good', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net());
    const path = startPath(browserUrl);
    const ticket = ticketOf(browserUrl);
    const origin = { origin: 'https://bot.example' };
    expect((await post(path, JSON.stringify({ t: ticket }), { ...origin, 'content-type': 'application/json' })).status).toBe(415);
    expect((await post(path, `t=${ticket}`, { ...origin, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(path, new URLSearchParams({ t: ticket, pad: 'x'.repeat(2_000) }))).status).toBe(400);
    // A browser's form, charset parameter and all, without Sec-Fetch-Site (older browsers) is fine.
    const response = await post(path, `t=${encodeURIComponent(ticket)}`, { ...origin, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' });
    expect(response.status).toBe(302);
    expect(await confirmation(browserUrl)).toMatchObject({ status: 400 });
  });
});

describe('GET /auth/<provider>/callback', () => {
  it('Facebook: exchanges the code with the verifier of the challenge, links, edits the message at once, and stops polling the device code', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net);
    const { location, cookie } = await start(browserUrl, user);
    net.script(EXCHANGE, () => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer', expires_in: 5183944 }));
    net.script(ROUTES.me, facebook.profile);
    const response = await callback('facebook', { code: 'AQDcode', state: location.searchParams.get('state')! }, cookie);
    const page = await pageOf(response);
    expect(page).toMatchObject({ status: 200, text: expect.stringContaining('Signed in as Ada Lovelace'), referrer: 'no-referrer' });
    expect(page.text).toContain('you can close this tab'.replace('you', 'You'));
    expect(page.csp).toContain("default-src 'none'");
    const [exchange] = net.to(EXCHANGE);
    const form = Object.fromEntries(exchange!.params);
    expect(form).toEqual({
      client_id: env.FACEBOOK_APP_ID,
      redirect_uri: 'https://bot.example/auth/facebook/callback',
      client_secret: env.FACEBOOK_APP_SECRET,
      code: 'AQDcode',
      code_verifier: expect.any(String),
    });
    expect(exchange!.url.search).toBe('');
    expect(await oauth.calculatePKCECodeChallenge(form.code_verifier!)).toBe(location.searchParams.get('code_challenge'));
    expect(await linkOf(user.id)).toMatchObject({ subject: '10229876543210987', name: 'Ada Lovelace' });
    // The alarm that sends the final message is due now, not an interval later.
    expect(await runAlarm(user)).toBe(true);
    expect(titlesFor(net, token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
    advanceClock(60_000);
    expect(await runAlarm(user)).toBe(false);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
  });

  it('while the code is being exchanged, the device code is not polled (the alarm due meanwhile skips the poll)', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net);
    const { location, cookie } = await start(browserUrl, user);
    const exchange = held();
    net.script(EXCHANGE, exchange.responder);
    net.script(ROUTES.me, facebook.profile);
    const answered = callback('facebook', { code: 'AQDcode', state: location.searchParams.get('state')! }, cookie);
    await exchange.arrived;
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
    exchange.release(() => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer' }));
    expect((await answered).status).toBe(200);
    expect(await linkOf(user.id)).toMatchObject({ name: 'Ada Lovelace' });
  });

  it('an OpenID provider: code, verifier and redirect URI at the token endpoint, the nonce checked in the ID token', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net, 'oidc');
    const { location, cookie } = await start(browserUrl, user);
    net.script(providers.oidc.token(), providers.oidc.success({ nonce: location.searchParams.get('nonce'), name: 'Ada Lovelace' }));
    net.always(providers.oidc.revoke(), () => new Response(null, { status: 200 }));
    const response = await callback('oidc', { code: 'oidc-code', state: location.searchParams.get('state')!, iss: env.OIDC_ISSUER! }, cookie);
    expect(response.status).toBe(200);
    const [exchange] = net.to(providers.oidc.token());
    expect(Object.fromEntries(exchange!.params)).toMatchObject({
      grant_type: 'authorization_code',
      code: 'oidc-code',
      redirect_uri: 'https://bot.example/auth/oidc/callback',
      code_verifier: expect.any(String),
      client_id: env.OIDC_CLIENT_ID,
    });
    expect(await linkOf(user.id, 'oidc')).toMatchObject({ subject: '248289761001' });
  });

  it('Google: the code exchanged and the token given back as the "Web application" client; the ID token is for it', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net, 'google');
    const { location, cookie } = await start(browserUrl, user);
    net.script(providers.google.token(), providers.google.webSuccess({ nonce: location.searchParams.get('nonce') }));
    net.script(providers.google.revoke(), () => new Response(null, { status: 200 }));
    const response = await callback('google', { code: '4/0Acode', state: location.searchParams.get('state')!, scope: 'openid email profile' }, cookie);
    expect(response.status).toBe(200);
    const [exchange] = net.to(providers.google.token());
    const form = Object.fromEntries(exchange!.params);
    expect(form).toEqual({
      grant_type: 'authorization_code',
      code: '4/0Acode',
      redirect_uri: 'https://bot.example/auth/google/callback',
      code_verifier: expect.any(String),
      client_id: env.GOOGLE_WEB_CLIENT_ID,
      client_secret: env.GOOGLE_WEB_CLIENT_SECRET,
    });
    expect(await oauth.calculatePKCECodeChallenge(form.code_verifier!)).toBe(location.searchParams.get('code_challenge'));
    expect(await linkOf(user.id, 'google')).toMatchObject({ subject: '110248495921238986420', name: 'Ada Lovelace' });
    const [revoke] = net.to(providers.google.revoke());
    expect(Object.fromEntries(revoke!.params)).toEqual({
      token: ACCESS,
      token_type_hint: 'access_token',
      client_id: env.GOOGLE_WEB_CLIENT_ID,
      client_secret: env.GOOGLE_WEB_CLIENT_SECRET,
    });
  });

  it("Google: an ID token for the device flow's client (aud) is refused at the browser callback: nothing linked", async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net, 'google');
    const { location, cookie } = await start(browserUrl, user);
    net.script(providers.google.token(), providers.google.success({ nonce: location.searchParams.get('nonce') }));
    const response = await callback('google', { code: '4/0Acode', state: location.searchParams.get('state')! }, cookie);
    expect(response.status).toBe(400);
    expect(await linkOf(user.id, 'google')).toBeNull();
    await runAlarm(user);
    expect(titlesFor(net, token).at(-1)).toBe('Login failed');
  });

  it('an ID token with another nonce is refused: a 400 page, nothing linked, the message says the login failed', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net, 'oidc');
    const { location, cookie } = await start(browserUrl, user);
    net.script(providers.oidc.token(), providers.oidc.success({ nonce: 'another-nonce', name: 'Ada' }));
    const response = await callback('oidc', { code: 'oidc-code', state: location.searchParams.get('state')! }, cookie);
    expect(response.status).toBe(400);
    expect(await linkOf(user.id, 'oidc')).toBeNull();
    await runAlarm(user);
    expect(titlesFor(net, token).at(-1)).toBe('Login failed');
  });

  it('error=access_denied: a 400 page, nothing linked, and the message says declined', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net);
    const { location, cookie } = await start(browserUrl, user);
    const state = location.searchParams.get('state')!;
    const response = await callback('facebook', { error: 'access_denied', error_code: '200', error_reason: 'user_denied', state }, cookie);
    expect(await pageOf(response)).toMatchObject({ status: 400, text: expect.stringContaining('declined') });
    expect(await linkOf(user.id)).toBeNull();
    await runAlarm(user);
    expect(titlesFor(net, token)).toEqual(['Log in with Facebook', 'Login declined']);
  });

  it('a code the provider refuses to exchange (used): a 400 page, nothing linked, the message says the login failed', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net);
    const { location, cookie } = await start(browserUrl, user);
    net.script(EXCHANGE, () => json(400, { error: { message: 'This authorization code has been used.', type: 'OAuthException', code: 100, error_subcode: 36009 } }));
    const response = await callback('facebook', { code: 'used', state: location.searchParams.get('state')! }, cookie);
    expect(await pageOf(response)).toMatchObject({ status: 400, text: expect.stringContaining('Login failed') });
    expect(await linkOf(user.id)).toBeNull();
    await runAlarm(user);
    expect(titlesFor(net, token).at(-1)).toBe('Login failed');
  });

  it('GitHub: who logged in is read again at once after a transient failure, then linked', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net, 'github');
    const { location, cookie } = await start(browserUrl);
    net.script(providers.github.token(), providers.github.success());
    net.script(providers.github.user(), () => json(503, { message: 'Service unavailable' }), providers.github.profile());
    net.always(GITHUB_GRANT(), () => new Response(null, { status: 204 }));
    const response = await callback('github', { code: 'gh-code', state: location.searchParams.get('state')! }, cookie);
    expect(response.status).toBe(200);
    expect(net.to(providers.github.user())).toHaveLength(2);
    expect(await linkOf(user.id, 'github')).toMatchObject({ subject: '583231' });
    expect(net.to(GITHUB_GRANT())).toHaveLength(1);
  });

  it('GitHub: a token whose owner cannot be read is still given back, and nothing is linked', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net, 'github');
    const { location, cookie } = await start(browserUrl);
    net.script(providers.github.token(), providers.github.success());
    net.always(providers.github.user(), () => json(401, { message: 'Bad credentials' }));
    net.always(GITHUB_GRANT(), () => new Response(null, { status: 204 }));
    const response = await callback('github', { code: 'gh-code', state: location.searchParams.get('state')! }, cookie);
    expect(response.status).toBe(400);
    expect(await linkOf(user.id, 'github')).toBeNull();
    expect(net.to(GITHUB_GRANT())).toHaveLength(1);
  });

  it('the provider down at the exchange (a 5xx): a 502 page, nothing linked, the message says the login failed', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net, 'google');
    const { location, cookie } = await start(browserUrl, user);
    net.script(providers.google.token(), () => json(503, { error: 'temporarily_unavailable' }));
    const response = await callback('google', { code: 'g-code', state: location.searchParams.get('state')! }, cookie);
    expect(await pageOf(response)).toMatchObject({ status: 502, text: expect.stringContaining('Login failed') });
    expect(await linkOf(user.id, 'google')).toBeNull();
    await runAlarm(user);
    expect(titlesFor(net, token).at(-1)).toBe('Login failed');
  });

  it.each([
    ['invalid_scope', 400],
    ['server_error', 502],
  ] as const)('error=%s at the callback: a %i page, nothing linked', async (error, status) => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net);
    const { location, cookie } = await start(browserUrl, user);
    const response = await callback('facebook', { error, state: location.searchParams.get('state')! }, cookie);
    expect(response.status).toBe(status);
    expect(await linkOf(user.id)).toBeNull();
  });

  /** A started browser login and what a genuine callback would carry. */
  async function startedLogin() {
    const net = bed.net();
    const login_ = await loginWithBrowserButton(net);
    const started = await start(login_.browserUrl, login_.user);
    return { net, ...login_, state: started.location.searchParams.get('state')!, cookie: started.cookie };
  }

  /** Nothing linked, no message edited beyond the code message, no exchange attempted. */
  async function expectNothingDone(l: Awaited<ReturnType<typeof startedLogin>>) {
    expect(await linkOf(l.user.id)).toBeNull();
    expect(l.net.to(EXCHANGE)).toHaveLength(0);
    expect(titlesFor(l.net, l.token)).toEqual(['Log in with Facebook']);
  }

  it.each([
    ['a missing state', (l: { state: string; cookie: string }) => callback('facebook', { code: 'c' }, l.cookie), 400],
    ['a forged state (the right object, another random part)', (l: { state: string; cookie: string }) => callback('facebook', { code: 'c', state: `${l.state.slice(0, 65)}${'A'.repeat(22)}` }, l.cookie), 400],
    ['a missing cookie', (l: { state: string; cookie: string }) => callback('facebook', { code: 'c', state: l.state }), 400],
    ['a wrong cookie (another browser)', (l: { state: string; cookie: string }) => callback('facebook', { code: 'c', state: l.state }, 'login_browser=someone-elses-cookie'), 400],
    ['neither code nor error', (l: { state: string; cookie: string }) => callback('facebook', { state: l.state }, l.cookie), 400],
    ['the callback of another provider', (l: { state: string; cookie: string }) => callback('google', { code: 'c', state: l.state }, l.cookie), 400],
  ] as const)('%s: a 4xx page, nothing linked, nothing edited', async (_what, send, status) => {
    const l = await startedLogin();
    const response = await send(l);
    expect(await pageOf(response)).toMatchObject({ status, csp: expect.stringContaining("default-src 'none'"), referrer: 'no-referrer' });
    await expectNothingDone(l);
  });

  it('a reused state: the second callback is refused and changes nothing', async () => {
    const l = await startedLogin();
    l.net.script(EXCHANGE, () => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer' }));
    l.net.script(ROUTES.me, facebook.profile);
    expect((await callback('facebook', { code: 'c', state: l.state }, l.cookie)).status).toBe(200);
    const again = await callback('facebook', { code: 'c2', state: l.state }, l.cookie);
    expect(again.status).toBe(409);
    expect(l.net.to(EXCHANGE)).toHaveLength(1);
  });

  it('a callback for a login that a newer /login replaced: "this login already finished", nothing linked', async () => {
    const l = await startedLogin();
    await postInteraction(commandInteraction('login', l.user));
    const response = await callback('facebook', { code: 'c', state: l.state }, l.cookie);
    expect(await pageOf(response)).toMatchObject({ status: 409, text: expect.stringContaining('already finished') });
    expect(await linkOf(l.user.id)).toBeNull();
  });

  it('the device path won first: a late browser callback gets "this login already finished"', async () => {
    const l = await startedLogin();
    l.net.script(ROUTES.loginStatus, facebook.token);
    l.net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(l.user);
    expect(titlesFor(l.net, l.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
    const response = await callback('facebook', { code: 'c', state: l.state }, l.cookie);
    expect(response.status).toBe(409);
    expect(l.net.to(EXCHANGE)).toHaveLength(0);
  });

  it('a login past its 15 minutes: the callback is refused', async () => {
    const l = await startedLogin();
    advanceClock(15 * 60_000);
    await runAlarm(l.user);
    expect((await callback('facebook', { code: 'c', state: l.state }, l.cookie)).status).toBe(409);
    expect(await linkOf(l.user.id)).toBeNull();
  });
});
