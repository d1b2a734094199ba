/**
 * Google's OAuth clients, one per type, as the stand-in keeps them: the "TVs and Limited Input devices" client
 * (`clientId`) is the only one the device flow accepts, the "Web application" client (`webClient`) the only one
 * the authorize page and the code exchange accept, with Google's statuses and texts (google-clients.ts). Both
 * clients of the project see the same `sub`; each token and ID token is its own client's. And `workerVarsFor`
 * hands the Worker the web client only when the stand-in has one.
 */
import * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../scripts/lib/clock.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { DEVICE_GRANT_TYPE, startGoogleStandin, type GoogleStandin } from '../../scripts/standins/google.ts';
import { call, postForm } from '../support/node/http.ts';

const CALLBACK = 'https://bot.example/auth/google/callback';
const ONLY_TV = "Only clients of type 'TVs and Limited Input devices' can use the OAuth 2.0 flow for TV and Limited-Input Device Applications. Please create and use an appropriate client.";
// oauth4webapi checks the ID token's times against the real time: the stand-in's clock starts there.
const clock = manualClock(Date.now());
const insecure = { [oauth.allowInsecureRequests]: true };

let google: GoogleStandin;
afterEach(() => google?.close());

const web = () => google.webClient!;
const tv = () => ({ clientId: google.clientId, clientSecret: google.clientSecret });

async function authorizeUrl(clientId: string, verifier: string, nonce = 'n0nce') {
  return `${google.url}/o/oauth2/v2/auth?${new URLSearchParams({
    client_id: clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid email profile',
    state: 'st4te',
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    access_type: 'offline',
  })}`;
}

const exchange = (client: { clientId: string; clientSecret: string }, code: string, verifier: string) =>
  postForm(`${google.url}/token`, { client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CALLBACK });

/** A code for `person`, issued to the web client through the authorize page. */
async function webCode(person: string) {
  const verifier = oauth.generateRandomCodeVerifier();
  const location = await google.authorize(await authorizeUrl(web().clientId, verifier), { name: person }, 'approve');
  return { code: new URL(location).searchParams.get('code')!, verifier };
}

const claimsOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('Google stand-in: the device flow takes the "TVs and Limited Input devices" client only', () => {
  it('POST /device/code with the web client: 401 invalid_client, "Only clients of type …", and no device login', async () => {
    google = await startGoogleStandin({ now: clock.now });
    const reply = await postForm(`${google.url}/device/code`, { client_id: web().clientId, scope: 'openid email profile' });
    expect([reply.status, reply.json]).toEqual([401, { error: 'invalid_client', error_description: ONLY_TV }]);
    expect(google.deviceLogins()).toEqual([]);
    expect(google.traffic.entries().at(-1)).toMatchObject({ route: 'device/code', status: 401, note: 'not a TV client' });
  });

  it('a device code polled with the web client: 401 invalid_client "Invalid client type.", not counted as a poll', async () => {
    google = await startGoogleStandin({ now: clock.now });
    const started = (await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid' })).json;
    google.approve(started.user_code, { name: 'Alice Example' });
    const poll = (client: { clientId: string; clientSecret: string }) =>
      postForm(`${google.url}/token`, { client_id: client.clientId, client_secret: client.clientSecret, device_code: started.device_code, grant_type: DEVICE_GRANT_TYPE });
    const refused = await poll(web());
    expect([refused.status, refused.json]).toEqual([401, { error: 'invalid_client', error_description: 'Invalid client type.' }]);
    expect(google.deviceLogin(started.user_code)).toMatchObject({ state: 'approved', polls: [] });
    // The TV client still gets the tokens, for itself.
    const granted = await poll(tv());
    expect(granted.status).toBe(200);
    expect(claimsOf(granted.json.id_token)).toMatchObject({ aud: google.clientId, azp: google.clientId, sub: google.userIdFor('Alice Example') });
  });
});

describe('Google stand-in: the code flow takes the "Web application" client only', () => {
  it("the authorize page with the TV client: 400 redirect_uri_mismatch (it has no redirect URIs), no redirect, nothing recorded", async () => {
    google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
    const page = await fetch(await authorizeUrl(google.clientId, oauth.generateRandomCodeVerifier()), { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([400, null]);
    expect(await page.text()).toContain('Error 400: redirect_uri_mismatch');
    expect(google.authorizations()).toEqual([]);
  });

  it('the code exchanged by the TV client: 401 unauthorized_client "Unauthorized", and the code stays good for the web client', async () => {
    google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
    const { code, verifier } = await webCode('Bob Example');
    const refused = await exchange(tv(), code, verifier);
    expect([refused.status, refused.json]).toEqual([401, { error: 'unauthorized_client', error_description: 'Unauthorized' }]);
    expect(google.authorizations()[0]!.redeemedAt).toBeUndefined();
    const granted = await exchange(web(), code, verifier);
    expect(granted.status).toBe(200);
    expect(claimsOf(granted.json.id_token)).toMatchObject({ aud: web().clientId, azp: web().clientId, nonce: 'n0nce' });
  });

  it("a refresh token works only for the client it was issued to: another client's is 401 unauthorized_client", async () => {
    google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
    const { code, verifier } = await webCode('Bob Example');
    const { refresh_token } = (await exchange(web(), code, verifier)).json;
    const refresh = (client: { clientId: string; clientSecret: string }) =>
      postForm(`${google.url}/token`, { client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'refresh_token', refresh_token });
    const refused = await refresh(tv());
    expect([refused.status, refused.json]).toEqual([401, { error: 'unauthorized_client', error_description: 'Unauthorized' }]);
    expect((await refresh(web())).status).toBe(200);
  });

  it('the web client needs its own secret: the TV secret under the web id is 401 invalid_client', async () => {
    google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
    const { code, verifier } = await webCode('Bob Example');
    const wrong = await exchange({ clientId: web().clientId, clientSecret: google.clientSecret }, code, verifier);
    expect([wrong.status, wrong.json]).toEqual([401, { error: 'invalid_client', error_description: 'Unauthorized' }]);
  });
});

describe('Google stand-in: one project, two clients', () => {
  it('the same person has the same sub through either client; each token is revoked as its own client\'s', async () => {
    google = await startGoogleStandin({ now: clock.now, redirectUris: [CALLBACK] });
    const started = (await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid email profile' })).json;
    google.approve(started.user_code, { name: 'Zoë Ångström' });
    const device = (await postForm(`${google.url}/token`, { client_id: google.clientId, client_secret: google.clientSecret, device_code: started.device_code, grant_type: DEVICE_GRANT_TYPE })).json;
    const { code, verifier } = await webCode('Zoë Ångström');
    const browser = (await exchange(web(), code, verifier)).json;
    expect(claimsOf(device.id_token).sub).toBe(claimsOf(browser.id_token).sub);

    for (const token of [device.access_token, browser.access_token]) expect((await postForm(`${google.url}/revoke`, { token })).status).toBe(200);
    expect(google.revocations().map((r) => r.clientId)).toEqual([google.clientId, web().clientId]);
    // Neither client's secret is in the log.
    const log = JSON.stringify(google.traffic.entries());
    for (const secret of [google.clientSecret, web().clientSecret]) expect(log).not.toContain(secret);
  });

  it('a web client of its own id and secret, as given', async () => {
    google = await startGoogleStandin({ webClient: { clientId: 'web-1.apps.googleusercontent.com', clientSecret: 'GOCSPX-web-1-secret' } });
    expect(google.webClient).toEqual({ clientId: 'web-1.apps.googleusercontent.com', clientSecret: 'GOCSPX-web-1-secret' });
    expect(google.webClient!.clientId).not.toBe(google.clientId);
  });
});

describe('Google stand-in without a "Web application" client (webClient: false)', () => {
  it('has no webClient; registering a redirect URI throws, and so does starting with one', async () => {
    google = await startGoogleStandin({ webClient: false });
    expect(google.webClient).toBeUndefined();
    expect(() => google.allowRedirectUri(CALLBACK)).toThrow(/no "Web application" client/);
    await expect(startGoogleStandin({ webClient: false, redirectUris: [CALLBACK] })).rejects.toThrow(/Web application/);
  });

  it('the device flow works as before; the authorize page refuses the TV client', async () => {
    google = await startGoogleStandin({ webClient: false, now: clock.now });
    expect((await postForm(`${google.url}/device/code`, { client_id: google.clientId, scope: 'openid' })).status).toBe(200);
    const page = await call(await authorizeUrl(google.clientId, oauth.generateRandomCodeVerifier()));
    expect(page.status).toBe(400);
    expect(page.text).toContain('Error 400: redirect_uri_mismatch');
  });

  it('workerVarsFor sets GOOGLE_WEB_CLIENT_ID/SECRET exactly when the stand-in has a web client', async () => {
    const discord = { apiUrl: 'http://127.0.0.1:1/api/v10', applicationId: '1234567890123456789', publicKeyHex: 'ab'.repeat(32) };
    google = await startGoogleStandin({ webClient: false });
    const without = workerVarsFor({ discord, google });
    expect(without).toMatchObject({ GOOGLE_CLIENT_ID: google.clientId, GOOGLE_CLIENT_SECRET: google.clientSecret, GOOGLE_ISSUER: google.issuer });
    expect(Object.keys(without).filter((name) => name.startsWith('GOOGLE_WEB_'))).toEqual([]);
    await google.close();

    google = await startGoogleStandin();
    expect(workerVarsFor({ discord, google })).toMatchObject({
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_WEB_CLIENT_ID: web().clientId,
      GOOGLE_WEB_CLIENT_SECRET: web().clientSecret,
    });
  });
});
