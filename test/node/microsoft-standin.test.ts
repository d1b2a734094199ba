import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DEVICE_GRANT_TYPE, PERSONAL_TENANT_ID, startMicrosoftStandin, type MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import { call, postForm } from '../support/node/http.ts';
import { verifyWithJwks } from '../support/node/jwt.ts';

let clock: ManualClock;
let microsoft: MicrosoftStandin;
const T0 = 1_800_000_000_000;
const insecure = { [oauth.allowInsecureRequests]: true };

beforeEach(async () => {
  clock = manualClock(T0);
  microsoft = await startMicrosoftStandin({ now: clock.now });
});
afterEach(() => microsoft.close());

async function start(tenant = 'common', scope = 'openid profile offline_access') {
  const reply = await postForm(`${microsoft.url}/${tenant}/oauth2/v2.0/devicecode`, { client_id: microsoft.clientId, scope });
  expect(reply.status).toBe(200);
  return reply.json as { user_code: string; device_code: string; verification_uri: string; expires_in: number; interval: number; message: string };
}

const poll = (deviceCode: string, tenant = 'common', extra: Record<string, string> = {}) =>
  postForm(`${microsoft.url}/${tenant}/oauth2/v2.0/token`, { client_id: microsoft.clientId, device_code: deviceCode, grant_type: DEVICE_GRANT_TYPE, ...extra });

/** Entra's error body, with the AADSTS code given. */
const entraError = (error: string, code: number) => ({
  error,
  error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`)),
  error_codes: [code],
  timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
  trace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  correlation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  error_uri: `${microsoft.url}/error?code=${code}`,
});

describe('Microsoft stand-in: discovery per tenant', () => {
  it('for common, organizations and consumers gives Entra\'s templated issuer, which oauth4webapi cannot match as it stands', async () => {
    for (const tenant of ['common', 'organizations', 'consumers']) {
      const reply = await call(`${microsoft.url}/${tenant}/v2.0/.well-known/openid-configuration`);
      expect(reply.json).toMatchObject({
        issuer: `${microsoft.url}/{tenantid}/v2.0`,
        authorization_endpoint: `${microsoft.url}/${tenant}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${microsoft.url}/${tenant}/oauth2/v2.0/devicecode`,
        token_endpoint: `${microsoft.url}/${tenant}/oauth2/v2.0/token`,
        jwks_uri: `${microsoft.url}/${tenant}/discovery/v2.0/keys`,
        userinfo_endpoint: `${microsoft.url}/oidc/userinfo`,
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
      expect(reply.json).not.toHaveProperty('revocation_endpoint');
      expect(reply.json).not.toHaveProperty('code_challenge_methods_supported');
    }
    const authority = new URL(microsoft.authority('common'));
    await expect(oauth.processDiscoveryResponse(authority, await oauth.discoveryRequest(authority, insecure))).rejects.toThrow(/issuer/);
  });

  it('for a tenant GUID gives that tenant\'s plain issuer, which oauth4webapi accepts; an unknown tenant is 400 AADSTS90002', async () => {
    const authority = new URL(microsoft.authority(microsoft.tenantId));
    const as = await oauth.processDiscoveryResponse(authority, await oauth.discoveryRequest(authority, insecure));
    expect(as.issuer).toBe(`${microsoft.url}/${microsoft.tenantId}/v2.0`);
    const unknown = await call(`${microsoft.url}/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration`);
    expect([unknown.status, unknown.json]).toEqual([400, entraError('invalid_tenant', 90002)]);
  });
});

describe('Microsoft stand-in: POST /{tenant}/oauth2/v2.0/devicecode', () => {
  it('answers user_code, device_code, verification_uri (the /link page), 900 s, 5 s and a human message; no verification_uri_complete', async () => {
    const started = await start();
    expect(started).toEqual({
      user_code: expect.stringMatching(/^[A-Z2-9]{9}$/),
      device_code: expect.stringMatching(/^DAQABIQEAAAD[\w-]{100,}$/),
      verification_uri: `${microsoft.url}/link`,
      expires_in: 900,
      interval: 5,
      message: `To sign in, use a web browser to open the page ${microsoft.url}/link and enter the code ${started.user_code} to authenticate.`,
    });
    expect(microsoft.deviceLogin(started.user_code)).toMatchObject({ tenant: 'common', scopes: ['openid', 'profile', 'offline_access'] });
  });

  it('answers 400 unauthorized_client (AADSTS700016) for an unknown app and invalid_request (AADSTS900144) without a scope', async () => {
    const unknown = await postForm(`${microsoft.url}/common/oauth2/v2.0/devicecode`, { client_id: '00000000-1111-4222-8333-444444444444', scope: 'openid' });
    expect([unknown.status, unknown.json]).toEqual([400, entraError('unauthorized_client', 700016)]);
    const noScope = await postForm(`${microsoft.url}/common/oauth2/v2.0/devicecode`, { client_id: microsoft.clientId });
    expect([noScope.status, noScope.json]).toEqual([400, entraError('invalid_request', 900144)]);
    expect(noScope.json.error_description).toContain("'scope'");
  });
});

describe('Microsoft stand-in: device grant on POST /{tenant}/oauth2/v2.0/token (errors are HTTP 400)', () => {
  it('answers authorization_pending (AADSTS70016) while the user has not acted, and oauth4webapi reads it as an OAuth error', async () => {
    const started = await start();
    const reply = await poll(started.device_code);
    expect([reply.status, reply.json]).toEqual([400, entraError('authorization_pending', 70016)]);
    const authority = new URL(microsoft.authority(microsoft.tenantId));
    const as = await oauth.processDiscoveryResponse(authority, await oauth.discoveryRequest(authority, insecure));
    clock.advance(5_000);
    const pending = oauth.processDeviceCodeResponse(as, { client_id: microsoft.clientId }, await oauth.deviceCodeGrantRequest(as, { client_id: microsoft.clientId }, oauth.None(), 'DAQAB-unknown', insecure));
    await expect(pending).rejects.toMatchObject({ error: 'bad_verification_code', status: 400 });
  });

  it('answers authorization_declined (not access_denied) after Cancel, and expired_token (AADSTS70019) after 900 s', async () => {
    const declined = await start();
    microsoft.decline(declined.user_code);
    expect((await poll(declined.device_code)).json).toEqual(entraError('authorization_declined', 70000));
    const late = await start();
    clock.advance(900_000);
    const expired = await poll(late.device_code);
    expect([expired.status, expired.json]).toEqual([400, entraError('expired_token', 70019)]);
  });

  it('answers bad_verification_code for an unknown device code, invalid_grant for a second exchange', async () => {
    const started = await start();
    expect((await poll('DAQABIQEAAADnotacode')).json).toEqual(entraError('bad_verification_code', 70018));
    microsoft.approve(started.user_code, { name: 'Alice Example' });
    expect((await poll(started.device_code)).status).toBe(200);
    clock.advance(5_000);
    expect((await poll(started.device_code)).json).toEqual(entraError('invalid_grant', 70000));
  });

  it('answers a too-fast poll with slow_down and grows the interval by 5 s', async () => {
    const started = await start();
    await poll(started.device_code);
    clock.advance(2_000);
    const early = await poll(started.device_code);
    expect([early.status, early.json]).toEqual([400, entraError('slow_down', 70016)]);
    expect(microsoft.deviceLogin(started.user_code)).toMatchObject({ tooFastPolls: 1, slowDowns: 1, requiredIntervalMs: 10_000 });
  });

  it('can answer a too-fast poll as plain authorization_pending instead, without growing the interval', async () => {
    await microsoft.close();
    microsoft = await startMicrosoftStandin({ now: clock.now, tooFastPollAnswer: 'authorization_pending' });
    const started = await start();
    await poll(started.device_code);
    clock.advance(2_000);
    expect((await poll(started.device_code)).json.error).toBe('authorization_pending');
    expect(microsoft.deviceLogin(started.user_code)).toMatchObject({ tooFastPolls: 1, requiredIntervalMs: 5_000 });
  });

  it('needs no secret (public client), refuses a wrong one with 401 AADSTS7000215, and needs one when public flows are off', async () => {
    const started = await start();
    const wrong = await poll(started.device_code, 'common', { client_secret: 'not-the-secret' });
    expect([wrong.status, wrong.json]).toEqual([401, entraError('invalid_client', 7000215)]);
    clock.advance(5_000);
    expect((await poll(started.device_code, 'common', { client_secret: microsoft.clientSecret })).json.error).toBe('authorization_pending');

    await microsoft.close();
    microsoft = await startMicrosoftStandin({ now: clock.now, allowPublicClientFlows: false });
    const locked = await start();
    const refused = await poll(locked.device_code);
    expect([refused.status, refused.json]).toEqual([401, entraError('invalid_client', 7000218)]);
  });

  it('hands out tokens and an ID token with the person\'s real tenant in tid and iss, pairwise sub, oid and ver 2.0', async () => {
    const work = await start();
    microsoft.approve(work.user_code, { name: 'Alice Example' });
    const reply = await poll(work.device_code);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      token_type: 'Bearer',
      scope: 'openid profile',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: expect.stringMatching(/^EwB/),
      refresh_token: expect.stringMatching(/^1\.A/),
      id_token: expect.any(String),
    });
    const alice = microsoft.account('Alice Example');
    const { claims } = await verifyWithJwks(reply.json.id_token, `${microsoft.url}/common/discovery/v2.0/keys`);
    const iat = Math.floor(clock.now() / 1000);
    expect(claims).toEqual({
      aud: microsoft.clientId,
      iss: `${microsoft.url}/${microsoft.tenantId}/v2.0`,
      iat,
      nbf: iat,
      exp: iat + 3600,
      name: 'Alice Example',
      oid: alice.oid,
      preferred_username: 'alice.example@contoso.example',
      sub: alice.sub,
      tid: microsoft.tenantId,
      ver: '2.0',
    });
    expect(alice.sub).toMatch(/^[\w-]{43}$/);
    expect(microsoft.userIdFor('Alice Example')).toBe(alice.sub);

    clock.advance(5_000);
    const personal = await start();
    microsoft.approve(personal.user_code, { name: 'Zoë Ångström' }); // the default Zoë has a personal account
    const zoe = (await verifyWithJwks((await poll(personal.device_code)).json.id_token, `${microsoft.url}/common/discovery/v2.0/keys`)).claims;
    expect(zoe).toMatchObject({ tid: PERSONAL_TENANT_ID, iss: `${microsoft.url}/${PERSONAL_TENANT_ID}/v2.0`, oid: expect.stringMatching(/^00000000-0000-0000-/) });
  });

  it('gives another app another sub for the same person, the same oid', async () => {
    const other = await startMicrosoftStandin({ now: clock.now, clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' });
    try {
      expect(other.account('Bob Example').oid).toBe(microsoft.account('Bob Example').oid);
      expect(other.account('Bob Example').sub).not.toBe(microsoft.account('Bob Example').sub);
    } finally {
      await other.close();
    }
  });

  it('lets only the tenant\'s people approve: a personal account cannot sign in through organizations', async () => {
    const started = await start('organizations');
    expect(() => microsoft.approve(started.user_code, { name: 'Zoë Ångström' })).toThrow(/work or school/);
    const page = await postForm(`${microsoft.url}/link`, { user_code: started.user_code, identity: 'Zoë Ångström', action: 'authorize' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('work or school');
    expect(microsoft.deviceLogin(started.user_code)!.state).toBe('pending');
    microsoft.approve(started.user_code, { name: 'Bob Example' });
    expect(microsoft.deviceLogin(started.user_code)!.state).toBe('approved');
  });
});

describe('Microsoft stand-in: Graph\'s OIDC userinfo', () => {
  it('tells who the token belongs to, and answers 401 InvalidAuthenticationToken otherwise', async () => {
    const started = await start();
    microsoft.approve(started.user_code, { name: 'Bob Example' });
    const { access_token } = (await poll(started.device_code)).json;
    const info = await call(`${microsoft.url}/oidc/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    const bob = microsoft.account('Bob Example');
    expect(info.json).toEqual({
      sub: bob.sub,
      name: 'Bob Example',
      family_name: 'Example',
      given_name: 'Bob',
      picture: `${microsoft.url}/avatars/${bob.oid}.svg`,
      email: 'bob.example@contoso.example',
    });
    expect((await call(info.json.picture)).headers.get('content-type')).toBe('image/svg+xml');
    const bad = await call(`${microsoft.url}/oidc/userinfo`, { headers: { authorization: 'Bearer EwBnothing' } });
    expect([bad.status, bad.json.error.code]).toEqual([401, 'InvalidAuthenticationToken']);
  });
});
