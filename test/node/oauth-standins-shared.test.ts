/**
 * What the GitHub, Google and Microsoft stand-ins promise alike: a traffic log that never holds a secret,
 * injected faults that leave the login untouched, self-contained pages that escape what they show.
 */
import * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../scripts/lib/clock.ts';
import { startGitHubStandin, type GitHubStandin } from '../../scripts/standins/github.ts';
import { startGoogleStandin, type GoogleStandin } from '../../scripts/standins/google.ts';
import { startMicrosoftStandin, type MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import type { Identity } from '../../scripts/standins/oauth-identities.ts';
import { call, postForm, type Reply } from '../support/node/http.ts';

const CALLBACK = 'https://bot.example/auth/callback';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const clock = manualClock(Date.now());

type Standin = GitHubStandin | GoogleStandin | MicrosoftStandin;

interface Harness {
  name: string;
  start(identities?: Identity[]): Promise<Standin>;
  /** Starts a device login over HTTP. */
  startDevice(standin: Standin): Promise<{ deviceCode: string; userCode: string }>;
  poll(standin: Standin, deviceCode: string): Promise<Reply>;
  pollRoute: string;
  pendingStatus: number;
  authorizeUrl(standin: Standin, challenge: string): string;
  exchange(standin: Standin, code: string, verifier: string): Promise<Reply>;
  whoAmI(standin: Standin, accessToken: string): Promise<Reply>;
}

const json = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
const webClientOf = (standin: Standin) => (standin as GoogleStandin).webClient!;

const harnesses: Harness[] = [
  {
    name: 'GitHub',
    start: (identities) => startGitHubStandin({ now: clock.now, redirectUris: [CALLBACK], ...(identities ? { identities } : {}) }),
    async startDevice(standin) {
      const reply = await call(`${standin.url}/login/device/code`, { method: 'POST', headers: json, body: new URLSearchParams({ client_id: standin.clientId }).toString() });
      return { deviceCode: reply.json.device_code, userCode: reply.json.user_code };
    },
    poll: (standin, deviceCode) =>
      call(`${standin.url}/login/oauth/access_token`, {
        method: 'POST',
        headers: json,
        body: new URLSearchParams({ client_id: standin.clientId, device_code: deviceCode, grant_type: DEVICE_GRANT }).toString(),
      }),
    pollRoute: 'access_token',
    pendingStatus: 200,
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/login/oauth/authorize?${new URLSearchParams({ client_id: standin.clientId, redirect_uri: CALLBACK, state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    exchange: (standin, code, verifier) =>
      call(`${standin.url}/login/oauth/access_token`, {
        method: 'POST',
        headers: json,
        body: new URLSearchParams({ client_id: standin.clientId, client_secret: standin.clientSecret, code, code_verifier: verifier, redirect_uri: CALLBACK }).toString(),
      }),
    whoAmI: (standin, token) => call(`${standin.url}/api/user`, { headers: { authorization: `Bearer ${token}` } }),
  },
  {
    name: 'Google',
    start: (identities) => startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK], ...(identities ? { identities } : {}) }),
    async startDevice(standin) {
      const reply = await postForm(`${standin.url}/device/code`, { client_id: standin.clientId, scope: 'openid email profile' });
      return { deviceCode: reply.json.device_code, userCode: reply.json.user_code };
    },
    poll: (standin, deviceCode) =>
      postForm(`${standin.url}/token`, { client_id: standin.clientId, client_secret: standin.clientSecret, device_code: deviceCode, grant_type: DEVICE_GRANT }),
    pollRoute: 'token',
    pendingStatus: 428,
    // The code flow takes Google's other client type, "Web application".
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/o/oauth2/v2/auth?${new URLSearchParams({ client_id: webClientOf(standin).clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', access_type: 'offline' })}`,
    exchange: (standin, code, verifier) =>
      postForm(`${standin.url}/token`, { client_id: webClientOf(standin).clientId, client_secret: webClientOf(standin).clientSecret, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CALLBACK }),
    whoAmI: (standin, token) => call(`${standin.url}/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } }),
  },
  {
    name: 'Microsoft',
    start: (identities) => startMicrosoftStandin({ now: clock.now, redirectUris: [CALLBACK], ...(identities ? { identities } : {}) }),
    async startDevice(standin) {
      const reply = await postForm(`${standin.url}/common/oauth2/v2.0/devicecode`, { client_id: standin.clientId, scope: 'openid profile offline_access' });
      return { deviceCode: reply.json.device_code, userCode: reply.json.user_code };
    },
    poll: (standin, deviceCode) => postForm(`${standin.url}/common/oauth2/v2.0/token`, { client_id: standin.clientId, device_code: deviceCode, grant_type: DEVICE_GRANT }),
    pollRoute: 'token',
    pendingStatus: 400,
    authorizeUrl: (standin, challenge) =>
      `${standin.url}/common/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: standin.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile offline_access', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    exchange: (standin, code, verifier) =>
      postForm(`${standin.url}/common/oauth2/v2.0/token`, { client_id: standin.clientId, client_secret: standin.clientSecret, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CALLBACK }),
    whoAmI: (standin, token) => call(`${standin.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${token}` } }),
  },
];

describe.each(harnesses)('$name stand-in', (h) => {
  let standin: Standin;
  afterEach(() => standin?.close());

  it('logs every request with its route and outcome, and never a secret, code, token or verifier', async () => {
    standin = await h.start();
    const device = await h.startDevice(standin);
    standin.approve(device.userCode, { name: 'Alice Example' });
    const polled = (await h.poll(standin, device.deviceCode)).json;
    const verifier = oauth.generateRandomCodeVerifier();
    const location = await standin.authorize(h.authorizeUrl(standin, await oauth.calculatePKCECodeChallenge(verifier)), { name: 'Bob Example' }, 'approve');
    const code = new URL(location).searchParams.get('code')!;
    const exchanged = (await h.exchange(standin, code, verifier)).json;
    expect((await h.whoAmI(standin, exchanged.access_token)).status).toBe(200);

    const entries = standin.traffic.entries();
    const poll = entries.find((entry) => entry.route === h.pollRoute && entry.note === 'authorized')!;
    expect(poll).toMatchObject({ method: 'POST', status: 200, time: clock.now() });
    expect(poll.params).toMatchObject({ device_code: '***', client_id: standin.clientId });
    expect(entries.find((entry) => entry.note === 'code redeemed')!.params).toMatchObject({ code: '***', code_verifier: '***', client_secret: '***' });
    expect(entries.map((entry) => entry.route)).toEqual(expect.arrayContaining(['authorize', h.pollRoute]));
    expect(entries.find((entry) => entry.route === 'authorize' && entry.method === 'POST')!.params).toMatchObject({ request_id: '***', identity: 'Bob Example', action: 'authorize' });

    const secrets = [standin.clientSecret, h.name === 'Google' ? webClientOf(standin).clientSecret : undefined, device.deviceCode, code, verifier, polled.access_token, exchanged.access_token, polled.refresh_token, exchanged.refresh_token, polled.id_token, exchanged.id_token];
    const text = JSON.stringify(entries);
    for (const secret of secrets.filter(Boolean)) expect(text).not.toContain(secret);
    expect(secrets.filter(Boolean).length).toBeGreaterThanOrEqual(h.name === 'GitHub' ? 6 : 9);
  });

  it('keeps only the newest entries up to its cap, while counting them all', async () => {
    standin = await (h.name === 'GitHub' ? startGitHubStandin({ logCap: 2 }) : h.name === 'Google' ? startGoogleStandin({ logCap: 2 }) : startMicrosoftStandin({ logCap: 2 }));
    for (let i = 0; i < 3; i++) await call(`${standin.deviceUrl}?user_code=CODE${i}`);
    expect(standin.traffic.entries().map((entry) => entry.params?.user_code)).toEqual(['CODE1', 'CODE2']);
    expect(standin.traffic.total).toBe(3);
  });

  it('serverError answers 5xx JSON for the next N polls, which change nothing; then the login goes on', async () => {
    standin = await h.start();
    const device = await h.startDevice(standin);
    standin.injectFault(h.pollRoute as never, { kind: 'serverError' }, 2);
    for (let i = 0; i < 2; i++) {
      const reply = await h.poll(standin, device.deviceCode);
      expect(reply.status).toBe(500);
      expect(reply.json).toBeTypeOf('object');
    }
    expect((await h.poll(standin, device.deviceCode)).status).toBe(h.pendingStatus);
    expect(standin.deviceLogin(device.userCode)!.polls).toHaveLength(1);
    expect(standin.traffic.entries().filter((entry) => entry.fault === 'serverError').map((entry) => entry.status)).toEqual([500, 500]);
  });

  it('notJson answers an HTML page (502 by default, or the status given)', async () => {
    standin = await h.start();
    const device = await h.startDevice(standin);
    standin.injectFault(h.pollRoute as never, { kind: 'notJson' });
    standin.injectFault(h.pollRoute as never, { kind: 'notJson', status: 200 });
    const first = await h.poll(standin, device.deviceCode);
    expect([first.status, first.headers.get('content-type'), first.json]).toEqual([502, 'text/html', undefined]);
    const second = await h.poll(standin, device.deviceCode);
    expect([second.status, second.json]).toEqual([200, undefined]);
  });

  it('hang never answers, so the client gives up; close() ends a hanging request; delay answers late', async () => {
    standin = await h.start();
    standin.injectFault('*', { kind: 'hang' });
    const hung = fetch(standin.deviceUrl, { signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(standin.traffic.entries().at(-1)).toMatchObject({ fault: 'hang', status: 0 });

    standin.injectFault('device' as never, { kind: 'delay', ms: 250 });
    const started = performance.now();
    expect((await call(standin.deviceUrl)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);

    standin.injectFault('*', { kind: 'hang' });
    const arrived = new Promise((done) => standin.traffic.once('entry', done));
    const pending = fetch(standin.deviceUrl).then(
      () => 'answered',
      () => 'connection closed',
    );
    await arrived;
    await standin.close();
    await expect(pending).resolves.toBe('connection closed');
  });

  it('shows a self-contained device page in its own colours that escapes the names it shows', async () => {
    standin = await h.start([{ name: 'Alice Example' }, { name: 'Mallory <script>alert(1)</script>' }]);
    const page = await call(`${standin.deviceUrl}?user_code=ABCD`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain(`· ${h.name}</title>`);
    expect(page.text).toContain(`<form method="post" action="${new URL(standin.deviceUrl).pathname}">`);
    expect(page.text).toContain('name="user_code" value="ABCD"');
    expect(page.text).toContain('Mallory &lt;script&gt;');
    expect(page.text).not.toMatch(/<script/i);
    expect(page.text).not.toMatch(/(src|href|action)=["']?(https?:)?\/\//i);
    const picture = /<img src="([^"]+)" alt=""><span>Alice Example/.exec(page.text)![1]!;
    const svg = await call(`${standin.url}${picture}`);
    expect([svg.status, svg.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
  });
});

describe('Google stand-in: 503 with Retry-After', () => {
  let google: GoogleStandin;
  afterEach(() => google.close());

  it('answers the next requests to a route 503 with Retry-After (30 s unless given), then normally', async () => {
    google = await startGoogleStandin({ now: clock.now });
    const started = (await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid' })).json;
    google.injectFault('token', { kind: 'unavailable' });
    google.injectFault('token', { kind: 'unavailable', retryAfterSeconds: 7 });
    const poll = () => postForm(`${google.url}/token`, { client_id: google.clientId, client_secret: google.clientSecret, device_code: started.device_code, grant_type: DEVICE_GRANT });
    const first = await poll();
    expect([first.status, first.headers.get('retry-after'), first.json]).toEqual([503, '30', { error: 'temporarily_unavailable', error_description: 'Service Unavailable' }]);
    expect((await poll()).headers.get('retry-after')).toBe('7');
    expect((await poll()).status).toBe(428);
    expect(google.deviceLogin(started.user_code)!.polls).toHaveLength(1);
  });
});
