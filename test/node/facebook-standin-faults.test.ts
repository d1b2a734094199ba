import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { GraphClient, GraphUnavailableError } from '../../src/facebook/graph.ts';
import { call, postForm } from '../support/node/http.ts';

let facebook: FacebookStandin;
beforeEach(async () => {
  facebook = await startFacebookStandin();
});
afterEach(() => facebook.close());

const clientToken = () => `${facebook.appId}|${facebook.clientToken}`;
const start = () => postForm(`${facebook.graphUrl}/device/login`, { access_token: clientToken() });
const poll = (code: string) => postForm(`${facebook.graphUrl}/device/login_status`, { access_token: clientToken(), code });

describe('Facebook stand-in: injected faults', () => {
  it('serverError answers the next N requests to that route with HTTP 500 and Graph\'s transient error, then recovers', async () => {
    const { json } = await start();
    facebook.injectFault('device/login_status', { kind: 'serverError' }, 2);
    for (let i = 0; i < 2; i++) {
      const reply = await poll(json.code);
      expect(reply.status).toBe(500);
      expect(reply.json.error).toMatchObject({ code: 2, is_transient: true, type: 'OAuthException' });
    }
    expect((await poll(json.code)).json.error.error_subcode).toBe(1349174);
    // A faulted request never reached the device-login logic: only the last poll is recorded.
    expect(facebook.deviceLogin(json.user_code)!.polls).toHaveLength(1);
  });

  it('notJson answers a body that is not JSON, which the project\'s Graph client reports as unavailable', async () => {
    facebook.injectFault('me', { kind: 'notJson' });
    const raw = await call(`${facebook.graphUrl}/me?access_token=x`);
    expect(raw.status).toBe(502);
    expect(raw.headers.get('content-type')).toContain('text/html');
    expect(() => JSON.parse(raw.text)).toThrow();

    facebook.injectFault('me', { kind: 'notJson', status: 200 });
    const graph = new GraphClient({ baseUrl: facebook.graphUrl });
    await expect(graph.call('GET', '/me', { params: { access_token: 'x' } })).rejects.toThrow(GraphUnavailableError);
  });

  it('hang never answers: the client gives up, and the next request is served', async () => {
    facebook.injectFault('device/login', { kind: 'hang' });
    const hung = fetch(`${facebook.graphUrl}/device/login`, {
      method: 'POST',
      body: new URLSearchParams({ access_token: clientToken() }),
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await start()).status).toBe(200);
    expect(facebook.traffic.entries().filter((entry) => entry.fault === 'hang')).toHaveLength(1);
  });

  it('close() ends a request that is still hanging', async () => {
    facebook.injectFault('*', { kind: 'hang' });
    const arrived = new Promise((done) => facebook.traffic.once('entry', done));
    const hung = fetch(`${facebook.graphUrl}/device/login`, { method: 'POST', body: '' }).then(
      () => 'answered',
      () => 'connection closed',
    );
    await arrived;
    await facebook.close();
    await expect(hung).resolves.toBe('connection closed');
  });

  it('delay answers normally, but only after the given time', async () => {
    facebook.injectFault('device/login', { kind: 'delay', ms: 300 });
    const started = performance.now();
    const reply = await start();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(reply.status).toBe(200);
  });

  it('a fault for one route leaves the others alone; "*" applies to any route', async () => {
    facebook.injectFault('me', { kind: 'serverError' });
    expect((await start()).status).toBe(200);
    facebook.injectFault('*', { kind: 'serverError' });
    expect((await start()).status).toBe(500);
    expect((await call(`${facebook.graphUrl}/me`)).status).toBe(500); // its own fault, still queued
    expect((await start()).status).toBe(200);
  });

  it('the redirect login\'s routes take faults too, and a faulted exchange leaves the code usable', async () => {
    const redirectUri = 'https://bot.example/callback';
    facebook.allowRedirectUri(redirectUri);
    const dialog = `${facebook.url}/v25.0/dialog/oauth?client_id=${facebook.appId}&redirect_uri=${encodeURIComponent(redirectUri)}`;
    facebook.injectFault('dialog/oauth', { kind: 'notJson', status: 503 });
    expect((await call(dialog)).status).toBe(503);
    expect((await call(dialog)).status).toBe(200);

    const code = new URL(await facebook.authorize(dialog, { name: 'Alice Example' }, 'approve')).searchParams.get('code')!;
    const params = { client_id: facebook.appId, redirect_uri: redirectUri, client_secret: facebook.appSecret, code };
    facebook.injectFault('oauth/access_token', { kind: 'serverError' });
    const failed = await postForm(`${facebook.graphUrl}/oauth/access_token`, params);
    expect(failed.status).toBe(500);
    expect(failed.json.error).toMatchObject({ code: 2, is_transient: true });
    const retried = await postForm(`${facebook.graphUrl}/oauth/access_token`, params);
    expect(retried.status).toBe(200);
    expect(retried.json.token_type).toBe('bearer');
  });

  it('clearFaults() drops every queued fault', async () => {
    facebook.injectFault('device/login', { kind: 'serverError' }, 5);
    facebook.clearFaults();
    expect((await start()).status).toBe(200);
  });
});
