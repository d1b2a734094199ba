import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DEVICE_GRANT_TYPE, startGoogleStandin, type GoogleStandin } from '../../scripts/standins/google.ts';
import { call, postForm } from '../support/node/http.ts';
import { verifyWithJwks } from '../support/node/jwt.ts';

let clock: ManualClock;
let google: GoogleStandin;
const insecure = { [oauth.allowInsecureRequests]: true };

beforeEach(async () => {
  // oauth4webapi checks the ID token's times against the real time: the stand-in's clock starts there.
  clock = manualClock(Date.now());
  google = await startGoogleStandin({ now: clock.now });
});
afterEach(() => google.close());

async function start(scope = 'openid email profile') {
  const reply = await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope });
  expect(reply.status).toBe(200);
  return reply.json as { device_code: string; user_code: string; verification_url: string; expires_in: number; interval: number };
}

const poll = (deviceCode: string, extra: Record<string, string> = {}) =>
  postForm(`${google.url}/token`, { client_id: google.clientId, client_secret: google.clientSecret, device_code: deviceCode, grant_type: DEVICE_GRANT_TYPE, ...extra });

async function discovered() {
  const response = await oauth.discoveryRequest(new URL(google.url), insecure);
  return oauth.processDiscoveryResponse(new URL(google.url), response);
}

describe('Google stand-in: discovery', () => {
  it('publishes Google\'s endpoints under its own issuer, and oauth4webapi accepts the document', async () => {
    const as = await discovered();
    expect(as).toEqual({
      issuer: google.url,
      authorization_endpoint: `${google.url}/o/oauth2/v2/auth`,
      device_authorization_endpoint: `${google.url}/device/code`,
      token_endpoint: `${google.url}/token`,
      userinfo_endpoint: `${google.url}/v1/userinfo`,
      revocation_endpoint: `${google.url}/revoke`,
      jwks_uri: `${google.url}/oauth2/v3/certs`,
      response_types_supported: expect.arrayContaining(['code']),
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: expect.arrayContaining(['sub', 'email', 'name', 'picture']),
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: expect.arrayContaining(['authorization_code', 'refresh_token', DEVICE_GRANT_TYPE]),
    });
    const jwks = await call(as.jwks_uri!);
    expect(jwks.json.keys).toEqual([{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), use: 'sig', alg: 'RS256' }]);
  });
});

describe('Google stand-in: POST /device/code', () => {
  it('answers verification_url (not verification_uri), an XXX-XXX-XXX user code, 1800 s and 5 s', async () => {
    const started = await start();
    expect(started).toEqual({
      device_code: expect.stringMatching(/^AH-1Ng[\w-]{60,}$/),
      user_code: expect.stringMatching(/^[B-DF-HJ-NP-TV-XZ]{3}-[B-DF-HJ-NP-TV-XZ]{3}-[B-DF-HJ-NP-TV-XZ]{3}$/),
      verification_url: `${google.url}/device`,
      expires_in: 1800,
      interval: 5,
    });
    expect(google.deviceLogin(started.user_code)).toMatchObject({ scopes: ['openid', 'email', 'profile'], state: 'pending' });
  });

  it('is refused by oauth4webapi for lacking verification_uri: this is what the Worker must adapt', async () => {
    const as = await discovered();
    const client = { client_id: google.clientId };
    const response = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope: 'openid' }, insecure);
    await expect(oauth.processDeviceAuthorizationResponse(as, client, response)).rejects.toThrow(/verification_uri/);
  });

  it('allows only openid, email and profile (and their URL forms): anything else is 400 invalid_scope', async () => {
    await start(`openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile`);
    const refused = await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid https://www.googleapis.com/auth/gmail.readonly' });
    expect([refused.status, refused.json]).toEqual([400, { error: 'invalid_scope', error_description: 'Invalid device flow scope: https://www.googleapis.com/auth/gmail.readonly' }]);
    expect(google.deviceLogins()).toHaveLength(1);
  });

  it('answers 401 invalid_client for an unknown client', async () => {
    const reply = await postForm(`${google.url}/device/code`, { client_id: 'someone-else.apps.googleusercontent.com', scope: 'openid' });
    expect([reply.status, reply.json]).toEqual([401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }]);
  });
});

describe('Google stand-in: device grant on POST /token, with Google\'s statuses', () => {
  it('answers 428 authorization_pending "Precondition Required" before the user acts', async () => {
    const { device_code } = await start();
    const reply = await poll(device_code);
    expect([reply.status, reply.json]).toEqual([428, { error: 'authorization_pending', error_description: 'Precondition Required' }]);
  });

  it('answers 403 slow_down "Forbidden" to a poll sooner than the interval, which then grows by 5 s', async () => {
    const { device_code, user_code } = await start();
    await poll(device_code);
    clock.advance(3_000);
    const early = await poll(device_code);
    expect([early.status, early.json]).toEqual([403, { error: 'slow_down', error_description: 'Forbidden' }]);
    clock.advance(9_999);
    expect((await poll(device_code)).json.error).toBe('slow_down');
    clock.advance(15_000);
    expect((await poll(device_code)).status).toBe(428);
    expect(google.deviceLogin(user_code)).toMatchObject({ tooFastPolls: 2, slowDowns: 2, requiredIntervalMs: 15_000 });
  });

  it('answers 403 access_denied after Cancel, and 400 expired_token after 1800 s on the clock', async () => {
    const declined = await start();
    google.decline(declined.user_code);
    const denied = await poll(declined.device_code);
    expect([denied.status, denied.json]).toEqual([403, { error: 'access_denied', error_description: 'Forbidden' }]);

    const late = await start();
    clock.advance(1_800_000);
    const expired = await poll(late.device_code);
    expect([expired.status, expired.json]).toEqual([400, { error: 'expired_token', error_description: 'Bad Request' }]);
  });

  it('needs the client secret: missing or wrong is 401 invalid_client; Basic authentication works too', async () => {
    const { device_code } = await start();
    const missing = await postForm(`${google.url}/token`, { client_id: google.clientId, device_code, grant_type: DEVICE_GRANT_TYPE });
    expect([missing.status, missing.json.error]).toEqual([401, 'invalid_client']);
    const wrong = await poll(device_code, { client_secret: 'GOCSPX-wrong' });
    expect([wrong.status, wrong.json]).toEqual([401, { error: 'invalid_client', error_description: 'Unauthorized' }]);
    clock.advance(5_000);
    const basic = await call(`${google.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(google.clientId)}:${encodeURIComponent(google.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ device_code, grant_type: DEVICE_GRANT_TYPE }).toString(),
    });
    expect(basic.status).toBe(428);
    // A refused client is not a poll of the code.
    expect(google.deviceLogins()[0]!.polls).toHaveLength(1);
  });

  it('answers 400 invalid_grant for an unknown code and for a second exchange, 400 unsupported_grant_type for a bad grant', async () => {
    const { device_code, user_code } = await start();
    const unknown = await poll('AH-1Ngnotacodethestandinissued');
    expect([unknown.status, unknown.json]).toEqual([400, { error: 'invalid_grant', error_description: 'Bad Request' }]);
    google.approve(user_code, { name: 'Alice Example' });
    expect((await poll(device_code)).status).toBe(200);
    clock.advance(5_000);
    const again = await poll(device_code);
    expect([again.status, again.json.error]).toEqual([400, 'invalid_grant']);
    const badGrant = await poll(device_code, { grant_type: 'password' });
    expect([badGrant.status, badGrant.json]).toEqual([400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: password' }]);
  });

  it('hands out tokens and an RS256 ID token through oauth4webapi; pending is a conformant ResponseBodyError', async () => {
    const as = await discovered();
    const client: oauth.Client = { client_id: google.clientId };
    const auth = oauth.ClientSecretPost(google.clientSecret);
    const started = await start();

    const pending = oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, auth, started.device_code, insecure));
    await expect(pending).rejects.toBeInstanceOf(oauth.ResponseBodyError);
    await expect(pending).rejects.toMatchObject({ error: 'authorization_pending', status: 428 });

    google.approve(started.user_code, { name: 'Zoë Ångström' });
    clock.advance(5_000);
    const tokens = await oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, auth, started.device_code, insecure));
    expect(tokens).toMatchObject({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 3599,
      refresh_token: expect.stringMatching(/^1\/\/0/),
      scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
      token_type: 'bearer',
    });
    const account = google.account('Zoë Ångström');
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ iss: google.url, aud: google.clientId, sub: account.sub });

    const { header, claims } = await verifyWithJwks(tokens.id_token!, as.jwks_uri!);
    expect(header).toEqual({ alg: 'RS256', kid: google.jwks().keys[0]!.kid, typ: 'JWT' });
    const iat = Math.floor(clock.now() / 1000);
    expect(claims).toEqual({
      iss: google.url,
      azp: google.clientId,
      aud: google.clientId,
      sub: account.sub,
      email: 'zoe.angstrom@example.com',
      email_verified: true,
      name: 'Zoë Ångström',
      picture: `${google.url}/avatars/${account.sub}.svg`,
      given_name: 'Zoë',
      family_name: 'Ångström',
      at_hash: expect.any(String),
      iat,
      exp: iat + 3600,
    });
    expect(account.sub).toMatch(/^[1-9]\d{20}$/);
    expect(google.userIdFor('Zoë Ångström')).toBe(account.sub);
    const picture = await call(account.picture);
    expect([picture.status, picture.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
  });

  it('puts only what the scopes allow into the ID token: openid alone gives sub (and picture), no e-mail or name', async () => {
    const { device_code, user_code } = await start('openid');
    google.approve(user_code, { name: 'Bob Example' });
    const reply = await poll(device_code);
    const { claims } = await verifyWithJwks(reply.json.id_token, `${google.url}/oauth2/v3/certs`);
    expect(claims.sub).toBe(google.userIdFor('Bob Example'));
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('name');
    expect(reply.json.scope).toBe('openid');
  });
});

describe('Google stand-in: userinfo and revocation', () => {
  async function logIn(name: string) {
    const { device_code, user_code } = await start();
    google.approve(user_code, { name });
    return (await poll(device_code)).json as { access_token: string; refresh_token: string };
  }

  it('GET /v1/userinfo tells who the token belongs to, and oauth4webapi checks the subject', async () => {
    const { access_token } = await logIn('Alice Example');
    const as = await discovered();
    const client = { client_id: google.clientId };
    const account = google.account('Alice Example');
    const info = await oauth.processUserInfoResponse(as, client, account.sub, await oauth.userInfoRequest(as, client, access_token, insecure));
    expect(info).toEqual({
      sub: account.sub,
      email: 'alice.example@example.com',
      email_verified: true,
      name: 'Alice Example',
      picture: account.picture,
      given_name: 'Alice',
      family_name: 'Example',
    });
  });

  it('answers 401 with a WWW-Authenticate challenge to an unknown or expired token', async () => {
    const bad = await call(`${google.url}/v1/userinfo`, { headers: { authorization: 'Bearer ya29.nothing' } });
    expect([bad.status, bad.json]).toEqual([401, { error: 'invalid_request', error_description: 'Invalid Credentials' }]);
    expect(bad.headers.get('www-authenticate')).toBe(`Bearer realm="${google.url}/", error="invalid_token"`);
    const { access_token } = await logIn('Alice Example');
    clock.advance(3_599_000);
    expect((await call(`${google.url}/v1/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(401);
  });

  it('POST /revoke ends the whole grant (access and refresh token), records it, and refuses an unknown token', async () => {
    const { access_token, refresh_token } = await logIn('Bob Example');
    const alice = await logIn('Alice Example');
    const as = await discovered();
    const client = { client_id: google.clientId };
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.ClientSecretPost(google.clientSecret), access_token, insecure));
    expect(google.revocations()).toEqual([{ userId: google.userIdFor('Bob Example'), name: 'Bob Example', clientId: google.clientId, time: clock.now(), token: 'access' }]);
    expect((await call(`${google.url}/v1/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(401);
    const refreshed = await postForm(`${google.url}/token`, { client_id: google.clientId, client_secret: google.clientSecret, grant_type: 'refresh_token', refresh_token });
    expect([refreshed.status, refreshed.json.error]).toEqual([400, 'invalid_grant']);
    expect((await call(`${google.url}/v1/userinfo`, { headers: { authorization: `Bearer ${alice.access_token}` } })).status).toBe(200);

    const again = await postForm(`${google.url}/revoke`, { token: access_token });
    expect([again.status, again.json]).toEqual([400, { error: 'invalid_token', error_description: 'Token expired or revoked' }]);
    expect(google.revocations()).toHaveLength(1);
  });
});
