import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { startFacebookStandin, type FacebookStandin, type FacebookStandinOptions, type Identity } from '../../scripts/standins/facebook.ts';
import { call, getWithQuery, postForm } from '../support/node/http.ts';

let clock: ManualClock;
let facebook: FacebookStandin;

async function restart(options: FacebookStandinOptions = {}) {
  await facebook?.close();
  facebook = await startFacebookStandin({ now: clock.now, ...options });
}

beforeEach(async () => {
  clock = manualClock(1_800_000_000_000);
  await restart();
});
afterEach(() => facebook.close());

/** A full device login as `identity`; returns the user access token. */
async function logIn(identity: Identity): Promise<string> {
  const access_token = `${facebook.appId}|${facebook.clientToken}`;
  const started = await postForm(`${facebook.graphUrl}/device/login`, { access_token });
  facebook.approve(started.json.user_code, identity);
  const done = await postForm(`${facebook.graphUrl}/device/login_status`, { access_token, code: started.json.code });
  return done.json.access_token as string;
}

const proof = (token: string) => createHmac('sha256', facebook.appSecret).update(token).digest('hex');
const me = (params: Record<string, string>) => getWithQuery(`${facebook.graphUrl}/me`, params);

describe('Facebook stand-in: GET /me', () => {
  it('returns the requested fields with a picture object, and serves that picture itself', async () => {
    const token = await logIn({ name: 'Alice Example' });
    const reply = await me({ fields: 'id,name,picture', access_token: token, appsecret_proof: proof(token) });
    expect(reply.status).toBe(200);
    const id = facebook.userIdFor('Alice Example');
    expect(reply.json).toEqual({
      id,
      name: 'Alice Example',
      picture: { data: { url: `${facebook.url}/pictures/${id}.svg`, is_silhouette: false, width: 50, height: 50 } },
    });
    const picture = await call(reply.json.picture.data.url);
    expect(picture.status).toBe(200);
    expect(picture.headers.get('content-type')).toBe('image/svg+xml');
    expect(picture.text).toContain('<svg');
    expect(picture.text).toContain('>AE<');
  });

  it('leaves out fields that were not asked for, adding only the id as Graph does', async () => {
    const token = await logIn({ name: 'Bob Example' });
    const reply = await me({ fields: 'name', access_token: token });
    expect(reply.json).toEqual({ name: 'Bob Example', id: facebook.userIdFor('Bob Example') });
    expect(Object.keys((await me({ access_token: token })).json)).toEqual(['id', 'name']);
  });

  it('sizes picture.type(large) and reports the granted permissions', async () => {
    const token = await logIn({ name: 'Bob Example' });
    const reply = await me({ fields: 'picture.type(large),permissions', access_token: token });
    expect(reply.json.picture.data).toMatchObject({ width: 200, height: 200 });
    expect(reply.json.permissions).toEqual({ data: [{ permission: 'public_profile', status: 'granted' }] });
  });

  it('refuses a field User does not have', async () => {
    const token = await logIn({ name: 'Bob Example' });
    const reply = await me({ fields: 'id,favourite_colour', access_token: token });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ code: 100, message: '(#100) Tried accessing nonexisting field (favourite_colour) on node type (User)' });
  });

  it('refuses a token it did not issue with code 190 "Cannot parse access token"', async () => {
    const reply = await me({ fields: 'id', access_token: 'EAABnotatokenthestandinissued' });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({
      message: 'Invalid OAuth access token - Cannot parse access token',
      type: 'OAuthException',
      code: 190,
    });
  });

  it('refuses an app token on /me, as Graph does (code 2500)', async () => {
    const reply = await me({ access_token: `${facebook.appId}|${facebook.appSecret}` });
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe(2500);
  });

  it('checks appsecret_proof when present: HMAC-SHA256 of the token keyed with the app secret, in hex', async () => {
    const token = await logIn({ name: 'Alice Example' });
    const wrong = createHmac('sha256', 'another-secret').update(token).digest('hex');
    const reply = await me({ fields: 'id', access_token: token, appsecret_proof: wrong });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ code: 100, message: 'Invalid appsecret_proof provided in the API argument' });
    expect((await me({ fields: 'id', access_token: token, appsecret_proof: proof(token) })).status).toBe(200);
    expect((await me({ fields: 'id', access_token: token })).status).toBe(200);
  });

  it('with "Require App Secret" on, refuses a call without appsecret_proof', async () => {
    await restart({ requireAppSecretProof: true });
    const token = await logIn({ name: 'Alice Example' });
    const reply = await me({ fields: 'id', access_token: token });
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe(100);
    expect((await me({ fields: 'id', access_token: token, appsecret_proof: proof(token) })).status).toBe(200);
  });

  it('refuses a token whose 60 days have passed', async () => {
    const token = await logIn({ name: 'Alice Example' });
    clock.advance(5_183_999 * 1000);
    const reply = await me({ access_token: token });
    expect(reply.json.error).toMatchObject({ code: 190, error_subcode: 463 });
  });
});

describe('Facebook stand-in: app-scoped ids', () => {
  it('gives each identity name a stable numeric id, the same in another stand-in of the same app', async () => {
    const alice = facebook.userIdFor('Alice Example');
    expect(alice).toMatch(/^\d{16}$/);
    expect(facebook.userIdFor('Bob Example')).not.toBe(alice);
    const other = await startFacebookStandin({ appId: facebook.appId });
    try {
      expect(other.userIdFor('Alice Example')).toBe(alice);
    } finally {
      await other.close();
    }
  });
});
