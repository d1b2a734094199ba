import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { startGoogleStandin, type GoogleStandin } from '../../scripts/standins/google.ts';
import { AuthorizePageError } from '../../scripts/standins/oauth-standin.ts';
import { call, postForm } from '../support/node/http.ts';
import { verifyWithJwks } from '../support/node/jwt.ts';

const CALLBACK = 'https://bot.example/auth/google/callback';
const insecure = { [oauth.allowInsecureRequests]: true };
let clock: ManualClock;
let google: GoogleStandin;
let as: oauth.AuthorizationServer;
let client: oauth.Client;

beforeEach(async () => {
  // oauth4webapi checks the ID token's times against the real time: the stand-in's clock starts there.
  clock = manualClock(Date.now());
  google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
  as = await oauth.processDiscoveryResponse(new URL(google.url), await oauth.discoveryRequest(new URL(google.url), insecure));
  client = { client_id: web().clientId };
});
afterEach(() => google.close());

/** The "Web application" client: the only one this flow accepts. */
const web = () => google.webClient!;

async function authorizeUrl(extra: Record<string, string> = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: web().clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url: url.toString(), verifier, state, nonce };
}

const exchange = (params: Record<string, string>) =>
  postForm(`${google.url}/token`, {
    client_id: web().clientId,
    client_secret: web().clientSecret,
    grant_type: 'authorization_code',
    redirect_uri: CALLBACK,
    ...params,
  });

const codeOf = (location: string) => new URL(location).searchParams.get('code')!;

describe('Google stand-in: the authorization-code flow', () => {
  it('runs through oauth4webapi end to end: state, PKCE, nonce in a verified ID token', async () => {
    const { url, verifier, state, nonce } = await authorizeUrl();
    const location = await google.authorize(url, { name: 'Alice Example' }, 'approve');
    const callback = new URL(location);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      state,
      code: expect.stringMatching(/^4\/0A/),
      scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
      authuser: '0',
      prompt: 'consent',
    });
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(web().clientSecret), params, CALLBACK, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
    expect(tokens.refresh_token).toBeUndefined(); // no access_type=offline
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    expect(claims).toMatchObject({ iss: google.url, aud: web().clientId, sub: google.userIdFor('Alice Example'), nonce, email: 'alice.example@example.com' });
    const verified = await verifyWithJwks(tokens.id_token!, as.jwks_uri!);
    expect(verified.claims.nonce).toBe(nonce);
    expect(google.authorizations()).toMatchObject([{ decision: 'approved', nonce, pkce: 'S256', identity: { name: 'Alice Example' } }]);
  });

  it('shows in oauth4webapi when the nonce is not the one sent', async () => {
    const { url, verifier, state } = await authorizeUrl();
    const params = oauth.validateAuthResponse(as, client, new URL(await google.authorize(url, { name: 'Bob Example' }, 'approve')), state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(web().clientSecret), params, CALLBACK, verifier, insecure);
    await expect(oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: oauth.generateRandomNonce() })).rejects.toThrow(/nonce/);
  });

  it('refuses a wrong or missing verifier with 400 invalid_grant; the code works once, then invalid_grant', async () => {
    const { url, verifier } = await authorizeUrl();
    const code = codeOf(await google.authorize(url, { name: 'Alice Example' }, 'approve'));
    const wrong = await exchange({ code, code_verifier: oauth.generateRandomCodeVerifier() });
    expect([wrong.status, wrong.json]).toEqual([400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' }]);
    const missing = await exchange({ code });
    expect([missing.status, missing.json]).toEqual([400, { error: 'invalid_grant', error_description: 'Missing code verifier.' }]);
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
    const again = await exchange({ code, code_verifier: verifier });
    expect([again.status, again.json]).toEqual([400, { error: 'invalid_grant', error_description: 'Bad Request' }]);
  });

  it('answers redirect_uri_mismatch for another or a missing redirect_uri at the exchange, and a code expires after 10 minutes', async () => {
    const { url, verifier } = await authorizeUrl();
    const code = codeOf(await google.authorize(url, { name: 'Alice Example' }, 'approve'));
    const other = await exchange({ code, code_verifier: verifier, redirect_uri: 'https://bot.example/other' });
    expect([other.status, other.json.error]).toEqual([400, 'redirect_uri_mismatch']);
    const none = await postForm(`${google.url}/token`, { client_id: web().clientId, client_secret: web().clientSecret, grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(none.json.error).toBe('redirect_uri_mismatch');
    clock.advance(600_000);
    expect((await exchange({ code, code_verifier: verifier })).json).toEqual({ error: 'invalid_grant', error_description: 'Bad Request' });
  });

  it('Cancel redirects back with error=access_denied and the state', async () => {
    const { url, state } = await authorizeUrl();
    const callback = new URL(await google.authorize(url, { name: 'Alice Example' }, 'decline'));
    expect(Object.fromEntries(callback.searchParams)).toEqual({ error: 'access_denied', state });
    expect(() => oauth.validateAuthResponse(as, client, callback, state)).toThrow(oauth.AuthorizationResponseError);
  });

  it('never redirects to an unregistered or a missing redirect_uri, nor for an unknown client', async () => {
    const unregistered = await authorizeUrl({ redirect_uri: 'https://evil.example/callback' });
    const raw = await fetch(unregistered.url, { redirect: 'manual' });
    expect([raw.status, raw.headers.get('location')]).toEqual([400, null]);
    expect(await raw.text()).toContain('Error 400: redirect_uri_mismatch');

    const url = new URL(unregistered.url);
    url.searchParams.delete('redirect_uri');
    await expect(google.authorize(url.toString(), { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({ status: 400, message: expect.stringContaining('redirect_uri') });
    const unknown = await authorizeUrl({ client_id: 'someone-else.apps.googleusercontent.com' });
    await expect(google.authorize(unknown.url, { name: 'Alice Example' }, 'approve')).rejects.toThrow(AuthorizePageError);
    await expect(google.authorize(unknown.url, { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({ status: 401 });
    expect(google.authorizations()).toEqual([]);

    google.allowRedirectUri('https://evil.example/callback');
    expect(await google.authorize(unregistered.url, { name: 'Alice Example' }, 'approve')).toMatch(/^https:\/\/evil\.example\/callback\?state=/);
  });

  it('sends a bad response_type back to the (registered) redirect URI as unsupported_response_type', async () => {
    const { url, state } = await authorizeUrl({ response_type: 'token' });
    const callback = new URL(await google.authorize(url, { name: 'Alice Example' }, 'approve'));
    expect(callback.searchParams.get('error')).toBe('unsupported_response_type');
    expect(callback.searchParams.get('state')).toBe(state);
  });

  it('gives a refresh token with access_type=offline, and the refresh grant gives a new working access token', async () => {
    const { url, verifier } = await authorizeUrl({ access_type: 'offline' });
    const code = codeOf(await google.authorize(url, { name: 'Bob Example' }, 'approve'));
    const first = await exchange({ code, code_verifier: verifier });
    expect(first.json.refresh_token).toMatch(/^1\/\/0/);
    const refreshed = await postForm(`${google.url}/token`, {
      client_id: web().clientId,
      client_secret: web().clientSecret,
      grant_type: 'refresh_token',
      refresh_token: first.json.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).not.toBe(first.json.access_token);
    const info = await call(`${google.url}/v1/userinfo`, { headers: { authorization: `Bearer ${refreshed.json.access_token}` } });
    expect(info.json.name).toBe('Bob Example');
  });

  it('accepts the plain PKCE method too (Google advertises it)', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const { url } = await authorizeUrl({ code_challenge: verifier, code_challenge_method: 'plain' });
    const code = codeOf(await google.authorize(url, { name: 'Alice Example' }, 'approve'));
    expect((await exchange({ code, code_verifier: verifier })).status).toBe(200);
  });
});

describe('Google stand-in: the device page', () => {
  it('approves the code as typed (lower case, no dashes) for the chosen identity', async () => {
    const started = (await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid' })).json;
    const page = await call(`${google.url}/device`);
    expect(page.text).toContain('placeholder="XXX-XXX-XXX"');
    expect(page.text).toContain('Google');
    const done = await postForm(`${google.url}/device`, { user_code: started.user_code.toLowerCase().replaceAll('-', ''), identity: 'Zoë Ångström', action: 'authorize' });
    expect(done.status).toBe(200);
    expect(google.deviceLogin(started.user_code)).toMatchObject({ state: 'approved', identity: { name: 'Zoë Ångström' } });
  });
});
