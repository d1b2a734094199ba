import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DeviceCodeError, startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { USER_CODE_ALPHABET } from '../../scripts/standins/facebook-device-logins.ts';
import { GraphClient } from '../../src/facebook/graph.ts';
import { fetchProfile, pollDeviceLoginStatus, requestDeviceAuthorization } from '../../src/facebook/device-login.ts';
import { postForm } from '../support/node/http.ts';

let clock: ManualClock;
let facebook: FacebookStandin;

beforeEach(async () => {
  clock = manualClock(1_800_000_000_000);
  facebook = await startFacebookStandin({ now: clock.now });
});
afterEach(() => facebook.close());

const clientToken = () => `${facebook.appId}|${facebook.clientToken}`;

async function start(scope = 'public_profile') {
  const reply = await postForm(`${facebook.graphUrl}/device/login`, { access_token: clientToken(), scope });
  expect(reply.status).toBe(200);
  return reply.json as { code: string; user_code: string; verification_uri: string; expires_in: number; interval: number };
}

const poll = (code: string) => postForm(`${facebook.graphUrl}/device/login_status`, { access_token: clientToken(), code });

describe('Facebook stand-in: device/login', () => {
  it('returns an opaque hex code, an 8-character unambiguous user code, the stand-in /device page, 420 s and 5 s', async () => {
    const started = await start();
    expect(started.code).toMatch(/^[0-9a-f]{32}$/);
    expect(started.user_code).toHaveLength(8);
    for (const ch of started.user_code) expect(USER_CODE_ALPHABET).toContain(ch);
    expect(USER_CODE_ALPHABET).not.toMatch(/[01IO]/);
    expect(started.verification_uri).toBe(`${facebook.url}/device`);
    expect(started.expires_in).toBe(420);
    expect(started.interval).toBe(5);
    expect((await start()).code).not.toBe(started.code);
  });

  it('uses the configured expires_in and interval', async () => {
    await facebook.close();
    facebook = await startFacebookStandin({ now: clock.now, expiresInSeconds: 60, intervalSeconds: 2 });
    const started = await start();
    expect([started.expires_in, started.interval]).toEqual([60, 2]);
  });

  it('refuses anything but APP_ID|CLIENT_TOKEN with Graph\'s (#190) client-token error', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { access_token: `${facebook.appId}|${facebook.appSecret}` },
      { access_token: `${facebook.appId}|wrong-client-token` },
    ];
    for (const params of attempts) {
      const reply = await postForm(`${facebook.graphUrl}/device/login`, params);
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatchObject({
        message: '(#190) This method must be called with a client access token',
        type: 'OAuthException',
        code: 190,
      });
    }
    expect(facebook.deviceLogins()).toHaveLength(0);
  });

  it('records the requested scope', async () => {
    const started = await start('public_profile,email');
    expect(facebook.deviceLogin(started.user_code)?.scopes).toEqual(['public_profile', 'email']);
  });

  it('reads parameters from the query string too, under any version prefix or none', async () => {
    for (const prefix of ['/v2.6', '/v26.0', '']) {
      const reply = await postForm(`${facebook.url}${prefix}/device/login?access_token=${encodeURIComponent(clientToken())}`, {});
      expect(reply.status).toBe(200);
      expect(reply.json.user_code).toHaveLength(8);
    }
  });
});

describe('Facebook stand-in: device/login_status', () => {
  it('answers "pending" with Graph\'s exact body before the user acts', async () => {
    const { code } = await start();
    const reply = await poll(code);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toEqual({
      message: 'This request requires the user to take a pending action',
      type: 'OAuthException',
      code: 31,
      error_subcode: 1349174,
      is_transient: false,
      error_user_title: 'Device Login Authorization Pending',
      error_user_msg: 'User has not yet authorized your application. Continue polling.',
      fbtrace_id: expect.any(String),
    });
  });

  it('answers "slow down" to a poll sooner than the interval after the previous one, and counts it', async () => {
    const { code, user_code } = await start();
    await poll(code);
    clock.advance(4_999);
    const early = await poll(code);
    expect(early.status).toBe(400);
    expect(early.json.error).toMatchObject({ code: 17, error_subcode: 1349172, error_user_title: 'OAuth Device Excessive Polling' });
    clock.advance(5_000);
    expect((await poll(code)).json.error.error_subcode).toBe(1349174);
    const login = facebook.deviceLogin(user_code)!;
    expect(login.tooFastPolls).toBe(1);
    expect(login.slowDowns).toBe(1);
    expect(login.polls).toEqual([1_800_000_000_000, 1_800_000_004_999, 1_800_000_009_999]);
  });

  it('counts no too-fast poll when every poll waits the full interval', async () => {
    const { code, user_code } = await start();
    for (let i = 0; i < 5; i++) {
      expect((await poll(code)).json.error.error_subcode).toBe(1349174);
      clock.advance(5_000);
    }
    expect(facebook.deviceLogin(user_code)).toMatchObject({ tooFastPolls: 0, slowDowns: 0 });
  });

  it('keeps Facebook\'s fixed interval by default, and grows it after a slow-down when configured as in RFC 8628', async () => {
    await facebook.close();
    facebook = await startFacebookStandin({ now: clock.now, slowDownPenaltySeconds: 5 });
    const { code, user_code } = await start();
    await poll(code);
    clock.advance(1_000);
    await poll(code); // slow down: the required gap is now 10 s
    clock.advance(6_000);
    expect((await poll(code)).json.error.error_subcode).toBe(1349172);
    expect(facebook.deviceLogin(user_code)!.requiredIntervalMs).toBe(15_000);
  });

  it('answers subcode 1349173 after the user declined', async () => {
    const { code, user_code } = await start();
    facebook.decline(user_code);
    const reply = await poll(code);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ type: 'OAuthException', error_subcode: 1349173 });
    expect(facebook.deviceLogin(user_code)!.state).toBe('declined');
  });

  it('answers "expired" (463/1349152) once expires_in has passed, even if the user had approved', async () => {
    const { code, user_code } = await start();
    facebook.approve(user_code, { name: 'Alice Example' });
    clock.advance(420_000);
    const reply = await poll(code);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({
      message: 'The session has expired',
      code: 463,
      error_subcode: 1349152,
      error_user_title: 'Activation Code Expired',
    });
    expect(facebook.deviceLogin(user_code)!.expired).toBe(true);
  });

  it('refuses to approve or decline an expired code', async () => {
    const { user_code } = await start();
    clock.advance(420_000);
    expect(() => facebook.approve(user_code, { name: 'Alice Example' })).toThrow(DeviceCodeError);
    expect(() => facebook.decline(user_code)).toThrow(/expired/);
  });

  it('hands out a token once after approval; the redeemed code is then as invalid as an unknown one', async () => {
    const { code, user_code } = await start();
    await poll(code);
    facebook.approve(user_code, { name: 'Alice Example' });
    clock.advance(5_000);
    const success = await poll(code);
    expect(success.status).toBe(200);
    expect(success.json).toEqual({
      access_token: expect.stringMatching(/^EAAB[A-Za-z0-9]{100,}$/),
      data_access_expiration_time: Math.floor(clock.now() / 1000) + 90 * 24 * 3600,
      expires_in: 5183999,
    });
    clock.advance(5_000);
    const again = await poll(code);
    const unknown = await poll('f'.repeat(32));
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({ code: 100, message: '(#100) Invalid device login code' });
    expect(again.json.error.error_subcode).toBeUndefined();
    expect(unknown.json.error).toMatchObject({ code: 100, message: '(#100) Invalid device login code' });
    expect(facebook.deviceLogin(user_code)).toMatchObject({ state: 'redeemed', redeemedAt: 1_800_000_005_000 });
  });

  it('can answer a redeemed code with "expired" instead, when configured', async () => {
    await facebook.close();
    facebook = await startFacebookStandin({ now: clock.now, redeemedCodeAnswer: 'expired' });
    const { code, user_code } = await start();
    facebook.approve(user_code, { name: 'Alice Example' });
    expect((await poll(code)).status).toBe(200);
    clock.advance(5_000);
    expect((await poll(code)).json.error.error_subcode).toBe(1349152);
  });

  it('asks for a missing code and refuses a poll without the client token', async () => {
    expect((await postForm(`${facebook.graphUrl}/device/login_status`, { access_token: clientToken() })).json.error).toMatchObject({
      code: 100,
      message: '(#100) The parameter code is required',
    });
    const { code } = await start();
    const reply = await postForm(`${facebook.graphUrl}/device/login_status`, { code });
    expect(reply.json.error.code).toBe(190);
  });
});

describe('Facebook stand-in: the user\'s decision', () => {
  it('accepts the user code in any case, with spaces or dashes, as people type it', async () => {
    const { user_code } = await start();
    const typed = `${user_code.slice(0, 4).toLowerCase()}-${user_code.slice(4)} `;
    const { userId } = facebook.approve(typed, { name: 'Bob Example' });
    expect(userId).toBe(facebook.userIdFor('Bob Example'));
    expect(facebook.deviceLogin(user_code)).toMatchObject({ state: 'approved', identity: { name: 'Bob Example' } });
  });

  it('refuses an unknown code and a second decision, saying which', async () => {
    const { user_code } = await start();
    expect(() => facebook.approve('ZZZZZZZZ', { name: 'Alice Example' })).toThrow(expect.objectContaining({ problem: 'unknown' }));
    facebook.decline(user_code);
    expect(() => facebook.approve(user_code, { name: 'Alice Example' })).toThrow(expect.objectContaining({ problem: 'already_decided' }));
  });

  it('waitForDeviceLogin resolves with a login that starts after the call', async () => {
    const waiting = facebook.waitForDeviceLogin((login) => login.scopes.includes('email'), 2_000);
    await start('public_profile');
    const started = await start('email');
    expect((await waiting).userCode).toBe(started.user_code);
  });
});

describe('Facebook stand-in with the project\'s own Graph client', () => {
  it('is read correctly in every state of a login, through to the profile', async () => {
    const graph = new GraphClient({ baseUrl: facebook.graphUrl });
    const app = { appId: facebook.appId, clientToken: facebook.clientToken };
    const authorization = await requestDeviceAuthorization(graph, app, ['public_profile']);
    expect(await pollDeviceLoginStatus(graph, app, authorization.code)).toEqual({ kind: 'pending' });
    clock.advance(1_000);
    expect(await pollDeviceLoginStatus(graph, app, authorization.code)).toEqual({ kind: 'slow_down' });
    facebook.approve(authorization.userCode, { name: 'Zoë Ångström', pictureUrl: 'https://pictures.example/zoe.png' });
    clock.advance(5_000);
    const done = await pollDeviceLoginStatus(graph, app, authorization.code);
    expect(done.kind).toBe('authorized');
    const profile = await fetchProfile(graph, (done as { accessToken: string }).accessToken, facebook.appSecret);
    expect(profile).toEqual({ id: facebook.userIdFor('Zoë Ångström'), name: 'Zoë Ångström', pictureUrl: 'https://pictures.example/zoe.png', grantedScopes: ['public_profile'] });
  });
});
