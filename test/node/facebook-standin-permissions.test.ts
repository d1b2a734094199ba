import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFacebookStandin, type FacebookStandin, type Identity } from '../../scripts/standins/facebook.ts';
import { call, getWithQuery, postForm } from '../support/node/http.ts';

let facebook: FacebookStandin;
beforeEach(async () => {
  facebook = await startFacebookStandin();
});
afterEach(() => facebook.close());

const clientToken = () => `${facebook.appId}|${facebook.clientToken}`;

async function start(scope: string) {
  const reply = await postForm(`${facebook.graphUrl}/device/login`, { access_token: clientToken(), scope });
  return reply.json as { code: string; user_code: string };
}

async function redeem(code: string): Promise<string> {
  return (await postForm(`${facebook.graphUrl}/device/login_status`, { access_token: clientToken(), code })).json.access_token;
}

/** A device login for `scope`, approved granting `grantedScopes`; returns the user token. */
async function logIn(identity: Identity, scope: string, grantedScopes?: string[]): Promise<string> {
  const started = await start(scope);
  facebook.approve(started.user_code, identity, grantedScopes ? { grantedScopes } : {});
  return redeem(started.code);
}

const alice: Identity = { name: 'Alice Example', email: 'alice@example.test' };

describe('Facebook stand-in: granted and declined permissions', () => {
  it('grants everything asked for by default: /me permissions and email', async () => {
    const token = await logIn(alice, 'public_profile,email');
    const reply = await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'id,name,email,permissions', access_token: token });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      id: facebook.userIdFor('Alice Example'),
      name: 'Alice Example',
      email: 'alice@example.test',
      permissions: {
        data: [
          { permission: 'public_profile', status: 'granted' },
          { permission: 'email', status: 'granted' },
        ],
      },
    });
  });

  it('a declined email is reported as declined, and /me leaves the email field out', async () => {
    const token = await logIn(alice, 'email', []);
    const reply = await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'name,email,permissions', access_token: token });
    expect(reply.json).toEqual({
      name: 'Alice Example',
      permissions: {
        data: [
          { permission: 'public_profile', status: 'granted' },
          { permission: 'email', status: 'declined' },
        ],
      },
      id: facebook.userIdFor('Alice Example'),
    });
  });

  it('public_profile cannot be declined, and a permission that was not asked for cannot be granted', async () => {
    const started = await start('public_profile,email');
    facebook.approve(started.user_code, alice, { grantedScopes: ['user_friends'] });
    expect(facebook.deviceLogin(started.user_code)!.permissions).toEqual({ granted: ['public_profile'], declined: ['email'] });
  });

  it('GET /me/permissions answers {data:[…]} as Graph does; the app token reads /{user-id}/permissions', async () => {
    const token = await logIn(alice, 'public_profile,email,user_friends', ['email']);
    const expected = {
      data: [
        { permission: 'public_profile', status: 'granted' },
        { permission: 'email', status: 'granted' },
        { permission: 'user_friends', status: 'declined' },
      ],
    };
    const mine = await call(`${facebook.graphUrl}/me/permissions`, { headers: { authorization: `Bearer ${token}` } });
    expect(mine.status).toBe(200);
    expect(mine.json).toEqual(expected);
    const byApp = await getWithQuery(`${facebook.graphUrl}/${facebook.userIdFor('Alice Example')}/permissions`, {
      access_token: `${facebook.appId}|${facebook.appSecret}`,
    });
    expect(byApp.json).toEqual(expected);
  });

  it('keeps the latest decision per permission across logins, and a revocation clears them', async () => {
    await logIn(alice, 'email', []);
    const token = await logIn(alice, 'email');
    const rows = (await getWithQuery(`${facebook.graphUrl}/me/permissions`, { access_token: token })).json.data;
    expect(rows).toEqual([
      { permission: 'public_profile', status: 'granted' },
      { permission: 'email', status: 'granted' },
    ]);
    const appToken = `${facebook.appId}|${facebook.appSecret}`;
    const userId = facebook.userIdFor('Alice Example');
    await call(`${facebook.graphUrl}/${userId}/permissions?access_token=${encodeURIComponent(appToken)}`, { method: 'DELETE' });
    const after = await getWithQuery(`${facebook.graphUrl}/${userId}/permissions`, { access_token: appToken });
    expect(after.json).toEqual({ data: [] });
    // The user's own (now revoked) token reads nothing.
    const revoked = await getWithQuery(`${facebook.graphUrl}/me/permissions`, { access_token: token });
    expect(revoked.status).toBe(400);
    expect(revoked.json.error.code).toBe(190);
  });

  it('the /device page offers a checked box per optional permission; unchecking one declines it', async () => {
    const { code, user_code } = await start('public_profile,email');
    const page = await call(`${facebook.url}/device?user_code=${user_code}`);
    expect(page.text).toContain('<input type="hidden" name="offered" value="email">');
    expect(page.text).toContain('<input type="checkbox" name="grant.email" value="1" checked> email');
    expect(page.text).not.toContain('name="grant.public_profile"');

    // A browser leaves an unchecked box out of the form.
    const done = await postForm(`${facebook.url}/device`, { user_code, identity: 'Alice Example', offered: 'email', action: 'continue' });
    expect(done.status).toBe(200);
    expect(facebook.deviceLogin(user_code)!.permissions).toEqual({ granted: ['public_profile'], declined: ['email'] });
    const token = await redeem(code);
    const profile = await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'email', access_token: token });
    expect(profile.json).toEqual({ id: facebook.userIdFor('Alice Example') });
  });

  it('the /device page shows no boxes before it knows the code, and a form without them grants all', async () => {
    expect((await call(`${facebook.url}/device`)).text).not.toContain('name="offered"');
    const { user_code } = await start('public_profile,email');
    await postForm(`${facebook.url}/device`, { user_code, identity: 'Alice Example', action: 'continue' });
    expect(facebook.deviceLogin(user_code)!.permissions).toEqual({ granted: ['public_profile', 'email'], declined: [] });
  });
});
