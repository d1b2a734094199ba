/**
 * The browser login (authorization code grant with PKCE) end to end: the real Worker under `wrangler dev` (one
 * for the file, PUBLIC_BASE_URL = its own URL) against the Discord stand-in and every provider stand-in, each
 * with `{worker}/auth/<provider>/callback` registered (oidc-provider for `oidc`). For each provider: /login →
 * the code message's "in the browser" button → /auth/<provider>/start (a page naming the Discord account; its
 * form POSTs back and gets the 302 to the provider with the exact redirect_uri, state, PKCE S256, nonce for
 * OpenID providers, and the login cookie) → the person approves on the
 * stand-in's page → the callback on the Worker with the cookie → "Signed in as" → the message says "Logged in
 * as" → /whoami lists the link → the device code is never polled again. Then what goes wrong or is attacked:
 * a decline, a callback twice at once and replayed, a callback from another browser, a used code spliced into
 * a new login, the device path or Cancel winning first, the button opened twice, the form posted from another
 * site, an account linked elsewhere,
 * oidc-provider's real PKCE and nonce checks (tampered code_challenge, nonce, state), and last a wrangler dev
 * crash between start and callback.
 *
 * Tests run concurrently; each has its own Discord user (its own LoginSession) and its own person at the
 * provider. "Not polled again" is timed by a marker: another login of the same provider, polled three times
 * after the callback (two intervals with the Worker's alarms running), during which the finished login's
 * device code must get no poll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProviderStandins, type ProviderStandinId, type ProviderStandins } from '../../scripts/lib/provider-standins.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordMessage, type DiscordStandin, type DiscordUser } from '../../scripts/standins/discord.ts';
import type { FacebookStandin } from '../../scripts/standins/facebook.ts';
import type { GitHubStandin } from '../../scripts/standins/github.ts';
import type { GoogleStandin } from '../../scripts/standins/google.ts';
import type { MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import type { OidcStandin } from '../../scripts/standins/oidc.ts';
import { Browser, type Page } from '../support/node/browser.ts';
import { cancelIdOf, embedOf, linkOf, loginShowingCode, messageTitled, titleOf, userFactory, whoami } from '../support/node/login-messages.ts';

const INTERVAL_SECONDS = 1;
const OIDC_NAME = 'Example SSO';
const COOKIE = 'login_browser';
/** How the Worker names its state and tickets: the LoginSession's id, a dot, a random part. */
const HANDLE = /^[0-9a-f]{64}\.[A-Za-z0-9_-]{16,64}$/;
/** RFC 7636: S256 of a verifier is 32 bytes, 43 base64url characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

let discord: DiscordStandin;
let standins: ProviderStandins;
let worker: WorkerHandle;
let facebook: FacebookStandin;
let github: GitHubStandin;
let google: GoogleStandin;
let microsoft: MicrosoftStandin;
let oidc: OidcStandin;
const newUser = userFactory(730_000_000_000_000_000n, 'browser');
/** Authorization endpoints by discovery (the OpenID providers), filled in beforeAll. */
const discovered: Partial<Record<ProviderStandinId, string>> = {};
/** Durable Object and D1 state, kept across the restart test's kill. */
const persistTo = mkdtempSync(join(tmpdir(), 'browser-login-e2e-'));

/** The Worker on `port` (default: a free one); a restart passes the old port, so its URL and redirect URIs stay. */
async function start(port?: number): Promise<WorkerHandle> {
  const handle = await startWorker({
    persistTo,
    ...(port === undefined ? {} : { port }),
    vars: (url) => {
      for (const id of standins.ids) standins[id]!.allowRedirectUri(`${url}/auth/${id}/callback`);
      return workerVarsFor({ discord, ...standins, oidcName: OIDC_NAME, publicBaseUrl: url });
    },
  });
  discord.setInteractionsUrl(`${handle.url}/interactions`);
  return handle;
}

beforeAll(async () => {
  discord = await startDiscordStandin();
  standins = await startProviderStandins({ intervalSeconds: INTERVAL_SECONDS });
  ({ facebook, github, google, microsoft, oidc } = standins as Required<ProviderStandins>);
  worker = await start();
  const metadata = async (url: string) => ((await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as { authorization_endpoint: string }).authorization_endpoint;
  discovered.google = await metadata(`${google.url}/.well-known/openid-configuration`);
  discovered.microsoft = await metadata(`${microsoft.url}/common/v2.0/.well-known/openid-configuration`);
  discovered.oidc = await metadata(`${oidc.issuer}/.well-known/openid-configuration`);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await standins?.close();
  rmSync(persistTo, { recursive: true, force: true });
});

// ---- Each provider, described once ---------------------------------------------------------------------------

/** What every provider stand-in shows of its device logins. */
interface DeviceLogins {
  deviceLogin(userCode: string): { polls: number[] } | undefined;
  waitForDeviceLogin(match: (login: { userCode: string; polls: number[] }) => boolean, timeoutMs?: number): Promise<unknown>;
}

interface ProviderCase {
  id: ProviderStandinId;
  /** What users see: "Log in with <name>". */
  name: string;
  openId: boolean;
  authorizationEndpoint(): string;
  clientId(): string;
  /** The person's part at the provider: resolves with the Location back to the Worker. */
  authorize(url: string, person: string, decision: 'approve' | 'decline'): Promise<string>;
  /** The account id the Worker links for `person`. */
  subject(person: string): string;
  /** Whether the stand-in exchanged the code it issued for `state` (undefined where it cannot tell: oidc-provider). */
  exchanged(state: string): boolean | undefined;
  device(): DeviceLogins;
}

const oauthExchanged = (standin: GitHubStandin | GoogleStandin | MicrosoftStandin) => (state: string) => {
  const authorization = standin.authorizations().find((a) => a.state === state);
  if (!authorization) throw new Error(`the stand-in saw no authorization request with this state`);
  return authorization.redeemedAt !== undefined;
};

const CASES: ProviderCase[] = [
  {
    id: 'facebook',
    name: 'Facebook',
    openId: false,
    authorizationEndpoint: () => `${facebook.url}${new URL(facebook.graphUrl).pathname}/dialog/oauth`,
    clientId: () => facebook.appId,
    authorize: (url, person, decision) => facebook.authorize(url, { name: person }, decision),
    subject: (person) => facebook.userIdFor(person),
    exchanged(state) {
      const login = facebook.redirectLogins().find((l) => l.state === state);
      if (!login) throw new Error('Facebook saw no dialog decision with this state');
      return login.exchangedAt !== undefined;
    },
    device: () => facebook as unknown as DeviceLogins,
  },
  {
    id: 'github',
    name: 'GitHub',
    openId: false,
    authorizationEndpoint: () => `${github.url}/login/oauth/authorize`,
    clientId: () => github.clientId,
    authorize: (url, person, decision) => github.authorize(url, { name: person }, decision),
    subject: (person) => github.userIdFor(person),
    exchanged: (state) => oauthExchanged(github)(state),
    device: () => github as unknown as DeviceLogins,
  },
  {
    id: 'google',
    name: 'Google',
    openId: true,
    authorizationEndpoint: () => discovered.google!,
    // Google's browser login is the "Web application" client's; the device flow keeps the TV client.
    clientId: () => google.webClient!.clientId,
    authorize: (url, person, decision) => google.authorize(url, { name: person }, decision),
    subject: (person) => google.account(person).sub,
    exchanged: (state) => oauthExchanged(google)(state),
    device: () => google as unknown as DeviceLogins,
  },
  {
    id: 'microsoft',
    name: 'Microsoft',
    openId: true,
    authorizationEndpoint: () => discovered.microsoft!,
    clientId: () => microsoft.clientId,
    authorize: (url, person, decision) => microsoft.authorize(url, { name: person }, decision),
    subject: (person) => microsoft.account(person).sub,
    exchanged: (state) => oauthExchanged(microsoft)(state),
    device: () => microsoft as unknown as DeviceLogins,
  },
  {
    id: 'oidc',
    name: OIDC_NAME,
    openId: true,
    authorizationEndpoint: () => discovered.oidc!,
    clientId: () => oidc.clientId,
    // oidc-provider's own pages: its devInteractions login (an unknown login becomes a person of that name), then
    // consent or cancel.
    authorize: (url, person, decision) => oidc.authorize(url, person, decision),
    subject: (person) => oidc.subFor(person),
    exchanged: () => undefined,
    device: () => oidc as unknown as DeviceLogins,
  },
];
const caseOf = (id: ProviderStandinId) => CASES.find((c) => c.id === id)!;

/** Every ticket, cookie, state and code the tests saw: none may appear in the Worker's log. */
const secretsSeen = new Set<string>();

/** A person at the provider no other test uses (linking one account to two Discord users would move the link). */
let nextPerson = 0;
const newPerson = (first: string) => `${first} ${++nextPerson}`;

// ---- Driving the login ---------------------------------------------------------------------------------------

interface Button {
  style: number;
  label?: string;
  url?: string;
}
const buttonsOf = (message: DiscordMessage) => ((message.components[0] as { components?: Button[] } | undefined)?.components ?? []) as Button[];

interface Started {
  user: DiscordUser;
  messageId: string;
  userCode: string;
  browser: Browser;
  /** The button's URL (single use). */
  startUrl: string;
  /** Where the Worker sent the browser: the provider's authorization endpoint. */
  authorizationUrl: string;
  state: string;
}

/** The confirmation page's form: where it posts and the ticket it carries. */
function formOf(page: Page): { action: string; ticket: string } {
  const form = /<form method="post" action="([^"]+)"><input type="hidden" name="t" value="([^"]+)">/.exec(page.text);
  expect(form, page.text.slice(0, 300)).not.toBeNull();
  return { action: form![1]!, ticket: form![2]! };
}

/**
 * `/login provider:<id>` for a new user, then the browser button, opened in a new browser: checks everything the
 * start page promises (it names the user's Discord account and spends nothing; its form: one redirect, to the
 * configured provider only, with the exact parameters; the cookie).
 */
async function startInBrowser(c: ProviderCase): Promise<Started> {
  const user = newUser();
  const { messageId, message, userCode } = await loginShowingCode(discord, user, c.name, c.id);
  const button = buttonsOf(message).find((b) => b.style === 5 && b.label === `Sign in with ${c.name} in the browser`);
  expect(button, 'the code message has the browser button').toBeDefined();
  const startUrl = new URL(button!.url!);
  expect(`${startUrl.origin}${startUrl.pathname}`).toBe(`${worker.url}/auth/${c.id}/start`);
  expect(startUrl.searchParams.get('t')).toMatch(HANDLE);
  expect(linkOf(message), 'the device link stays the first link button').not.toBe(startUrl.href);

  const browser = new Browser(worker.url);
  const confirmation = await browser.get(startUrl.href);
  // On loopback (as here) the page may be framed: the playground shows it in its phone.
  expectWorkerPage(confirmation, 200, 'Check before you continue', 'same-origin');
  expect(confirmation.text).toContain(`Link your ${c.name} account to the Discord account <strong>@${user.username}</strong>`);
  expect(confirmation.setCookies).toEqual([]);
  const form = formOf(confirmation);
  expect(form).toEqual({ action: `${worker.url}/auth/${c.id}/start`, ticket: startUrl.searchParams.get('t') });
  const start = await browser.post(form.action, { t: form.ticket });
  expect(start.status).toBe(302);
  expect(start.headers.get('referrer-policy')).toBe('no-referrer');
  expect(start.headers.get('cache-control')).toBe('no-store');
  const setCookie = start.setCookies.find((header) => header.startsWith(`${COOKIE}=`));
  expect(setCookie).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{32,}; Max-Age=900; Path=/auth/; HttpOnly; SameSite=Lax$`));
  expect(browser.cookie(COOKIE)).toBeDefined();
  secretsSeen.add(browser.cookie(COOKIE)!).add(startUrl.searchParams.get('t')!);

  const location = new URL(start.location!);
  expect(`${location.origin}${location.pathname}`).toBe(c.authorizationEndpoint());
  const params = location.searchParams;
  expect(params.get('client_id')).toBe(c.clientId());
  expect(params.get('response_type')).toBe('code');
  expect(params.get('redirect_uri')).toBe(`${worker.url}/auth/${c.id}/callback`);
  expect(params.get('state')).toMatch(HANDLE);
  expect(params.get('code_challenge_method')).toBe('S256');
  expect(params.get('code_challenge')).toMatch(S256_CHALLENGE);
  if (c.openId) expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  else expect(params.has('nonce')).toBe(false);
  // The state is not the ticket: the ticket is spent, the state is new.
  expect(params.get('state')).not.toBe(startUrl.searchParams.get('t'));
  return { user, messageId, userCode, browser, startUrl: startUrl.href, authorizationUrl: location.href, state: params.get('state')! };
}

/** Checks that `location` leads back to this Worker's callback for `c`, carrying `state`. */
function expectCallback(c: ProviderCase, location: string, state: string): URL {
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(`${worker.url}/auth/${c.id}/callback`);
  expect(url.searchParams.get('state')).toBe(state);
  for (const name of ['state', 'code']) if (url.searchParams.get(name)) secretsSeen.add(url.searchParams.get(name)!);
  return url;
}

/** A page of the Worker's: strict CSP, no referrer (the confirmation page: only to the site itself), not cached. */
function expectWorkerPage(page: Page, status: number, title: string, referrerPolicy = 'no-referrer'): void {
  expect(page.status, page.text.slice(0, 300)).toBe(status);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
  expect(page.headers.get('referrer-policy')).toBe(referrerPolicy);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.text).toContain(`<h1>${title}</h1>`);
}

/** Lines of /whoami: one per link. */
const linkLines = async (user: DiscordUser) => (await whoami(discord, user)).split('\n').filter((line) => line.startsWith('- '));

/** One login per provider that nobody finishes, whose polls time the "no poll since" checks. */
const markers = new Map<ProviderStandinId, Promise<string>>();
function markerFor(c: ProviderCase): Promise<string> {
  let marker = markers.get(c.id);
  if (!marker) markers.set(c.id, (marker = loginShowingCode(discord, newUser(), c.name, c.id).then((shown) => shown.userCode)));
  return marker;
}

/**
 * The device code `userCode` got no poll after `since`, while the marker login of the same provider was polled
 * three times after it: two full intervals went by with the Worker's alarms running.
 */
async function expectNoPollSince(c: ProviderCase, userCode: string, since: number): Promise<void> {
  const marker = await markerFor(c);
  await c.device().waitForDeviceLogin((login) => login.userCode === marker && login.polls.filter((time) => time > since).length >= 3, 15_000);
  const polls = c.device().deviceLogin(userCode)!.polls;
  expect(polls.filter((time) => time > since), 'polls of the device code after the callback').toEqual([]);
}

// ---- The tests -----------------------------------------------------------------------------------------------

describe.concurrent('browser login through wrangler dev, against every provider stand-in', () => {
  const editLatencies: Record<string, number> = {};
  afterAll(() => console.info(`callback answered -> "Logged in as" shown (ms): ${JSON.stringify(editLatencies)}`));

  it.for(CASES.map((c) => [c.id] as const))('%s: /login -> browser button -> approve -> "Signed in as", "Logged in as", /whoami; the device code is not polled again', async ([id]) => {
    const c = caseOf(id);
    const person = newPerson('Zoë Ångström');
    const started = await startInBrowser(c);
    // The ticket is single use: the same button again is refused and changes nothing.
    expectWorkerPage(await new Browser(worker.url).get(started.startUrl), 400, 'This link was already used');

    const location = await c.authorize(started.authorizationUrl, person, 'approve');
    const callback = expectCallback(c, location, started.state);
    expect(callback.searchParams.get('code')).toBeTruthy();
    // Both paths are open: the device code is being polled while the person is at the provider.
    await c.device().waitForDeviceLogin((login) => login.userCode === started.userCode && login.polls.length >= 1, 10_000);
    const page = await started.browser.get(location);
    const answeredAt = Date.now();
    expectWorkerPage(page, 200, `Signed in as ${person}`);
    expect(page.text).toContain(`<strong>${person}</strong>`);
    expect(page.setCookies.some((header) => header.startsWith(`${COOKIE}=;`) && header.includes('Max-Age=0'))).toBe(true);
    expect(started.browser.cookie(COOKIE), 'the callback clears the login cookie').toBeUndefined();

    const done = await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);
    editLatencies[id] = Date.now() - answeredAt;
    expect(done.components).toEqual([]);
    // "At once": the edit is not waiting for a polling interval.
    expect(editLatencies[id]).toBeLessThan(INTERVAL_SECONDS * 1000);
    if (c.exchanged(started.state) !== undefined) expect(c.exchanged(started.state)).toBe(true);

    const lines = await linkLines(started.user);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**${c.name}**: **${person}** (id \`${c.subject(person)}\`)`);
    // As on the device path, the token goes back to the provider before the page is answered, where it can.
    if (id === 'github') expect(github.revocations().filter((r) => r.name === person)).toHaveLength(1);
    if (id === 'google') {
      // Exchanged and given back as the web client (its token is its own: the ID token's aud, the revocation).
      expect(google.revocations().filter((r) => r.name === person)).toMatchObject([{ clientId: google.webClient!.clientId }]);
      const exchanges = google.traffic.entries().filter((e) => e.route === 'token' && e.params?.grant_type === 'authorization_code' && e.note === 'code redeemed');
      expect(exchanges.length).toBeGreaterThanOrEqual(1);
      expect(exchanges.every((e) => e.params?.client_id === google.webClient!.clientId)).toBe(true);
    }
    await expectNoPollSince(c, started.userCode, answeredAt);
  });

  it.for(CASES.map((c) => [c.id] as const))('%s: the person declines at the provider -> a 400 page, "Login declined", nothing linked, nothing exchanged', async ([id]) => {
    const c = caseOf(id);
    const started = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, newPerson('Dana Decliner'), 'decline');
    const callback = expectCallback(c, location, started.state);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.has('code')).toBe(false);
    // Without the cookie nobody can end someone else's login, not even by declining it.
    expectWorkerPage(await new Browser(worker.url).get(location), 400, 'Not the browser that started');
    expect(titleOf(discord.message(started.messageId))).toBe(`Log in with ${c.name}`);
    const page = await started.browser.get(location);
    const answeredAt = Date.now();
    expectWorkerPage(page, 400, 'Login declined');
    await messageTitled(discord, started.messageId, 'Login declined', 5_000);
    expect(await linkLines(started.user)).toEqual([]);
    if (c.exchanged(started.state) !== undefined) expect(c.exchanged(started.state)).toBe(false);
    await expectNoPollSince(c, started.userCode, answeredAt);
  });

  it('Google: the callback delivered twice at once links once; replayed later (even with the cookie) it is refused', async () => {
    const c = caseOf('google');
    const person = newPerson('Rita Replay');
    const started = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, person, 'approve');
    const cookie = started.browser.cookie(COOKIE)!;
    // The same browser, twice at once (a double click, a prefetch): exactly one wins.
    const twin = new Browser(worker.url);
    twin.setCookie(COOKIE, cookie, '/auth/');
    const [first, second] = await Promise.all([started.browser.get(location), twin.get(location)]);
    const statuses = [first.status, second.status].sort();
    expect(statuses[0]).toBe(200);
    expect([400, 409], `the other one: ${statuses[1]}`).toContain(statuses[1]);
    await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);

    // Later, with the cookie copied back in: the login is over, so no exchange is even tried.
    const replay = new Browser(worker.url);
    replay.setCookie(COOKIE, cookie, '/auth/');
    expectWorkerPage(await replay.get(location), 409, 'This login already finished');
    expect(google.authorizations().filter((a) => a.state === started.state)).toMatchObject([{ decision: 'approved', redeemedAt: expect.any(Number) }]);
    const exchanges = google.traffic.entries().filter((e) => e.route === 'token' && e.params?.grant_type === 'authorization_code' && e.params?.redirect_uri === `${worker.url}/auth/google/callback`);
    expect(exchanges.filter((e) => e.status !== 200), 'a refused code exchange at Google').toEqual([]);
    const lines = await linkLines(started.user);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**Google**: **${person}**`);
    expect(titleOf(discord.message(started.messageId))).toBe(`Logged in as ${person}`);
  });

  it('Facebook: the callback from another browser (no cookie, or another login\'s cookie) gets a 400 and links nothing; the browser that started still finishes', async () => {
    const c = caseOf('facebook');
    const person = newPerson('Carla Cookie');
    const started = await startInBrowser(c);
    const other = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, person, 'approve');

    expectWorkerPage(await new Browser(worker.url).get(location), 400, 'Not the browser that started');
    const withOtherCookie = new Browser(worker.url);
    withOtherCookie.setCookie(COOKIE, other.browser.cookie(COOKIE)!, '/auth/');
    expectWorkerPage(await withOtherCookie.get(location), 400, 'Not the browser that started');
    expect(c.exchanged(started.state), 'no exchange for a callback in the wrong browser').toBe(false);
    expect(await linkLines(started.user)).toEqual([]);
    expect(await linkLines(other.user)).toEqual([]);
    expect(titleOf(discord.message(started.messageId))).toBe('Log in with Facebook');
    expect(titleOf(discord.message(other.messageId))).toBe('Log in with Facebook');

    // The refusals spent nothing: the right browser completes the login.
    expectWorkerPage(await started.browser.get(location), 200, `Signed in as ${person}`);
    await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);
    expect(c.exchanged(started.state)).toBe(true);
    expect(await linkLines(other.user)).toEqual([]);
    expect(titleOf(discord.message(other.messageId))).toBe('Log in with Facebook');
  });

  it('GitHub: the Location replayed after success is refused before any exchange; a used code spliced into a new login is refused by GitHub, nothing linked', async () => {
    const c = caseOf('github');
    const person = newPerson('Uma Used');
    const first = await startInBrowser(c);
    const firstLocation = await c.authorize(first.authorizationUrl, person, 'approve');
    expectWorkerPage(await first.browser.get(firstLocation), 200, `Signed in as ${person}`);
    await messageTitled(discord, first.messageId, `Logged in as ${person}`, 5_000);
    const usedCode = new URL(firstLocation).searchParams.get('code')!;

    // The same Location again, in the same browser: the login is over, so no exchange is even tried.
    const refusedBefore = github.traffic.entries().filter((e) => e.route === 'access_token' && e.note === 'used').length;
    expectWorkerPage(await first.browser.get(firstLocation), 409, 'This login already finished');

    // Another user's login, whose callback carries the used code instead of its own (an injected code): state and
    // cookie are right, so the Worker exchanges, and GitHub refuses the used code.
    const second = await startInBrowser(c);
    const secondLocation = new URL(await c.authorize(second.authorizationUrl, newPerson('Victor Victim'), 'approve'));
    secondLocation.searchParams.set('code', usedCode);
    expectWorkerPage(await second.browser.get(secondLocation.href), 400, 'Login failed');
    await messageTitled(discord, second.messageId, 'Login failed', 5_000);
    expect(await linkLines(second.user)).toEqual([]);
    const refused = github.traffic.entries().filter((e) => e.route === 'access_token' && e.note === 'used');
    expect(refused, 'GitHub refused exactly one exchange of a used code: the spliced one').toHaveLength(refusedBefore + 1);
    expect(refused.at(-1)!.status).toBe(200); // GitHub's way: an error body with HTTP 200
    expect(c.exchanged(second.state), "the second login's own code was never exchanged").toBe(false);

    // The first user's link is untouched.
    const lines = await linkLines(first.user);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**GitHub**: **${person}** (id \`${github.userIdFor(person)}\`)`);
  });

  it('Microsoft: the device code wins the race: the late browser callback gets "already finished" (409) and its code is never exchanged', async () => {
    const c = caseOf('microsoft');
    const person = newPerson('Mia Device');
    const started = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, person, 'approve');
    microsoft.approve(started.userCode, { name: person });
    await messageTitled(discord, started.messageId, `Logged in as ${person}`, 10_000);
    expectWorkerPage(await started.browser.get(location), 409, 'This login already finished');
    expect(c.exchanged(started.state)).toBe(false);
    const lines = await linkLines(started.user);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**Microsoft**: **${person}**`);
  });

  it('Facebook: Cancel in Discord while the person is at Facebook: the callback gets "already finished" (409), the code is never exchanged', async () => {
    const c = caseOf('facebook');
    const started = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, newPerson('Cleo Cancel'), 'approve');
    const clicked = await discord.clickButton({ customId: cancelIdOf(discord.message(started.messageId)!)!, messageId: started.messageId, user: started.user });
    expect((clicked.body as { type: number }).type).toBe(7);
    expect(titleOf(discord.message(started.messageId))).toBe('Login cancelled');
    expectWorkerPage(await started.browser.get(location), 409, 'This login already finished');
    expect(c.exchanged(started.state)).toBe(false);
    expect(await linkLines(started.user)).toEqual([]);
  });

  it('Google: an account already linked to another Discord user, signed in again in the browser: the link moves (the device path\'s rule) and the message says so', async () => {
    const c = caseOf('google');
    const person = newPerson('Sam Shared');
    const first = await startInBrowser(c);
    expectWorkerPage(await first.browser.get(await c.authorize(first.authorizationUrl, person, 'approve')), 200, `Signed in as ${person}`);
    await messageTitled(discord, first.messageId, `Logged in as ${person}`, 5_000);
    const second = await startInBrowser(c);
    expectWorkerPage(await second.browser.get(await c.authorize(second.authorizationUrl, person, 'approve')), 200, `Signed in as ${person}`);
    const done = await messageTitled(discord, second.messageId, `Logged in as ${person}`, 5_000);
    expect(embedOf(done)?.description).toContain(`<@${first.user.id}>`);
    expect(await linkLines(first.user)).toEqual([]);
    const lines = await linkLines(second.user);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**Google**: **${person}** (id \`${google.account(person).sub}\`)`);
  });

  it('GitHub: the button opened and confirmed twice at once: one browser goes to GitHub, the other gets a 4xx page', async () => {
    const c = caseOf('github');
    const { messageId, message } = await loginShowingCode(discord, newUser(), c.name, c.id);
    const url = buttonsOf(message).find((b) => b.label === `Sign in with ${c.name} in the browser`)!.url!;
    const browsers = [new Browser(worker.url), new Browser(worker.url)];
    const forms = (await Promise.all(browsers.map((b) => b.get(url)))).map(formOf);
    const pages = await Promise.all(browsers.map((b, i) => b.post(forms[i]!.action, { t: forms[i]!.ticket })));
    const statuses = pages.map((page) => page.status).sort();
    expect(statuses[0]).toBe(302);
    expect(statuses[1]).toBe(400);
    expect(pages.find((page) => page.status === 400)!.text).toContain('<h1>This link was already used</h1>');
    expect(titleOf(discord.message(messageId))).toBe('Log in with GitHub');
  });

  it("GitHub: the button's link sent to someone else: a form on another site cannot skip the page, nothing is spent", async () => {
    const c = caseOf('github');
    const sender = newUser();
    const { messageId, message } = await loginShowingCode(discord, sender, c.name, c.id);
    const url = buttonsOf(message).find((b) => b.label === `Sign in with ${c.name} in the browser`)!.url!;
    const reader = new Browser(worker.url);
    // The page says whose Discord account it would be: the reader can see it is not theirs.
    expect((await reader.get(url)).text).toContain(`<strong>@${sender.username}</strong>`);
    const { action, ticket } = formOf(await reader.get(url));
    const forged = await reader.post(action, { t: ticket }, { from: 'https://evil.example' });
    expectWorkerPage(forged, 403, 'Not sent from this site');
    expect(reader.cookie(COOKIE)).toBeUndefined();
    expect(titleOf(discord.message(messageId))).toBe('Log in with GitHub');
    // The sender's own confirmation still works.
    expect((await new Browser(worker.url).post(action, { t: ticket })).status).toBe(302);
  });

  describe('oidc-provider really checks PKCE and the Worker really checks the nonce and the state', () => {
    it('a wrong code_verifier is refused by oidc-provider; the Worker\'s own then succeeds with the same code', async () => {
      const c = caseOf('oidc');
      const person = newPerson('Petra Pkce');
      const started = await startInBrowser(c);
      const location = await c.authorize(started.authorizationUrl, person, 'approve');
      const code = new URL(location).searchParams.get('code')!;
      const wrong = await fetch(`${oidc.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: oidc.clientId,
          code,
          redirect_uri: `${worker.url}/auth/oidc/callback`,
          code_verifier: 'a'.repeat(43),
        }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });
      // oidc-provider checks PKCE before it uses the code up: the Worker's exchange proves its verifier is right.
      expectWorkerPage(await started.browser.get(location), 200, `Signed in as ${person}`);
      await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);
      expect(await linkLines(started.user)).toHaveLength(1);
    });

    it('a code_challenge swapped in the browser: oidc-provider refuses the Worker\'s verifier -> 400, "Login failed", nothing linked', async ({ expect }) => {
      const c = caseOf('oidc');
      const started = await startInBrowser(c);
      const tampered = new URL(started.authorizationUrl);
      // The S256 challenge of a verifier the attacker knows, not the Worker's.
      tampered.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      const location = await c.authorize(tampered.href, newPerson('Tom Tamper'), 'approve');
      expectWorkerPage(await started.browser.get(location), 400, 'Login failed');
      await messageTitled(discord, started.messageId, 'Login failed', 5_000);
      expect(await linkLines(started.user)).toEqual([]);
      // wrangler forwards the Worker's console lines asynchronously: wait for it, bounded.
      await expect.poll(() => worker.output(), { timeout: 5_000 }).toMatch(/browser login failed \(oidc\): ProviderError: code exchange failed: HTTP 400 invalid_grant/);
    });

    it('a nonce swapped in the browser: oidc-provider signs it into the ID token, the Worker refuses it -> 400, "Login failed", nothing linked', async ({ expect }) => {
      const c = caseOf('oidc');
      const started = await startInBrowser(c);
      const tampered = new URL(started.authorizationUrl);
      tampered.searchParams.set('nonce', 'attacker-chosen-nonce-0123456789');
      const location = await c.authorize(tampered.href, newPerson('Nora Nonce'), 'approve');
      expectWorkerPage(await started.browser.get(location), 400, 'Login failed');
      await messageTitled(discord, started.messageId, 'Login failed', 5_000);
      expect(await linkLines(started.user)).toEqual([]);
      await expect.poll(() => worker.output(), { timeout: 5_000 }).toMatch(/browser login failed \(oidc\): ProviderError: code exchange failed: OAUTH_JWT_CLAIM_COMPARISON_FAILED/);
    });

    it('a tampered state is refused before any exchange: the genuine callback then still succeeds with the same (single-use) code', async () => {
      const c = caseOf('oidc');
      const person = newPerson('Stan State');
      const started = await startInBrowser(c);
      const location = new URL(await c.authorize(started.authorizationUrl, person, 'approve'));
      const [session, random] = started.state.split('.') as [string, string];
      const flipped = `${random.slice(0, -1)}${random.endsWith('A') ? 'B' : 'A'}`;
      const answers: Record<string, number> = {};
      for (const state of [`${session}.${flipped}`, `${session}.${random}x`, `${'0'.repeat(64)}.${random}`, '', 'nonsense']) {
        const tampered = new URL(location);
        tampered.searchParams.set('state', state);
        answers[state] = (await started.browser.get(tampered.href)).status;
      }
      // The genuine state at another provider's callback (a mix-up): refused as well.
      answers['at /auth/google/callback'] = (await started.browser.get(location.href.replace('/auth/oidc/', '/auth/google/'))).status;
      for (const [state, status] of Object.entries(answers)) expect(status, `state ${JSON.stringify(state)}`).toBe(400);
      expect(titleOf(discord.message(started.messageId))).toBe(`Log in with ${OIDC_NAME}`);
      expect(await linkLines(started.user)).toEqual([]);
      // Had any tampered callback reached oidc-provider, the code would be used up (and its tokens revoked).
      expectWorkerPage(await started.browser.get(location.href), 200, `Signed in as ${person}`);
      await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);
      expect(await linkLines(started.user)).toHaveLength(1);
    });
  });
});

// After the concurrent tests, before the restart (which starts a new log).
describe("the Worker's log", () => {
  it('holds no ticket, cookie, state or code of any login above', () => {
    expect(secretsSeen.size).toBeGreaterThan(50);
    const output = worker.output();
    expect(output).toContain('/auth/github/callback'); // it is the log of these requests
    expect([...secretsSeen].filter((secret) => output.includes(secret))).toEqual([]);
  });
});

// After the concurrent tests: it restarts the one Worker.
describe('a restart while the person is at the provider', () => {
  it('wrangler dev killed between start and callback: restarted on the same URL, the callback completes (state, cookie hash, verifier and nonce were stored)', async () => {
    const c = caseOf('oidc'); // the strictest peer: PKCE required, the nonce and iss checked
    const person = newPerson('Rex Restart');
    const started = await startInBrowser(c);
    const location = await c.authorize(started.authorizationUrl, person, 'approve');
    await worker.kill();
    worker = await start(worker.port);
    const page = await started.browser.get(location);
    const answeredAt = Date.now();
    expectWorkerPage(page, 200, `Signed in as ${person}`);
    await messageTitled(discord, started.messageId, `Logged in as ${person}`, 5_000);
    expect(await linkLines(started.user)).toHaveLength(1);
    await expectNoPollSince(c, started.userCode, answeredAt);
  }, 60_000);
});
