import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { manualClock } from '../../scripts/lib/clock.ts';
import type { TrafficEntry } from '../../scripts/lib/traffic-log.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { call, getWithQuery, postForm } from '../support/node/http.ts';

let facebook: FacebookStandin;
const clock = manualClock(1_800_000_000_000);
beforeEach(async () => {
  facebook = await startFacebookStandin({ now: clock.now });
});
afterEach(() => facebook.close());

describe('Facebook stand-in: traffic log', () => {
  it('records every request with its time, route and status, and masks every secret', async () => {
    const seen: TrafficEntry[] = [];
    facebook.traffic.on('entry', (entry) => seen.push(entry));
    const clientToken = `${facebook.appId}|${facebook.clientToken}`;
    const started = (await postForm(`${facebook.graphUrl}/device/login`, { access_token: clientToken, scope: 'public_profile' })).json;
    facebook.approve(started.user_code, { name: 'Alice Example' });
    const token = (await postForm(`${facebook.graphUrl}/device/login_status`, { access_token: clientToken, code: started.code })).json.access_token;
    const proof = createHmac('sha256', facebook.appSecret).update(token).digest('hex');
    await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'id,name', access_token: token, appsecret_proof: proof });
    await call(`${facebook.graphUrl}/${facebook.userIdFor('Alice Example')}/permissions?access_token=${encodeURIComponent(`${facebook.appId}|${facebook.appSecret}`)}`, { method: 'DELETE' });

    const entries = facebook.traffic.entries();
    expect(entries.map(({ method, path, route, status, time, note }) => ({ method, path, route, status, time, note }))).toEqual([
      { method: 'POST', path: '/v25.0/device/login', route: 'device/login', status: 200, time: clock.now(), note: undefined },
      { method: 'POST', path: '/v25.0/device/login_status', route: 'device/login_status', status: 200, time: clock.now(), note: 'authorized' },
      { method: 'GET', path: '/v25.0/me', route: 'me', status: 200, time: clock.now(), note: undefined },
      { method: 'DELETE', path: `/v25.0/${facebook.userIdFor('Alice Example')}/permissions`, route: 'permissions', status: 200, time: clock.now(), note: undefined },
    ]);
    expect(entries[0]!.params).toEqual({ access_token: `${facebook.appId}|***`, scope: 'public_profile' });
    expect(entries[1]!.params).toEqual({ access_token: `${facebook.appId}|***`, code: '***' });
    expect(entries[2]!.params).toEqual({ fields: 'id,name', access_token: '***', appsecret_proof: '***' });
    expect(seen).toEqual(entries);

    const text = JSON.stringify(entries);
    for (const secret of [facebook.clientToken, facebook.appSecret, token, started.code, proof]) expect(text).not.toContain(secret);
  });

  it('logs the redirect login and header tokens with code, client_secret, code_verifier and the Authorization token masked', async () => {
    const redirectUri = 'https://bot.example/callback';
    facebook.allowRedirectUri(redirectUri);
    const verifier = 'verifier-verifier-verifier-verifier-verifier';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const dialog = `${facebook.url}/v25.0/dialog/oauth?${new URLSearchParams({
      client_id: facebook.appId,
      redirect_uri: redirectUri,
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
    await call(dialog);
    const location = await facebook.authorize(dialog, { name: 'Alice Example' }, 'approve');
    const code = new URL(location).searchParams.get('code')!;
    const exchanged = await postForm(`${facebook.graphUrl}/oauth/access_token`, {
      client_id: facebook.appId,
      redirect_uri: redirectUri,
      client_secret: facebook.appSecret,
      code,
      code_verifier: verifier,
    });
    const token = exchanged.json.access_token as string;
    await call(`${facebook.graphUrl}/me?fields=id`, { headers: { authorization: `Bearer ${token}` } });
    const appToken = `${facebook.appId}|${facebook.appSecret}`;
    await call(`${facebook.graphUrl}/${facebook.userIdFor('Alice Example')}/permissions`, { headers: { authorization: `OAuth ${appToken}` } });

    const entries = facebook.traffic.entries();
    expect(entries.map(({ method, route, status, note }) => ({ method, route, status, note }))).toEqual([
      { method: 'GET', route: 'dialog/oauth', status: 200, note: undefined },
      { method: 'POST', route: 'oauth/access_token', status: 200, note: 'token' },
      { method: 'GET', route: 'me', status: 200, note: undefined },
      { method: 'GET', route: 'permissions', status: 200, note: undefined },
    ]);
    expect(entries[0]!.params).toMatchObject({ client_id: facebook.appId, redirect_uri: redirectUri, state: 's1', code_challenge: challenge });
    expect(entries[1]!.params).toEqual({
      client_id: facebook.appId,
      redirect_uri: redirectUri,
      client_secret: '***',
      code: '***',
      code_verifier: '***',
    });
    expect(entries[2]!.params).toEqual({ fields: 'id', authorization: '***' });
    expect(entries[3]!.params).toEqual({ authorization: `${facebook.appId}|***` });
    const text = JSON.stringify(entries);
    for (const secret of [facebook.appSecret, token, code, verifier]) expect(text).not.toContain(secret);
  });

  it('logs a failed exchange with the reason as its note', async () => {
    await postForm(`${facebook.graphUrl}/oauth/access_token`, { client_id: facebook.appId, redirect_uri: 'x', client_secret: 'nope', code: 'AQx' });
    expect(facebook.traffic.entries().at(-1)).toMatchObject({ route: 'oauth/access_token', status: 400, note: 'wrong client_secret' });
    expect(JSON.stringify(facebook.traffic.entries())).not.toContain('nope');
  });

  it('keeps only the newest entries up to its cap, while counting them all', async () => {
    await facebook.close();
    facebook = await startFacebookStandin({ logCap: 2 });
    for (let i = 0; i < 3; i++) await call(`${facebook.url}/device?user_code=CODE000${i}`);
    expect(facebook.traffic.entries().map((entry) => entry.params?.user_code)).toEqual(['CODE0001', 'CODE0002']);
    expect(facebook.traffic.total).toBe(3);
  });
});
