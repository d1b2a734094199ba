import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { PERSONAL_TENANT_ID, startMicrosoftStandin, type MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import { AuthorizePageError } from '../../scripts/standins/oauth-standin.ts';
import { call, postForm } from '../support/node/http.ts';
import { verifyWithJwks } from '../support/node/jwt.ts';

const CALLBACK = 'https://bot.example/auth/microsoft/callback';
const insecure = { [oauth.allowInsecureRequests]: true };
let clock: ManualClock;
let microsoft: MicrosoftStandin;
let client: oauth.Client;

beforeEach(async () => {
  // oauth4webapi checks nbf and exp against the real time: the stand-in's clock starts there.
  clock = manualClock(Date.now());
  microsoft = await startMicrosoftStandin({ now: clock.now, redirectUris: [CALLBACK] });
  client = { client_id: microsoft.clientId };
});
afterEach(() => microsoft.close());

async function authorizeUrl(tenant: string, extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(`${microsoft.url}/${tenant}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: microsoft.clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url: url.toString(), verifier, state, nonce };
}

const exchange = (tenant: string, params: Record<string, string>) =>
  postForm(`${microsoft.url}/${tenant}/oauth2/v2.0/token`, { client_id: microsoft.clientId, grant_type: 'authorization_code', redirect_uri: CALLBACK, ...params });
const codeOf = (location: string) => new URL(location).searchParams.get('code')!;

describe('Microsoft stand-in: the authorization-code flow', () => {
  it('runs through oauth4webapi on a tenant authority as a public client: PKCE, nonce, verified ID token', async () => {
    const authority = new URL(microsoft.authority(microsoft.tenantId));
    const as = await oauth.processDiscoveryResponse(authority, await oauth.discoveryRequest(authority, insecure));
    const { url, verifier, state, nonce } = await authorizeUrl(microsoft.tenantId);
    const callback = new URL(await microsoft.authorize(url, { name: 'Bob Example' }, 'approve'));
    expect(Object.keys(Object.fromEntries(callback.searchParams))).toEqual(['code', 'state']);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CALLBACK, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    const bob = microsoft.account('Bob Example');
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ iss: as.issuer, aud: microsoft.clientId, sub: bob.sub, oid: bob.oid, tid: microsoft.tenantId, nonce, email: bob.email });
    expect((await verifyWithJwks(tokens.id_token!, as.jwks_uri!)).claims.nonce).toBe(nonce);
    expect(tokens.refresh_token).toBeUndefined(); // no offline_access
  });

  it('on common, the ID token\'s issuer is the person\'s tenant: it fails the templated issuer until the Worker substitutes tid', async () => {
    const metadata = (await call(`${microsoft.authority('common')}/.well-known/openid-configuration`)).json as oauth.AuthorizationServer;
    const { url, verifier, state, nonce } = await authorizeUrl('common');
    const params = oauth.validateAuthResponse(metadata, client, new URL(await microsoft.authorize(url, { name: 'Zoë Ångström' }, 'approve')), state);
    const response = await oauth.authorizationCodeGrantRequest(metadata, client, oauth.None(), params, CALLBACK, verifier, insecure);
    const body = await response.clone().json();
    await expect(oauth.processAuthorizationCodeResponse(metadata, client, response, { expectedNonce: nonce })).rejects.toThrow(/iss/);

    const tid = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString()).tid;
    expect(tid).toBe(PERSONAL_TENANT_ID);
    const resolved = { ...metadata, issuer: metadata.issuer.replace('{tenantid}', tid) };
    const replay = new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    const tokens = await oauth.processAuthorizationCodeResponse(resolved, client, replay, { expectedNonce: nonce });
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ iss: `${microsoft.url}/${PERSONAL_TENANT_ID}/v2.0`, tid: PERSONAL_TENANT_ID });
  });

  it('refuses a wrong verifier (AADSTS501481); the code works once (AADSTS54005 after) and expires after 10 minutes (AADSTS70008)', async () => {
    const first = await authorizeUrl('common');
    const code = codeOf(await microsoft.authorize(first.url, { name: 'Alice Example' }, 'approve'));
    const wrong = await exchange('common', { code, code_verifier: oauth.generateRandomCodeVerifier() });
    expect([wrong.status, wrong.json.error, wrong.json.error_codes]).toEqual([400, 'invalid_grant', [501481]]);
    expect((await exchange('common', { code, code_verifier: first.verifier })).status).toBe(200);
    const again = await exchange('common', { code, code_verifier: first.verifier });
    expect([again.status, again.json.error, again.json.error_codes]).toEqual([400, 'invalid_grant', [54005]]);

    const second = await authorizeUrl('common');
    const late = codeOf(await microsoft.authorize(second.url, { name: 'Alice Example' }, 'approve'));
    clock.advance(600_000);
    expect((await exchange('common', { code: late, code_verifier: second.verifier })).json.error_codes).toEqual([70008]);
  });

  it('accepts the right client secret, refuses a wrong one with 401 invalid_client', async () => {
    const { url, verifier } = await authorizeUrl('common');
    const code = codeOf(await microsoft.authorize(url, { name: 'Alice Example' }, 'approve'));
    const wrong = await exchange('common', { code, code_verifier: verifier, client_secret: 'nope' });
    expect([wrong.status, wrong.json.error, wrong.json.error_codes]).toEqual([401, 'invalid_client', [7000215]]);
    expect((await exchange('common', { code, code_verifier: verifier, client_secret: microsoft.clientSecret })).status).toBe(200);
  });

  it('Cancel redirects back with error=access_denied, error_subcode=cancel and the state', async () => {
    const { url, state } = await authorizeUrl('common');
    const callback = new URL(await microsoft.authorize(url, { name: 'Alice Example' }, 'decline'));
    expect(Object.fromEntries(callback.searchParams)).toEqual({ error: 'access_denied', error_subcode: 'cancel', state });
  });

  it('never redirects to an unregistered redirect_uri (AADSTS50011 page), nor for an unknown app or tenant', async () => {
    const unregistered = await authorizeUrl('common', { redirect_uri: 'https://evil.example/cb' });
    const raw = await fetch(unregistered.url, { redirect: 'manual' });
    expect([raw.status, raw.headers.get('location')]).toEqual([400, null]);
    expect(await raw.text()).toContain('AADSTS50011');
    const unknownApp = await authorizeUrl('common', { client_id: '00000000-1111-4222-8333-444444444444' });
    await expect(microsoft.authorize(unknownApp.url, { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({ status: 400, message: expect.stringContaining('AADSTS700016') });
    const unknownTenant = await authorizeUrl('11111111-2222-4333-8444-555555555555');
    await expect(microsoft.authorize(unknownTenant.url, { name: 'Alice Example' }, 'approve')).rejects.toThrow(/AADSTS90002/);
    expect(microsoft.authorizations()).toEqual([]);
  });

  it('offers only the tenant\'s people: organizations leaves out the personal account and refuses it', async () => {
    const { url } = await authorizeUrl('organizations');
    const page = await call(url);
    expect(page.text).toContain('value="Alice Example"');
    expect(page.text).not.toContain('value="Zoë Ångström"');
    await expect(microsoft.authorize(url, { name: 'Zoë Ångström' }, 'approve')).rejects.toThrow(AuthorizePageError);
    const consumers = await authorizeUrl('consumers');
    const callback = await microsoft.authorize(consumers.url, { name: 'Zoë Ångström' }, 'approve');
    const tokens = (await exchange('consumers', { code: codeOf(callback), code_verifier: consumers.verifier })).json;
    const claims = (await verifyWithJwks(tokens.id_token, `${microsoft.url}/consumers/discovery/v2.0/keys`)).claims;
    expect(claims).toMatchObject({ tid: PERSONAL_TENANT_ID, preferred_username: 'zoe.angstrom@outlook.example' });
  });

  it('gives a refresh token with offline_access, and the refresh grant answers new tokens', async () => {
    const { url, verifier } = await authorizeUrl('common', { scope: 'openid profile offline_access' });
    const code = codeOf(await microsoft.authorize(url, { name: 'Alice Example' }, 'approve'));
    const first = (await exchange('common', { code, code_verifier: verifier })).json;
    expect(first.refresh_token).toMatch(/^1\.A/);
    const refreshed = await postForm(`${microsoft.url}/common/oauth2/v2.0/token`, { client_id: microsoft.clientId, grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).not.toBe(first.access_token);
  });
});
