import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { call, getWithQuery, postForm } from '../support/node/http.ts';

let facebook: FacebookStandin;
beforeEach(async () => {
  facebook = await startFacebookStandin();
});
afterEach(() => facebook.close());

async function logIn(name: string): Promise<string> {
  const access_token = `${facebook.appId}|${facebook.clientToken}`;
  const started = await postForm(`${facebook.graphUrl}/device/login`, { access_token });
  facebook.approve(started.json.user_code, { name });
  return (await postForm(`${facebook.graphUrl}/device/login_status`, { access_token, code: started.json.code })).json.access_token;
}

const revoke = (userId: string, accessToken: string) =>
  call(`${facebook.graphUrl}/${userId}/permissions?${new URLSearchParams({ access_token: accessToken })}`, { method: 'DELETE' });

describe('Facebook stand-in: DELETE /{user-id}/permissions', () => {
  it('with the app token APP_ID|APP_SECRET answers {"success":true}, records it, and ends the user\'s tokens', async () => {
    const token = await logIn('Alice Example');
    const userId = facebook.userIdFor('Alice Example');
    const reply = await revoke(userId, `${facebook.appId}|${facebook.appSecret}`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ success: true });
    expect(facebook.revocations()).toEqual([{ userId, time: expect.any(Number), by: 'app' }]);
    const after = await getWithQuery(`${facebook.graphUrl}/me`, { access_token: token });
    expect(after.status).toBe(400);
    expect(after.json.error).toMatchObject({ code: 190, error_subcode: 458 });
  });

  it('lets the same person log in again afterwards with a new, working token', async () => {
    await logIn('Alice Example');
    await revoke(facebook.userIdFor('Alice Example'), `${facebook.appId}|${facebook.appSecret}`);
    const fresh = await logIn('Alice Example');
    expect((await getWithQuery(`${facebook.graphUrl}/me`, { access_token: fresh })).status).toBe(200);
  });

  it('refuses a wrong token with code 190 and records nothing', async () => {
    await logIn('Alice Example');
    const userId = facebook.userIdFor('Alice Example');
    for (const wrong of [`${facebook.appId}|${facebook.clientToken}`, `${facebook.appId}|not-the-secret`, 'garbage', '']) {
      const reply = await revoke(userId, wrong);
      expect(reply.status).toBe(400);
      expect(reply.json.error.code).toBe(190);
    }
    expect(facebook.revocations()).toEqual([]);
  });

  it('answers Graph\'s "Unsupported delete request" for a user it never saw', async () => {
    const reply = await revoke('1234567890123456', `${facebook.appId}|${facebook.appSecret}`);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
  });

  it('also accepts the user\'s own token on /me/permissions', async () => {
    const token = await logIn('Bob Example');
    const reply = await revoke('me', token);
    expect(reply.json).toEqual({ success: true });
    expect(facebook.revocations()).toEqual([{ userId: facebook.userIdFor('Bob Example'), time: expect.any(Number), by: 'user' }]);
  });
});
