/**
 * The GitHub, Google and Microsoft stand-ins' pages in headless Chromium, as a person uses them: type the code
 * on the device page, pick an identity, press Authorize or Cancel; on the authorize page, pick and press, and
 * land on the app's callback with a code and the state.
 */
import * as oauth from 'oauth4webapi';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { listenOnLoopback, send, type LoopbackServer } from '../../scripts/lib/http.ts';
import { startGitHubStandin } from '../../scripts/standins/github.ts';
import { startGoogleStandin, type GoogleStandin } from '../../scripts/standins/google.ts';
import { startMicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import type { OAuthStandinBase } from '../../scripts/standins/oauth-standin.ts';
import type { Identity } from '../../scripts/standins/oauth-identities.ts';
import { call, postForm } from '../support/node/http.ts';

type Standin = OAuthStandinBase<Identity, string, { kind: string }>;

interface Provider {
  name: string;
  start(): Promise<Standin>;
  startDevice(standin: Standin): Promise<string>;
  authorizeUrl(standin: Standin, challenge: string): string;
}

const providers: Provider[] = [
  {
    name: 'GitHub',
    start: () => startGitHubStandin() as Promise<Standin>,
    startDevice: async (standin) =>
      (await call(`${standin.url}/login/device/code`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: standin.clientId }).toString(),
      })).json.user_code,
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/login/oauth/authorize?${new URLSearchParams({ client_id: standin.clientId, redirect_uri: CALLBACK, state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256' })}`,
  },
  {
    name: 'Google',
    start: () => startGoogleStandin() as Promise<Standin>,
    startDevice: async (standin) => (await postForm(`${standin.url}/device/code`, { client_id: standin.clientId, scope: 'openid' })).json.user_code,
    // The code flow takes Google's "Web application" client, not the device flow's.
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/o/oauth2/v2/auth?${new URLSearchParams({ client_id: (standin as unknown as GoogleStandin).webClient!.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email', state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256' })}`,
  },
  {
    name: 'Microsoft',
    start: () => startMicrosoftStandin() as Promise<Standin>,
    startDevice: async (standin) => (await postForm(`${standin.url}/common/oauth2/v2.0/devicecode`, { client_id: standin.clientId, scope: 'openid profile' })).json.user_code,
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/common/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: standin.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile', state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256' })}`,
  },
];

let browser: Browser;
/** The app's callback: a loopback server (Playwright cannot intercept a redirect's target). */
let app: LoopbackServer;
let CALLBACK = '';
beforeAll(async () => {
  [browser, app] = await Promise.all([
    launchChromium(),
    listenOnLoopback(async (_request, response) => send(response, 200, 'callback reached', { 'content-type': 'text/plain' })),
  ]);
  CALLBACK = `${app.url}/auth/callback`;
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe.each(providers)('$name stand-in pages in Chromium', (provider) => {
  let standin: Standin;
  let page: Page;
  beforeEach(async () => {
    standin = await provider.start();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    standin.allowRedirectUri(CALLBACK);
  });
  afterEach(async () => {
    await page?.close();
    await standin?.close();
  });

  it('device page: type the code, pick Bob, Authorize, and the login is approved as Bob', async () => {
    const userCode = await provider.startDevice(standin);
    await page.goto(standin.deviceUrl);
    await page.getByLabel('Code').fill(userCode.toLowerCase());
    await page.locator('input[name=identity][value="Bob Example"]').check();
    await page.getByRole('button', { name: 'Authorize' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Bob Example');
    expect(standin.deviceLogin(userCode)).toMatchObject({ state: 'approved', identity: { name: 'Bob Example' } });
  });

  it('device page: Cancel declines, a wrong code is shown as an alert', async () => {
    const userCode = await provider.startDevice(standin);
    await page.goto(standin.deviceUrl);
    await page.getByLabel('Code').fill('WRONG');
    await page.getByRole('button', { name: 'Authorize' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain("isn't right");
    await page.getByLabel('Code').fill(userCode);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('status').waitFor();
    expect(standin.deviceLogin(userCode)!.state).toBe('declined');
  });

  it('authorize page: pick Alice, Authorize, and the browser lands on the callback with a code and the state', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    await page.goto(provider.authorizeUrl(standin, await oauth.calculatePKCECodeChallenge(verifier)));
    await expect(page.title()).resolves.toContain(provider.name);
    await page.locator('input[name=identity][value="Alice Example"]').check();
    await Promise.all([page.waitForURL(`${CALLBACK}**`), page.getByRole('button', { name: 'Authorize' }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('st4te');
    expect(landed.searchParams.get('code')).toBeTruthy();
    expect(standin.authorizations()).toMatchObject([{ decision: 'approved', identity: { name: 'Alice Example' } }]);
  });
});
