import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFacebookStandin, type FacebookStandin, type FacebookStandinOptions } from '../../scripts/standins/facebook.ts';
import { call, postForm } from '../support/node/http.ts';

let facebook: FacebookStandin;

async function restart(options: FacebookStandinOptions = {}) {
  await facebook?.close();
  facebook = await startFacebookStandin(options);
}

beforeEach(() => restart());
afterEach(() => facebook.close());

async function logIn(name: string): Promise<string> {
  const access_token = `${facebook.appId}|${facebook.clientToken}`;
  const started = await postForm(`${facebook.graphUrl}/device/login`, { access_token });
  facebook.approve(started.json.user_code, { name });
  return (await postForm(`${facebook.graphUrl}/device/login_status`, { access_token, code: started.json.code })).json.access_token;
}

const proof = (token: string) => createHmac('sha256', facebook.appSecret).update(token).digest('hex');
const withHeader = (url: string, authorization: string, init: RequestInit = {}) =>
  call(url, { ...init, headers: { authorization, ...(init.headers as Record<string, string> | undefined) } });

describe('Facebook stand-in: the token in the Authorization header', () => {
  it('GET /me accepts "Bearer <token>" and "OAuth <token>" instead of access_token', async () => {
    const token = await logIn('Alice Example');
    for (const scheme of ['Bearer', 'OAuth', 'bearer']) {
      const reply = await withHeader(`${facebook.graphUrl}/me?fields=id,name`, `${scheme} ${token}`);
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ id: facebook.userIdFor('Alice Example'), name: 'Alice Example' });
    }
    // The query form still works.
    expect((await call(`${facebook.graphUrl}/me?access_token=${token}`)).json.name).toBe('Alice Example');
  });

  it('the header wins over access_token when both are sent', async () => {
    const alice = await logIn('Alice Example');
    const bob = await logIn('Bob Example');
    const reply = await withHeader(`${facebook.graphUrl}/me?fields=name&access_token=${alice}`, `Bearer ${bob}`);
    expect(reply.json).toEqual({ name: 'Bob Example', id: facebook.userIdFor('Bob Example') });
  });

  it('refuses a header token it never issued, and /me without any token, as Graph does', async () => {
    const unknown = await withHeader(`${facebook.graphUrl}/me`, 'Bearer EAABnotatoken');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ message: 'Invalid OAuth access token - Cannot parse access token', code: 190 });
    // Another scheme is not a token: the request then has none.
    const basic = await withHeader(`${facebook.graphUrl}/me`, `Basic ${Buffer.from('a:b').toString('base64')}`);
    expect(basic.status).toBe(400);
    expect(basic.json.error.code).toBe(2500);
  });

  it('checks appsecret_proof (a parameter) against the header token, and requires it with "Require App Secret"', async () => {
    await restart({ requireAppSecretProof: true });
    const token = await logIn('Alice Example');
    const other = await logIn('Bob Example');
    const url = `${facebook.graphUrl}/me?fields=id`;
    const without = await withHeader(url, `Bearer ${token}`);
    expect(without.status).toBe(400);
    expect(without.json.error).toMatchObject({ code: 100, message: 'API calls from the server require an appsecret_proof argument' });
    const wrong = await withHeader(`${url}&appsecret_proof=${proof(other)}`, `Bearer ${token}`);
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toMatchObject({ code: 100, message: 'Invalid appsecret_proof provided in the API argument' });
    const right = await withHeader(`${url}&appsecret_proof=${proof(token)}`, `Bearer ${token}`);
    expect(right.status).toBe(200);
    expect(right.json).toEqual({ id: facebook.userIdFor('Alice Example') });
  });

  it('DELETE /me/permissions and /{id}/permissions take the user token in the header, with its appsecret_proof', async () => {
    await restart({ requireAppSecretProof: true });
    const token = await logIn('Alice Example');
    const refused = await withHeader(`${facebook.graphUrl}/me/permissions`, `OAuth ${token}`, { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe(100);
    expect(facebook.revocations()).toEqual([]);

    const reply = await withHeader(`${facebook.graphUrl}/me/permissions?appsecret_proof=${proof(token)}`, `OAuth ${token}`, { method: 'DELETE' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ success: true });
    expect(facebook.revocations()).toEqual([{ userId: facebook.userIdFor('Alice Example'), time: expect.any(Number), by: 'user' }]);

    const bob = await logIn('Bob Example');
    const bobId = facebook.userIdFor('Bob Example');
    const own = await withHeader(`${facebook.graphUrl}/${bobId}/permissions?appsecret_proof=${proof(bob)}`, `Bearer ${bob}`, { method: 'DELETE' });
    expect(own.json).toEqual({ success: true });
  });

  it('DELETE /{id}/permissions takes the app token APP_ID|APP_SECRET in the header too (no proof needed)', async () => {
    await restart({ requireAppSecretProof: true });
    const token = await logIn('Alice Example');
    const userId = facebook.userIdFor('Alice Example');
    const reply = await withHeader(`${facebook.graphUrl}/${userId}/permissions`, `Bearer ${facebook.appId}|${facebook.appSecret}`, { method: 'DELETE' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ success: true });
    expect(facebook.revocations()).toEqual([{ userId, time: expect.any(Number), by: 'app' }]);
    const after = await withHeader(`${facebook.graphUrl}/me?appsecret_proof=${proof(token)}`, `Bearer ${token}`);
    expect(after.json.error).toMatchObject({ code: 190, error_subcode: 458 });
  });
});
