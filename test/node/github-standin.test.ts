import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DEVICE_GRANT_TYPE, DeviceCodeError, startGitHubStandin, type GitHubStandin } from '../../scripts/standins/github.ts';
import { call, postForm } from '../support/node/http.ts';

let clock: ManualClock;
let github: GitHubStandin;
const T0 = 1_800_000_000_000;

beforeEach(async () => {
  clock = manualClock(T0);
  github = await startGitHubStandin({ now: clock.now });
});
afterEach(() => github.close());

const JSON_ACCEPT = { accept: 'application/json' };

function postJson(url: string, params: Record<string, string>) {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
    body: new URLSearchParams(params).toString(),
  });
}

async function start(scope = 'read:user') {
  const reply = await postJson(`${github.url}/login/device/code`, { client_id: github.clientId, scope });
  expect(reply.status).toBe(200);
  return reply.json as { device_code: string; user_code: string; verification_uri: string; expires_in: number; interval: number };
}

const poll = (deviceCode: string, extra: Record<string, string> = {}) =>
  postJson(`${github.url}/login/oauth/access_token`, { client_id: github.clientId, device_code: deviceCode, grant_type: DEVICE_GRANT_TYPE, ...extra });

const DEVICE_ERRORS_URI = 'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow';

describe('GitHub stand-in: POST /login/device/code', () => {
  it('answers form-encoded by default, as GitHub does, with a 40-hex device code, an XXXX-XXXX user code, 900 s and 5 s', async () => {
    const reply = await postForm(`${github.url}/login/device/code`, { client_id: github.clientId, scope: 'read:user' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/x-www-form-urlencoded; charset=utf-8');
    const answer = Object.fromEntries(new URLSearchParams(reply.text));
    expect(answer).toEqual({
      device_code: expect.stringMatching(/^[0-9a-f]{40}$/),
      user_code: expect.stringMatching(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/),
      verification_uri: `${github.url}/login/device`,
      expires_in: '900',
      interval: '5',
    });
    expect(github.deviceLogin(answer.user_code!)).toMatchObject({ clientId: github.clientId, scopes: ['read:user'], state: 'pending' });
  });

  it('answers JSON with Accept: application/json, and oauth4webapi reads it as a conformant RFC 8628 answer', async () => {
    const as: oauth.AuthorizationServer = {
      issuer: github.url,
      device_authorization_endpoint: `${github.url}/login/device/code`,
      token_endpoint: `${github.url}/login/oauth/access_token`,
    };
    const client: oauth.Client = { client_id: github.clientId };
    const response = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope: 'read:user' }, { [oauth.allowInsecureRequests]: true });
    const parsed = await oauth.processDeviceAuthorizationResponse(as, client, response);
    expect(parsed).toMatchObject({ verification_uri: `${github.url}/login/device`, expires_in: 900, interval: 5 });
    expect(parsed.verification_uri_complete).toBeUndefined();
  });

  it('answers 404 {"error":"Not Found"} for an unknown client_id and starts nothing', async () => {
    const reply = await postJson(`${github.url}/login/device/code`, { client_id: 'Ov23liSomebodyElse00' });
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error: 'Not Found' });
    expect(github.deviceLogins()).toEqual([]);
  });

  it('with the device flow disabled in the app settings, answers 400 device_flow_disabled, and so does the token endpoint', async () => {
    await github.close();
    github = await startGitHubStandin({ now: clock.now, deviceFlowEnabled: false });
    const reply = await postJson(`${github.url}/login/device/code`, { client_id: github.clientId });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'device_flow_disabled', error_description: 'Device Flow must be explicitly enabled for this App', error_uri: DEVICE_ERRORS_URI });
    const polled = await poll('0'.repeat(40));
    expect([polled.status, polled.json.error]).toEqual([200, 'device_flow_disabled']);
  });
});

describe('GitHub stand-in: device grant on POST /login/oauth/access_token (every error is HTTP 200)', () => {
  it('answers authorization_pending with GitHub\'s body before the user acts', async () => {
    const { device_code } = await start();
    const reply = await poll(device_code);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ error: 'authorization_pending', error_description: 'The authorization request is still pending.', error_uri: DEVICE_ERRORS_URI });
  });

  it('answers a poll sooner than the interval with slow_down carrying the new interval, +5 s each time', async () => {
    const { device_code, user_code } = await start();
    await poll(device_code);
    clock.advance(4_000);
    const first = await poll(device_code);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      error: 'slow_down',
      error_description: 'Too many requests have been made in the same timeframe.',
      error_uri: 'https://docs.github.com',
      interval: 10,
    });
    clock.advance(9_000); // 9 s < the 10 s now required
    expect((await poll(device_code)).json).toMatchObject({ error: 'slow_down', interval: 15 });
    clock.advance(15_000);
    expect((await poll(device_code)).json.error).toBe('authorization_pending');
    expect(github.deviceLogin(user_code)).toMatchObject({
      polls: [T0, T0 + 4_000, T0 + 13_000, T0 + 28_000],
      tooFastPolls: 2,
      slowDowns: 2,
      requiredIntervalMs: 15_000,
    });
  });

  it('counts no too-fast poll when every poll waits the full interval', async () => {
    const { device_code, user_code } = await start();
    for (let i = 0; i < 4; i++) {
      expect((await poll(device_code)).json.error).toBe('authorization_pending');
      clock.advance(5_000);
    }
    expect(github.deviceLogin(user_code)).toMatchObject({ tooFastPolls: 0, slowDowns: 0, requiredIntervalMs: 5_000 });
  });

  it('answers access_denied after the user cancelled', async () => {
    const { device_code, user_code } = await start();
    github.decline(user_code);
    const reply = await poll(device_code);
    expect([reply.status, reply.json]).toEqual([200, { error: 'access_denied', error_description: 'The authorization request was denied.', error_uri: DEVICE_ERRORS_URI }]);
    expect(github.deviceLogin(user_code)).toMatchObject({ state: 'declined', approvedAt: undefined, decidedAt: T0 });
  });

  it('answers expired_token once expires_in has passed on the clock, even after approval, and refuses a late decision', async () => {
    const { device_code, user_code } = await start();
    clock.advance(899_999);
    expect((await poll(device_code)).json.error).toBe('authorization_pending');
    github.approve(user_code, { name: 'Alice Example' });
    clock.advance(1);
    const reply = await poll(device_code);
    expect([reply.status, reply.json]).toEqual([200, { error: 'expired_token', error_description: 'The `device_code` has expired.', error_uri: DEVICE_ERRORS_URI }]);
    expect(github.deviceLogin(user_code)!.expired).toBe(true);
    const other = await start();
    clock.advance(900_000);
    expect(() => github.approve(other.user_code, { name: 'Bob Example' })).toThrow(expect.objectContaining({ problem: 'expired' }));
  });

  it('hands out a gho_ token once after approval, with the scopes comma-separated; a second exchange is incorrect_device_code', async () => {
    const { device_code, user_code } = await start('read:user user:email');
    const { userId } = github.approve(user_code.toLowerCase(), { name: 'Alice Example' });
    const reply = await poll(device_code);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ access_token: expect.stringMatching(/^gho_[A-Za-z0-9]{36}$/), token_type: 'bearer', scope: 'read:user,user:email' });
    expect(userId).toBe(github.userIdFor('Alice Example'));
    clock.advance(5_000);
    const again = await poll(device_code);
    expect([again.status, again.json]).toEqual([200, { error: 'incorrect_device_code', error_description: 'The device_code provided is not valid.', error_uri: DEVICE_ERRORS_URI }]);
    expect(github.deviceLogin(user_code)).toMatchObject({ state: 'redeemed', redeemed: true, approvedAt: T0, redeemedAt: T0 });
  });

  it('can answer a redeemed device code with bad_verification_code instead, when configured', async () => {
    await github.close();
    github = await startGitHubStandin({ now: clock.now, redeemedDeviceCodeAnswer: 'bad_verification_code' });
    const { device_code, user_code } = await start();
    github.approve(user_code, { name: 'Bob Example' });
    expect((await poll(device_code)).json.access_token).toBeDefined();
    clock.advance(5_000);
    expect((await poll(device_code)).json).toMatchObject({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
  });

  it('answers incorrect_device_code, incorrect_client_credentials and unsupported_grant_type with HTTP 200', async () => {
    const { device_code } = await start();
    const unknown = await poll('f'.repeat(40));
    expect([unknown.status, unknown.json.error]).toEqual([200, 'incorrect_device_code']);
    const wrongClient = await poll(device_code, { client_id: 'Ov23liSomebodyElse00' });
    expect([wrongClient.status, wrongClient.json]).toEqual([
      200,
      {
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials',
      },
    ]);
    const wrongGrant = await poll(device_code, { grant_type: 'password' });
    expect([wrongGrant.status, wrongGrant.json.error]).toEqual([200, 'unsupported_grant_type']);
    expect(wrongGrant.json.error_description).toEqual(expect.any(String));
  });

  it('answers form-encoded errors to a client that does not ask for JSON', async () => {
    const { device_code } = await start();
    const reply = await postForm(`${github.url}/login/oauth/access_token`, { client_id: github.clientId, device_code, grant_type: DEVICE_GRANT_TYPE });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(reply.text))).toEqual({
      error: 'authorization_pending',
      error_description: 'The authorization request is still pending.',
      error_uri: DEVICE_ERRORS_URI,
    });
  });
});

describe('GitHub stand-in through oauth4webapi: where GitHub is not RFC 8628 and the Worker must adapt', () => {
  const as = () => ({ issuer: github.url, device_authorization_endpoint: `${github.url}/login/device/code`, token_endpoint: `${github.url}/login/oauth/access_token` });
  const options = { [oauth.allowInsecureRequests]: true };

  it('a pending answer (HTTP 200 with an error body) is not recognised as an OAuth error, but the token answer is', async () => {
    const client: oauth.Client = { client_id: github.clientId };
    const started = await oauth.processDeviceAuthorizationResponse(as(), client, await oauth.deviceAuthorizationRequest(as(), client, oauth.None(), {}, options));
    const pending = oauth.processDeviceCodeResponse(as(), client, await oauth.deviceCodeGrantRequest(as(), client, oauth.None(), started.device_code, options));
    await expect(pending).rejects.not.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(pending).rejects.toThrow(/access_token/);

    github.approve(started.user_code, { name: 'Zoë Ångström' });
    clock.advance(5_000);
    const done = await oauth.processDeviceCodeResponse(as(), client, await oauth.deviceCodeGrantRequest(as(), client, oauth.None(), started.device_code, options));
    expect(done).toMatchObject({ access_token: expect.stringMatching(/^gho_/), token_type: 'bearer', scope: '' });
  });
});

describe('GitHub stand-in: GET /api/user', () => {
  async function logIn(name: string, scope = 'read:user') {
    const { device_code, user_code } = await start(scope);
    github.approve(user_code, { name });
    return (await poll(device_code)).json.access_token as string;
  }

  it('answers who the token belongs to, with a numeric id, a login, an avatar it serves, and X-OAuth-Scopes', async () => {
    const token = await logIn('Zoë Ångström', 'read:user user:email');
    for (const scheme of ['Bearer', 'token']) {
      const reply = await call(`${github.apiUrl}/user`, { headers: { authorization: `${scheme} ${token}`, accept: 'application/vnd.github+json' } });
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({
        login: 'zoe-angstrom',
        id: Number(github.userIdFor('Zoë Ångström')),
        name: 'Zoë Ångström',
        avatar_url: `${github.url}/avatars/u/${github.userIdFor('Zoë Ångström')}?v=4`,
        html_url: `${github.url}/zoe-angstrom`,
        type: 'User',
      });
      expect(reply.headers.get('x-oauth-scopes')).toBe('read:user, user:email');
    }
    expect(github.userIdFor('Zoë Ångström')).toMatch(/^[1-9]\d{7}$/);
    expect(github.userIdFor('Zoë Ångström')).not.toBe(github.userIdFor('Alice Example'));
    const avatar = await call(github.account('Zoë Ångström').avatarUrl);
    expect([avatar.status, avatar.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    expect(avatar.text).toContain('>ZÅ</text>');
  });

  it('answers 401 "Requires authentication" without a token and "Bad credentials" for an unknown one', async () => {
    const none = await call(`${github.apiUrl}/user`);
    expect([none.status, none.json.message, none.json.status]).toEqual([401, 'Requires authentication', '401']);
    const bad = await call(`${github.apiUrl}/user`, { headers: { authorization: 'Bearer gho_notatokenthestandinissued0000000000' } });
    expect([bad.status, bad.json]).toEqual([401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }]);
  });
});

describe('GitHub stand-in: the user\'s part, programmatic', () => {
  it('waitForDeviceLogin resolves with a login that starts after the call', async () => {
    const waiting = github.waitForDeviceLogin((login) => login.scopes.includes('user:email'), 2_000);
    await start('read:user');
    const started = await start('user:email');
    expect((await waiting).userCode).toBe(started.user_code);
  });

  it('refuses an unknown code and a second decision, saying which', async () => {
    const { user_code } = await start();
    expect(() => github.approve('ZZZZ-ZZZZ', { name: 'Alice Example' })).toThrow(DeviceCodeError);
    github.decline(user_code);
    expect(() => github.approve(user_code, { name: 'Alice Example' })).toThrow(expect.objectContaining({ problem: 'already_decided' }));
  });
});
