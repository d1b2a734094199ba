import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DEVICE_GRANT_TYPE, startGitHubStandin, type GitHubStandin } from '../../scripts/standins/github.ts';
import { AuthorizePageError } from '../../scripts/standins/oauth-standin.ts';
import { call, postForm } from '../support/node/http.ts';

const CALLBACK = 'https://bot.example/auth/github/callback';
let clock: ManualClock;
let github: GitHubStandin;

beforeEach(async () => {
  clock = manualClock(1_800_000_000_000);
  github = await startGitHubStandin({ now: clock.now, redirectUris: [CALLBACK] });
});
afterEach(() => github.close());

const as = (): oauth.AuthorizationServer => ({
  issuer: github.url,
  authorization_endpoint: `${github.url}/login/oauth/authorize`,
  token_endpoint: `${github.url}/login/oauth/access_token`,
});
const client = (): oauth.Client => ({ client_id: github.clientId });
const insecure = { [oauth.allowInsecureRequests]: true };

async function authorizeUrl(extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(`${github.url}/login/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: github.clientId,
    redirect_uri: CALLBACK,
    scope: 'read:user',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url: url.toString(), verifier, state };
}

const exchange = (params: Record<string, string>) =>
  call(`${github.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: github.clientId, client_secret: github.clientSecret, redirect_uri: CALLBACK, ...params }).toString(),
  });

describe('GitHub stand-in: the web flow', () => {
  it('shows a self-contained authorize page with the identities and a form, and no outside assets', async () => {
    const { url } = await authorizeUrl();
    const page = await call(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('<form method="post" action="/login/oauth/authorize">');
    expect(page.text).toMatch(/name="request_id" value="[\w-]{22}"/);
    for (const name of ['Alice Example', 'Bob Example', 'Zoë Ångström']) expect(page.text).toContain(`value="${name}"`);
    expect(page.text).toContain('GitHub');
    expect(page.text).not.toMatch(/<script|(src|href)=["']?(https?:)?\/\//i);
  });

  it('Authorize redirects back with code and state; the code with its verifier gives a token for that person, once', async () => {
    const { url, verifier, state } = await authorizeUrl();
    const location = await github.authorize(url, { name: 'Bob Example' }, 'approve');
    expect(location.startsWith(`${CALLBACK}?`)).toBe(true);
    const callback = new URL(location);
    expect(callback.searchParams.get('state')).toBe(state);
    const code = callback.searchParams.get('code')!;
    expect(code).toMatch(/^[0-9a-f]{20}$/);

    const first = await exchange({ code, code_verifier: verifier });
    expect([first.status, first.json]).toEqual([200, { access_token: expect.stringMatching(/^gho_/), token_type: 'bearer', scope: 'read:user' }]);
    const me = await call(`${github.apiUrl}/user`, { headers: { authorization: `Bearer ${first.json.access_token}` } });
    expect(me.json.login).toBe('bob-example');

    const second = await exchange({ code, code_verifier: verifier });
    expect([second.status, second.json]).toEqual([
      200,
      {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
      },
    ]);
    expect(github.authorizations()).toMatchObject([{ decision: 'approved', identity: { name: 'Bob Example' }, pkce: 'S256', state, redeemedAt: clock.now() }]);
  });

  it('refuses a wrong or missing code_verifier with bad_verification_code, and the right one still works', async () => {
    const { url, verifier } = await authorizeUrl();
    const code = new URL(await github.authorize(url, { name: 'Alice Example' }, 'approve')).searchParams.get('code')!;
    expect((await exchange({ code, code_verifier: oauth.generateRandomCodeVerifier() })).json.error).toBe('bad_verification_code');
    expect((await exchange({ code })).json.error).toBe('bad_verification_code');
    expect((await exchange({ code, code_verifier: verifier })).json.access_token).toMatch(/^gho_/);
  });

  it('lets a code expire after 10 minutes on the clock', async () => {
    const { url, verifier } = await authorizeUrl();
    const code = new URL(await github.authorize(url, { name: 'Alice Example' }, 'approve')).searchParams.get('code')!;
    clock.advance(600_000);
    expect((await exchange({ code, code_verifier: verifier })).json.error).toBe('bad_verification_code');
  });

  it('answers redirect_uri_mismatch and incorrect_client_credentials at the exchange, with HTTP 200', async () => {
    const { url, verifier } = await authorizeUrl();
    const code = new URL(await github.authorize(url, { name: 'Alice Example' }, 'approve')).searchParams.get('code')!;
    const mismatch = await exchange({ code, code_verifier: verifier, redirect_uri: 'https://bot.example/elsewhere' });
    expect([mismatch.status, mismatch.json]).toEqual([
      200,
      {
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#redirect-uri-mismatch2',
      },
    ]);
    const wrongSecret = await exchange({ code, code_verifier: verifier, client_secret: 'not-the-secret' });
    expect([wrongSecret.status, wrongSecret.json.error]).toEqual([200, 'incorrect_client_credentials']);
    expect((await exchange({ code, code_verifier: verifier })).json.access_token).toMatch(/^gho_/);
  });

  it('Cancel redirects back with error=access_denied and the state', async () => {
    const { url, state } = await authorizeUrl();
    const callback = new URL(await github.authorize(url, { name: 'Alice Example' }, 'decline'));
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The user has denied your application access.',
      error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
      state,
    });
  });

  it('never redirects to an unregistered redirect_uri: a 400 page instead, until the URI is allowed', async () => {
    const other = 'http://127.0.0.1:9/auth/github/callback';
    const { url } = await authorizeUrl({ redirect_uri: other });
    const raw = await fetch(url, { redirect: 'manual' });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('location')).toBeNull();
    expect(await raw.text()).toContain('The redirect_uri is not associated with this application.');
    await expect(github.authorize(url, { name: 'Alice Example' }, 'approve')).rejects.toThrow(AuthorizePageError);
    await expect(github.authorize(url, { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({ status: 400 });

    github.allowRedirectUri(other);
    expect(await github.authorize(url, { name: 'Alice Example' }, 'approve')).toMatch(/^http:\/\/127\.0\.0\.1:9\/auth\/github\/callback\?code=/);
  });

  it('answers an unknown client_id with a 404 page, and a plain PKCE method with a redirected invalid_request', async () => {
    const unknown = await authorizeUrl({ client_id: 'Ov23liSomebodyElse00' });
    await expect(github.authorize(unknown.url, { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({ status: 404 });
    const plain = await authorizeUrl({ code_challenge_method: 'plain' });
    const callback = new URL(await github.authorize(plain.url, { name: 'Alice Example' }, 'approve'));
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('state')).toBe(plain.state);
    expect(github.authorizations()).toEqual([]);
  });

  it('is processed by oauth4webapi\'s authorization-code steps (GitHub has no ID token: plain OAuth 2.0)', async () => {
    const { url, verifier, state } = await authorizeUrl();
    const callback = new URL(await github.authorize(url, { name: 'Alice Example' }, 'approve'));
    const params = oauth.validateAuthResponse(as(), client(), callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as(), client(), oauth.ClientSecretPost(github.clientSecret), params, CALLBACK, verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as(), client(), response);
    expect(result).toMatchObject({ access_token: expect.stringMatching(/^gho_/), token_type: 'bearer' });
  });

  it('accepts the client secret by HTTP Basic too (oauth4webapi\'s ClientSecretBasic)', async () => {
    const { url, verifier, state } = await authorizeUrl();
    const params = oauth.validateAuthResponse(as(), client(), new URL(await github.authorize(url, { name: 'Alice Example' }, 'approve')), state);
    const response = await oauth.authorizationCodeGrantRequest(as(), client(), oauth.ClientSecretBasic(github.clientSecret), params, CALLBACK, verifier, insecure);
    expect((await oauth.processAuthorizationCodeResponse(as(), client(), response)).access_token).toMatch(/^gho_/);
  });
});

describe('GitHub stand-in: DELETE /api/applications/{client_id}/grant', () => {
  async function logIn(name: string) {
    const started = (await call(`${github.url}/login/device/code`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: github.clientId }).toString(),
    })).json;
    github.approve(started.user_code, { name });
    const reply = await call(`${github.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: github.clientId, device_code: started.device_code, grant_type: DEVICE_GRANT_TYPE }).toString(),
    });
    return reply.json.access_token as string;
  }

  const revoke = (token: string | undefined, secret = github.clientSecret, clientId = github.clientId) =>
    call(`${github.apiUrl}/applications/${clientId}/grant`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${github.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify(token === undefined ? {} : { access_token: token }),
    });
  const user = (token: string) => call(`${github.apiUrl}/user`, { headers: { authorization: `Bearer ${token}` } });

  it('answers 204, records the revocation, and ends every token of that grant; a new login works again', async () => {
    const first = await logIn('Alice Example');
    const second = await logIn('Alice Example');
    const bob = await logIn('Bob Example');
    const reply = await revoke(first);
    expect([reply.status, reply.text]).toEqual([204, '']);
    expect(github.revocations()).toEqual([
      { userId: github.userIdFor('Alice Example'), name: 'Alice Example', clientId: github.clientId, time: clock.now(), token: 'access' },
    ]);
    expect((await user(first)).status).toBe(401);
    expect((await user(second)).status).toBe(401);
    expect((await user(bob)).status).toBe(200);
    expect((await user(await logIn('Alice Example'))).status).toBe(200);
  });

  it('answers 404 for wrong client credentials or an unknown token, 422 without a token, 401 without Basic auth', async () => {
    const token = await logIn('Alice Example');
    expect((await revoke(token, 'not-the-secret')).status).toBe(404);
    expect((await revoke(token, github.clientSecret, 'Ov23liSomebodyElse00')).status).toBe(404);
    expect((await revoke('gho_unknown00000000000000000000000000')).status).toBe(404);
    const missing = await revoke(undefined);
    expect([missing.status, missing.json.status]).toEqual([422, '422']);
    const noAuth = await call(`${github.apiUrl}/applications/${github.clientId}/grant`, { method: 'DELETE', body: JSON.stringify({ access_token: token }) });
    expect(noAuth.status).toBe(401);
    expect(github.revocations()).toEqual([]);
    expect((await user(token)).status).toBe(200);
  });
});

describe('GitHub stand-in: the device page', () => {
  async function start() {
    const reply = await postForm(`${github.url}/login/device/code`, { client_id: github.clientId });
    return Object.fromEntries(new URLSearchParams(reply.text)) as { device_code: string; user_code: string };
  }

  it('is pre-filled from ?user_code=, offers the identities by name, and Authorize approves as the chosen one', async () => {
    const { user_code } = await start();
    const page = await call(`${github.url}/login/device?user_code=${user_code}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`name="user_code" value="${user_code}"`);
    expect(page.text).toContain('<input type="radio" name="identity" value="Alice Example" checked>');
    expect(page.text).toMatch(/value="authorize"/);
    const done = await postForm(`${github.url}/login/device`, { user_code: user_code.toLowerCase().replace('-', ''), identity: 'Bob Example', action: 'authorize' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Bob Example');
    expect(github.deviceLogin(user_code)).toMatchObject({ state: 'approved', identity: { name: 'Bob Example' } });
  });

  it('Cancel declines; a wrong code shows the form again with a note', async () => {
    const { user_code } = await start();
    const wrong = await postForm(`${github.url}/login/device`, { user_code: 'ZZZZ-ZZZZ', identity: 'Alice Example', action: 'authorize' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('role="alert"');
    const cancelled = await postForm(`${github.url}/login/device`, { user_code, action: 'cancel' });
    expect(cancelled.status).toBe(200);
    expect(github.deviceLogin(user_code)!.state).toBe('declined');
  });
});
