import * as oauth from 'oauth4webapi';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../scripts/lib/clock.ts';
import { OidcInteractionError, startOidcStandin, type OidcStandin, type OidcStandinOptions } from '../../scripts/standins/oidc.ts';
import { call } from '../support/node/http.ts';

let oidc: OidcStandin | undefined;
afterEach(async () => {
  await oidc?.close();
  oidc = undefined;
});

const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function start(options: OidcStandinOptions = {}) {
  oidc = await startOidcStandin(options);
  const issuer = new URL(oidc.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  const client: oauth.Client = { client_id: oidc.clientId };
  const auth = oidc.clientSecret === undefined ? oauth.None() : oidc.tokenEndpointAuthMethod === 'client_secret_post' ? oauth.ClientSecretPost(oidc.clientSecret) : oauth.ClientSecretBasic(oidc.clientSecret);
  return { oidc, as, client, auth };
}

type Setup = Awaited<ReturnType<typeof start>>;

async function authorizeDevice({ as, client, auth }: Setup, scope = 'openid profile email') {
  const response = await oauth.deviceAuthorizationRequest(as, client, auth, { scope }, insecure);
  return oauth.processDeviceAuthorizationResponse(as, client, response);
}

/** One poll: the tokens, or the OAuth error code it was answered with. */
async function poll({ as, client, auth }: Setup, deviceCode: string): Promise<oauth.TokenEndpointResponse | string> {
  const response = await oauth.deviceCodeGrantRequest(as, client, auth, deviceCode, insecure);
  try {
    return await oauth.processDeviceCodeResponse(as, client, response);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) return error.error;
    // A 401 with a WWW-Authenticate challenge (invalid_client under client_secret_basic).
    if (error instanceof oauth.WWWAuthenticateChallengeError) return String(error.cause[0]?.parameters.error);
    throw error;
  }
}

function tokens(result: oauth.TokenEndpointResponse | string): oauth.TokenEndpointResponse {
  if (typeof result === 'string') throw new Error(`expected tokens, got ${result}`);
  return result;
}

describe('OpenID stand-in: discovery', () => {
  it('publishes its issuer (the loopback URL), the device, token, userinfo and revocation endpoints, and PKCE S256', async () => {
    const { oidc, as } = await start();
    expect(oidc.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(as).toMatchObject({
      issuer: oidc.issuer,
      authorization_endpoint: `${oidc.issuer}/auth`,
      device_authorization_endpoint: `${oidc.issuer}/device/auth`,
      token_endpoint: `${oidc.issuer}/token`,
      userinfo_endpoint: `${oidc.issuer}/me`,
      revocation_endpoint: `${oidc.issuer}/token/revocation`,
      code_challenge_methods_supported: ['S256'],
    });
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code']));
    expect(as.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
  });
});

describe('OpenID stand-in: device flow', () => {
  it('approve → tokens with a valid ID token (name, picture) and userinfo for that person', async () => {
    const setup = await start();
    const device = await authorizeDevice(setup);
    expect(device.verification_uri).toBe(`${setup.oidc.issuer}/device`);
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(device.expires_in).toBe(600);
    expect(device.interval).toBeUndefined(); // oidc-provider sends none by itself
    expect(await poll(setup, device.device_code)).toBe('authorization_pending');

    const { sub } = await setup.oidc.approve(device.user_code, 'alice');
    expect(sub).toBe(setup.oidc.subFor('alice'));
    expect(sub).toMatch(/^\d{21}$/);

    const result = tokens(await poll(setup, device.device_code));
    expect(result.token_type).toBe('bearer');
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims).toMatchObject({
      iss: setup.oidc.issuer,
      aud: 'discord-bot',
      sub,
      name: 'Alice Example',
      preferred_username: 'alice',
      picture: `${setup.oidc.issuer}/pictures/${sub}.svg`,
      email: 'alice@example.test',
    });

    const info = await oauth.processUserInfoResponse(
      setup.as,
      setup.client,
      sub,
      await oauth.userInfoRequest(setup.as, setup.client, result.access_token, insecure),
    );
    expect(info).toEqual({
      sub,
      name: 'Alice Example',
      preferred_username: 'alice',
      picture: `${setup.oidc.issuer}/pictures/${sub}.svg`,
      email: 'alice@example.test',
      email_verified: true,
    });
    const picture = await call(String(info.picture));
    expect(picture.headers.get('content-type')).toBe('image/svg+xml');
    expect(picture.text).toContain('>AE<');

    expect(setup.oidc.deviceLogin(device.user_code)).toMatchObject({
      userCode: device.user_code,
      clientId: 'discord-bot',
      scope: 'openid profile email',
      outcomes: ['authorization_pending', 'tokens'],
    });
  });

  it('maps any login to a stable sub: the same person twice, a stranger by the name typed', async () => {
    const setup = await start();
    const first = await authorizeDevice(setup);
    await setup.oidc.approve(first.user_code, 'Zoe');
    const zoe = oauth.getValidatedIdTokenClaims(tokens(await poll(setup, first.device_code)))!;
    expect(zoe).toMatchObject({ sub: setup.oidc.subFor('zoe'), name: 'Zoë Ångström' });

    const second = await authorizeDevice(setup);
    await setup.oidc.approve(second.user_code, 'mallory');
    const mallory = oauth.getValidatedIdTokenClaims(tokens(await poll(setup, second.device_code)))!;
    expect(mallory).toMatchObject({ sub: setup.oidc.subFor('mallory'), name: 'mallory', preferred_username: 'mallory' });
    expect(mallory.sub).not.toBe(zoe.sub);
  });

  it('deny at the confirmation page, or at consent, → access_denied', async () => {
    const setup = await start();
    for (const at of ['confirm', 'consent'] as const) {
      const device = await authorizeDevice(setup);
      await setup.oidc.deny(device.user_code, { at, login: 'bob' });
      expect(await poll(setup, device.device_code)).toBe('access_denied');
    }
  });

  it('approve() of a wrong or already used code fails with the page\'s reason', async () => {
    const setup = await start();
    await expect(setup.oidc.approve('BCDF-GHJK', 'alice')).rejects.toThrow(OidcInteractionError);
    const device = await authorizeDevice(setup);
    await setup.oidc.approve(device.user_code, 'alice');
    await expect(setup.oidc.approve(device.user_code, 'bob')).rejects.toThrow(/incorrect, expired or already used/);
  });

  it('an expired device code answers expired_token for clockToleranceSeconds, then invalid_grant', async () => {
    const setup = await start({ deviceCodeTtlSeconds: 1, clockToleranceSeconds: 1 });
    const device = await authorizeDevice(setup);
    expect(device.expires_in).toBe(1);
    const seen: string[] = [];
    const deadline = Date.now() + 6_000;
    while (Date.now() < deadline && seen.at(-1) !== 'invalid_grant') {
      const answer = await poll(setup, device.device_code);
      if (typeof answer !== 'string') throw new Error('unexpected tokens');
      if (seen.at(-1) !== answer) seen.push(answer);
      await sleep(100);
    }
    expect(seen).toEqual(['authorization_pending', 'expired_token', 'invalid_grant']);
  });

  it('a second exchange of a used device code is refused and revokes the tokens the first one issued', async () => {
    const setup = await start();
    const device = await authorizeDevice(setup);
    await setup.oidc.approve(device.user_code, 'bob');
    const first = tokens(await poll(setup, device.device_code));
    const userinfo = () => oauth.userInfoRequest(setup.as, setup.client, first.access_token, insecure);
    expect((await userinfo()).status).toBe(200);

    expect(await poll(setup, device.device_code)).toBe('invalid_grant');
    const after = await userinfo();
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('revocation ends an access token', async () => {
    const setup = await start();
    const device = await authorizeDevice(setup);
    await setup.oidc.approve(device.user_code, 'alice');
    const result = tokens(await poll(setup, device.device_code));
    await oauth.processRevocationResponse(await oauth.revocationRequest(setup.as, setup.client, setup.auth, result.access_token, insecure));
    expect((await oauth.userInfoRequest(setup.as, setup.client, result.access_token, insecure)).status).toBe(401);
  });

  it('a confidential client (client_secret_basic) must authenticate; a wrong secret gets invalid_client', async () => {
    const setup = await start({ tokenEndpointAuthMethod: 'client_secret_basic', clientSecret: 's3cret-s3cret-s3cret' });
    const device = await authorizeDevice(setup);
    await setup.oidc.approve(device.user_code, 'alice');
    const wrong = await poll({ ...setup, auth: oauth.ClientSecretBasic('wrong') }, device.device_code);
    expect(wrong).toBe('invalid_client');
    expect(tokens(await poll(setup, device.device_code)).access_token).toBeTruthy();
  });
});

describe('OpenID stand-in: poll pacing (interval, slow_down)', () => {
  it('with intervalSeconds and slowDown: the answer carries interval; early polls get slow_down and +5 s each time', async () => {
    const clock = manualClock(1_800_000_000_000);
    const setup = await start({ intervalSeconds: 5, slowDown: true, now: clock.now });
    const device = await authorizeDevice(setup);
    expect(device.interval).toBe(5);

    expect(await poll(setup, device.device_code)).toBe('authorization_pending');
    clock.advance(4_999);
    expect(await poll(setup, device.device_code)).toBe('slow_down'); // required gap now 10 s
    clock.advance(9_999);
    expect(await poll(setup, device.device_code)).toBe('slow_down'); // now 15 s
    clock.advance(15_000);
    expect(await poll(setup, device.device_code)).toBe('authorization_pending');
    await setup.oidc.approve(device.user_code, 'alice');
    clock.advance(15_000);
    expect(typeof (await poll(setup, device.device_code))).toBe('object');

    expect(setup.oidc.deviceLogin(device.user_code)).toMatchObject({
      polls: [1_800_000_000_000, 1_800_000_004_999, 1_800_000_014_998, 1_800_000_029_998, 1_800_000_044_998],
      outcomes: ['authorization_pending', 'slow_down', 'slow_down', 'authorization_pending', 'tokens'],
      tooFastPolls: 2,
      slowDowns: 2,
      requiredIntervalMs: 15_000,
    });
  });

  it('the slow_down answer is RFC 8628\'s: HTTP 400, JSON error, no-store', async () => {
    const clock = manualClock(1_800_000_000_000);
    const setup = await start({ slowDown: true, now: clock.now });
    const device = await authorizeDevice(setup);
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: setup.oidc.clientId };
    const post = () => call(`${setup.oidc.issuer}/token`, { method: 'POST', body: new URLSearchParams(form) });
    expect((await post()).json.error).toBe('authorization_pending');
    const early = await post();
    expect(early.status).toBe(400);
    expect(early.headers.get('cache-control')).toBe('no-store');
    expect(early.json).toEqual({ error: 'slow_down', error_description: expect.any(String) });
  });

  it('without slowDown (the default), early polls are only counted, never answered slow_down', async () => {
    const clock = manualClock(1_800_000_000_000);
    const setup = await start({ now: clock.now });
    const device = await authorizeDevice(setup);
    const changes: string[] = [];
    setup.oidc.events.on('change', (event) => changes.push(`${event.kind}:${event.outcome ?? ''}`));
    for (let i = 0; i < 3; i++) expect(await poll(setup, device.device_code)).toBe('authorization_pending');
    expect(setup.oidc.deviceLogin(device.user_code)).toMatchObject({ tooFastPolls: 2, slowDowns: 0, requiredIntervalMs: 5_000 });
    expect(changes).toEqual(['polled:authorization_pending', 'polled:authorization_pending', 'polled:authorization_pending']);
  });

  it('waitForDeviceLogin finds the login a client starts later', async () => {
    const setup = await start();
    const waiting = setup.oidc.waitForDeviceLogin((login) => login.scope.includes('email'), 5_000);
    const device = await authorizeDevice(setup);
    expect((await waiting).userCode).toBe(device.user_code);
  });
});

describe('OpenID stand-in: authorization code flow', () => {
  const redirectUri = 'http://127.0.0.1:9/auth/oidc/callback';

  async function authorizationUrl(setup: Setup, extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(setup.as.authorization_endpoint!);
    for (const [key, value] of Object.entries({
      client_id: setup.client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    })) {
      url.searchParams.set(key, value);
    }
    return { url: url.href, verifier, state, nonce };
  }

  it('PKCE + nonce round trip with a redirect URI registered after start', async () => {
    const setup = await start();
    setup.oidc.allowRedirectUri(redirectUri);
    const request = await authorizationUrl(setup);
    const location = await setup.oidc.authorize(request.url, 'bob', 'approve');
    expect(location.startsWith(`${redirectUri}?`)).toBe(true);
    const params = oauth.validateAuthResponse(setup.as, setup.client, new URL(location), request.state);
    const response = await oauth.authorizationCodeGrantRequest(setup.as, setup.client, setup.auth, params, redirectUri, request.verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(setup.as, setup.client, response, { expectedNonce: request.nonce, requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(result)).toMatchObject({ sub: setup.oidc.subFor('bob'), name: 'Bob Example', nonce: request.nonce });

    // The code is single use; a second exchange is refused and revokes what the first one issued.
    const again = await oauth.authorizationCodeGrantRequest(setup.as, setup.client, setup.auth, params, redirectUri, request.verifier, insecure);
    await expect(oauth.processAuthorizationCodeResponse(setup.as, setup.client, again)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oauth.userInfoRequest(setup.as, setup.client, result.access_token, insecure)).status).toBe(401);
  });

  it('decline → the redirect carries error=access_denied and the state', async () => {
    const setup = await start({ redirectUris: [redirectUri] });
    const request = await authorizationUrl(setup);
    const location = new URL(await setup.oidc.authorize(request.url, 'alice', 'decline'));
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
      state: request.state,
      iss: setup.oidc.issuer,
    });
    expect(() => oauth.validateAuthResponse(setup.as, setup.client, location, request.state)).toThrow(oauth.AuthorizationResponseError);
  });

  it('requires PKCE: a request without code_challenge is sent back with invalid_request', async () => {
    const setup = await start({ redirectUris: [redirectUri] });
    const request = await authorizationUrl(setup);
    const url = new URL(request.url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const location = new URL(await setup.oidc.authorize(url.href, 'alice', 'approve'));
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('an unregistered redirect_uri gets an error page, never a redirect', async () => {
    const setup = await start({ redirectUris: ['http://127.0.0.1:9/other'] });
    const request = await authorizationUrl(setup);
    await expect(setup.oidc.authorize(request.url, 'alice', 'approve')).rejects.toThrow(/redirect_uri/);
  });

  it('idTokenOnlySub: the ID token carries only sub; name and picture come from userinfo', async () => {
    const setup = await start({ redirectUris: [redirectUri], idTokenOnlySub: true });
    const request = await authorizationUrl(setup);
    const params = oauth.validateAuthResponse(setup.as, setup.client, new URL(await setup.oidc.authorize(request.url, 'zoe', 'approve')), request.state);
    const result = await oauth.processAuthorizationCodeResponse(
      setup.as,
      setup.client,
      await oauth.authorizationCodeGrantRequest(setup.as, setup.client, setup.auth, params, redirectUri, request.verifier, insecure),
      { expectedNonce: request.nonce },
    );
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    const sub = setup.oidc.subFor('zoe');
    expect(claims.sub).toBe(sub);
    for (const claim of ['name', 'picture', 'preferred_username', 'email']) expect(claims).not.toHaveProperty(claim);
    const info = await oauth.processUserInfoResponse(setup.as, setup.client, sub, await oauth.userInfoRequest(setup.as, setup.client, result.access_token, insecure));
    expect(info).toMatchObject({ sub, name: 'Zoë Ångström', picture: `${setup.oidc.issuer}/pictures/${sub}.svg` });
  });
});

describe('OpenID stand-in: traffic log', () => {
  it('records requests with secrets masked: device code, tokens, client secret, password', async () => {
    const setup = await start({ tokenEndpointAuthMethod: 'client_secret_post', clientSecret: 'post-secret-post-secret' });
    const device = await authorizeDevice(setup);
    await setup.oidc.approve(device.user_code, 'alice');
    const result = tokens(await poll(setup, device.device_code));
    await oauth.userInfoRequest(setup.as, setup.client, result.access_token, insecure);

    const entries = setup.oidc.traffic.entries();
    const poll1 = entries.find((entry) => entry.route === 'token')!;
    expect(poll1).toMatchObject({ method: 'POST', status: 200, note: 'tokens' });
    expect(poll1.params).toMatchObject({ device_code: '***', client_secret: '***', client_id: 'discord-bot' });
    expect(entries.find((entry) => entry.route === 'interaction' && entry.method === 'POST' && entry.params?.password)?.params?.password).toBe('***');
    expect(entries.find((entry) => entry.route === 'userinfo')?.params).toEqual({ authorization: '***' });
    const text = JSON.stringify(entries);
    for (const secret of [device.device_code, result.access_token, 'post-secret-post-secret', 'any password']) expect(text).not.toContain(secret);
  });
});
