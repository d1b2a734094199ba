/**
 * A local stand-in for Google's OpenID provider: discovery, the device flow for "TVs and Limited Input
 * devices", the authorization-code flow with PKCE and nonce, RS256 ID tokens and their JWKS, userinfo and
 * revocation, behaving as PLATFORM.md §7 and §9 describe. Like Google, it keeps one OAuth client per type
 * (google-clients.ts): `clientId`/`clientSecret` are the "TVs and Limited Input devices" client, the only one the
 * device flow accepts; `webClient` is the "Web application" client, the only one the authorize page and the code
 * exchange accept, which holds the redirect URIs (by default there is one; `webClient: false` leaves it out). Start it with {@link startGoogleStandin}; the Worker's
 * GOOGLE_ISSUER is `url` (the issuer; discovery at `<url>/.well-known/openid-configuration`). Paths follow
 * Google's (one server instead of accounts.google.com, oauth2.googleapis.com and openidconnect.googleapis.com).
 *
 * Google's quirks, kept on purpose (the Worker must adapt to them):
 * - The device authorization answer has `verification_url`, not RFC 8628's `verification_uri`.
 * - The device grant needs the client secret (client_secret_post or client_secret_basic).
 * - Only `openid`, `email`, `profile` (and their userinfo URL forms) are allowed on the device flow.
 * - The token answer's `scope` names email and profile in their URL forms.
 * - Each client type works for its own flow only, and is refused by the other's endpoints (google-clients.ts).
 *
 * Poll answers (statuses and bodies) from developers.google.com/identity/protocols/oauth2/limited-input-device,
 * "Step 6: Handle responses to polling requests" (mirrored in the YouTube device guide): access_denied 403
 * "Forbidden", authorization_pending 428 "Precondition Required", slow_down 403 "Forbidden"; invalid_client 401,
 * invalid_grant 400 ("The code parameter value is invalid, has already been claimed or cannot be parsed"),
 * unsupported_grant_type 400. Not documented there, from captured fixtures [obs]: expired_token 400 "Bad Request";
 * "Invalid device flow scope: <scope>" for invalid_scope. [inf]: the texts for a missing or wrong secret, PKCE
 * failures, the 503 fault's body, and `{}` as the revocation answer.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue } from '../lib/faults.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { DEFAULT_TV_CLIENT, DEFAULT_WEB_CLIENT, DEVICE_FLOW_NEEDS_TV_CLIENT, GoogleClients, INVALID_CLIENT_TYPE, type GoogleClient } from './google-clients.ts';
import { accessTokenHash, IdTokenSigner, type Jwks } from './id-token.ts';
import { authorizeDecisionAnswer, authorizePageAnswer, devicePageAnswer, refusedAnswer, type BrowserPages } from './oauth-browser.ts';
import { AuthorizationCodes, isWellFormedPkceValue, type AuthorizationRequest, type AuthorizationSnapshot, type PkceMethod } from './oauth-codes.ts';
import { CONSONANTS, DEVICE_GRANT_TYPE, DeviceCodeError, DeviceLogins, randomCode, type DeviceLoginEvent, type DeviceLoginSnapshot } from './oauth-device-logins.ts';
import { DEFAULT_IDENTITIES, numericIdOf, slugOf, splitName, type Identity } from './oauth-identities.ts';
import { avatarSvg, errorPage, type Brand } from './oauth-pages.ts';
import {
  OAUTH_SECRET_PARAMS,
  bearerToken,
  clientCredentials,
  htmlAnswer,
  jsonAnswer,
  redirectAnswer,
  safeEqual,
  scopesOf,
  startOAuthServer,
  svgAnswer,
  withQuery,
  type Answer,
  type CommonFault,
  type Incoming,
  type UnavailableFault,
} from './oauth-server.ts';
import { KnownIdentities, sharedHandleMembers, walkAuthorizePage, type OAuthStandinBase } from './oauth-standin.ts';
import { TokenBook, type Revocation, type TokenRecord } from './oauth-tokens.ts';

export type { DeviceLoginEvent, DeviceLoginSnapshot, Identity, Revocation, AuthorizationSnapshot, Jwks };
export { DeviceCodeError };

export type GoogleRoute = 'discovery' | 'authorize' | 'device/code' | 'token' | 'userinfo' | 'revoke' | 'jwks' | 'device' | 'avatar';
export type GoogleFault = CommonFault | UnavailableFault;

/** Routes a browser loads (the playground leaves them out of the Worker's traffic). */
export const GOOGLE_BROWSER_ROUTES: ReadonlySet<GoogleRoute> = new Set(['authorize', 'device', 'avatar']);

export { DEVICE_GRANT_TYPE };

const EMAIL_SCOPE = 'https://www.googleapis.com/auth/userinfo.email';
const PROFILE_SCOPE = 'https://www.googleapis.com/auth/userinfo.profile';
/** The scopes this stand-in lets through the device flow (Google allows a few more API scopes, none we use). */
const DEVICE_FLOW_SCOPES = new Set(['openid', 'email', 'profile', EMAIL_SCOPE, PROFILE_SCOPE]);

export interface GoogleStandinOptions {
  port?: number;
  now?: Clock;
  /** The "TVs and Limited Input devices" client: the device flow's. */
  clientId?: string;
  clientSecret?: string;
  /** The "Web application" client: the authorization-code flow's. Default: one, with a default id and secret. */
  webClient?: { clientId?: string; clientSecret?: string } | false;
  /** `interval`, and the minimum gap between polls of one code. Default 5. */
  intervalSeconds?: number;
  /** Default 1800 (Google's). */
  expiresInSeconds?: number;
  /** Added to the required gap after each slow_down. Default 5 (RFC 8628; Google does not say). */
  slowDownPenaltySeconds?: number;
  /** The web client's registered redirect URIs (exact match). More with `allowRedirectUri`. */
  redirectUris?: readonly string[];
  /**
   * The ID token's `iss`: the issuer URL (default), or `host`: the same without its scheme. Google documents both
   * ("The value of iss in the ID token is equal to accounts.google.com or https://accounts.google.com",
   * developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken; OpenID Connect Core §15.6.2).
   */
  idTokenIssuer?: 'url' | 'host';
  identities?: readonly Identity[];
  appName?: string;
  logCap?: number;
}

/** What the ID token and userinfo say about an identity. */
export interface GoogleAccount {
  /** A 21-digit numeric string: the id to keep (not the e-mail address). */
  sub: string;
  email: string;
  name: string;
  givenName: string;
  familyName: string;
  picture: string;
}

export interface GoogleStandin extends OAuthStandinBase<Identity, GoogleRoute, GoogleFault> {
  /** The issuer: the Worker's GOOGLE_ISSUER. Same as `url`. */
  readonly issuer: string;
  /**
   * The "Web application" client (the Worker's GOOGLE_WEB_CLIENT_ID/SECRET), if the project has one. `clientId`
   * and `clientSecret` are the "TVs and Limited Input devices" client (GOOGLE_CLIENT_ID/SECRET).
   * `allowRedirectUri` registers on this client, and throws without one.
   */
  readonly webClient: { readonly clientId: string; readonly clientSecret: string } | undefined;
  /** The ID token's `sub` for an identity of this name. */
  userIdFor(name: string): string;
  account(name: string): GoogleAccount;
  jwks(): Jwks;
}

export const GOOGLE_BRAND: Brand = {
  name: 'Google',
  wordmark: 'Google',
  accent: '#1a73e8',
  accentText: '#ffffff',
  bar: '#ffffff',
  barText: '#4285f4',
  background: '#f0f4f9',
  avatarColors: ['#1a73e8', '#d93025', '#188038', '#e37400', '#9334e6', '#007b83'],
};

const googleError = (status: number, error: string, description: string, note: string = error, headers?: Record<string, string>) =>
  jsonAnswer(status, { error, error_description: description }, note, headers);

const PATHS: Record<string, GoogleRoute> = {
  '/.well-known/openid-configuration': 'discovery',
  '/o/oauth2/v2/auth': 'authorize',
  '/device/code': 'device/code',
  '/token': 'token',
  '/v1/userinfo': 'userinfo',
  '/revoke': 'revoke',
  '/oauth2/v3/certs': 'jwks',
  '/device': 'device',
};

function matchRoute(path: string): { route: GoogleRoute; vars?: Record<string, string> } | undefined {
  const route = PATHS[path];
  if (route) return { route };
  const avatar = /^\/avatars\/(\d+)\.svg$/.exec(path);
  return avatar ? { route: 'avatar', vars: { sub: avatar[1]! } } : undefined;
}

const METHODS: Record<GoogleRoute, readonly string[]> = {
  discovery: ['GET'],
  authorize: ['GET', 'POST'],
  'device/code': ['POST'],
  token: ['POST'],
  userinfo: ['GET', 'POST'],
  revoke: ['POST'],
  jwks: ['GET'],
  device: ['GET', 'POST'],
  avatar: ['GET'],
};

/** Google answers email and profile in their URL forms. */
function grantedScopes(scopes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const scope of scopes) out.add(scope === 'email' ? EMAIL_SCOPE : scope === 'profile' ? PROFILE_SCOPE : scope);
  return [...out];
}

const has = (scopes: readonly string[], short: 'email' | 'profile') =>
  scopes.includes(short) || scopes.includes(short === 'email' ? EMAIL_SCOPE : PROFILE_SCOPE);

export async function startGoogleStandin(options: GoogleStandinOptions = {}): Promise<GoogleStandin> {
  const now = options.now ?? systemClock;
  const clients = new GoogleClients(
    { clientId: options.clientId ?? DEFAULT_TV_CLIENT.clientId, clientSecret: options.clientSecret ?? DEFAULT_TV_CLIENT.clientSecret },
    options.webClient === false ? undefined : { ...DEFAULT_WEB_CLIENT, ...options.webClient },
    options.redirectUris,
  );
  const identities = options.identities ?? DEFAULT_IDENTITIES;
  const appName = options.appName ?? 'Discord bot (stand-in app)';
  const signer = await IdTokenSigner.create();

  const logins = new DeviceLogins<Identity>({
    now,
    expiresInSeconds: options.expiresInSeconds ?? 1800,
    intervalSeconds: options.intervalSeconds ?? 5,
    slowDownPenaltySeconds: options.slowDownPenaltySeconds ?? 5,
    newUserCode: () => randomCode(CONSONANTS, [3, 3, 3]),
    newDeviceCode: () => `AH-1Ng${randomBytes(48).toString('base64url')}`,
  });
  const codes = new AuthorizationCodes<Identity>(now, () => `4/0A${randomBytes(48).toString('base64url')}`);
  const tokens = new TokenBook<Identity>({
    now,
    newAccessToken: () => `ya29.a0${randomBytes(96).toString('base64url')}`,
    newRefreshToken: () => `1//0${randomBytes(72).toString('base64url')}`,
    accessTokenLifetimeSeconds: 3599,
  });
  const faults = new FaultQueue<GoogleRoute, GoogleFault>();
  const traffic = new TrafficLog(options.logCap);

  const known = new KnownIdentities<Identity>(identities);
  const remember = (identity: Identity) => known.remember(identity);
  const subOf = (name: string) => numericIdOf(['google', name], 21);

  let url = '';
  const accountOf = (name: string): GoogleAccount => {
    const identity = known.get(name) ?? { name };
    const sub = subOf(name);
    const { givenName, familyName } = splitName(name);
    return {
      sub,
      email: identity.email ?? `${slugOf(name)}@example.com`,
      name,
      givenName,
      familyName,
      picture: identity.pictureUrl ?? `${url}/avatars/${sub}.svg`,
    };
  };

  /** Profile claims as Google gives them: only what the scopes allow. */
  function claimsOf(identity: Identity, scopes: readonly string[]): Record<string, unknown> {
    const account = accountOf(identity.name);
    return {
      sub: account.sub,
      ...(has(scopes, 'email') ? { email: account.email, email_verified: true } : {}),
      ...(has(scopes, 'profile')
        ? { name: account.name, picture: account.picture, given_name: account.givenName, ...(account.familyName ? { family_name: account.familyName } : {}) }
        : { picture: account.picture }),
    };
  }

  /** The token answer for `client`: the ID token is for it (`aud`, `azp`), and so are the tokens. */
  function tokenAnswer(input: { client: GoogleClient; identity: Identity; scopes: string[]; nonce?: string; refresh: boolean; note: string }): Answer {
    remember(input.identity);
    const clientId = input.client.clientId;
    const issued = tokens.issue({ identity: input.identity, userId: subOf(input.identity.name), clientId, scopes: input.scopes, refresh: input.refresh });
    const body: Record<string, unknown> = {
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
      scope: grantedScopes(input.scopes).join(' '),
      token_type: 'Bearer',
    };
    if (input.scopes.includes('openid')) {
      const iat = Math.floor(now() / 1000);
      body.id_token = signer.sign({
        iss: options.idTokenIssuer === 'host' ? new URL(url).host : url,
        azp: clientId,
        aud: clientId,
        ...claimsOf(input.identity, input.scopes),
        at_hash: accessTokenHash(issued.accessToken),
        ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
        iat,
        exp: iat + 3600,
      });
    }
    return jsonAnswer(200, body, input.note);
  }

  function discovery(): Answer {
    return jsonAnswer(200, {
      issuer: url,
      authorization_endpoint: `${url}/o/oauth2/v2/auth`,
      device_authorization_endpoint: `${url}/device/code`,
      token_endpoint: `${url}/token`,
      userinfo_endpoint: `${url}/v1/userinfo`,
      revocation_endpoint: `${url}/revoke`,
      jwks_uri: `${url}/oauth2/v3/certs`,
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT_TYPE, 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    });
  }

  function deviceCode(request: Incoming<GoogleRoute>): Answer {
    const client = clients.byId(request.params.client_id);
    if (!client) return googleError(401, 'invalid_client', 'The OAuth client was not found.');
    if (client.type !== 'tv') return googleError(401, 'invalid_client', DEVICE_FLOW_NEEDS_TV_CLIENT, 'not a TV client');
    if (!request.params.scope) return googleError(400, 'invalid_request', 'Missing required parameter: scope');
    const scopes = scopesOf(request.params.scope);
    const refused = scopes.find((scope) => !DEVICE_FLOW_SCOPES.has(scope));
    if (refused) return googleError(400, 'invalid_scope', `Invalid device flow scope: ${refused}`);
    const started = logins.start({ clientId: client.clientId, scopes });
    return jsonAnswer(200, {
      device_code: started.deviceCode,
      user_code: started.userCode,
      verification_url: `${url}/device`,
      expires_in: started.expiresIn,
      interval: started.interval,
    });
  }

  /** Client authentication for the token endpoint: the client, or the refusal. */
  function authenticate(request: Incoming<GoogleRoute>): { client: GoogleClient } | { refusal: Answer } {
    const credentials = clientCredentials(request);
    if (credentials.malformed) return { refusal: googleError(400, 'invalid_request', 'Client authentication must use one method.') };
    const client = clients.byId(credentials.clientId);
    if (!client) return { refusal: googleError(401, 'invalid_client', 'The OAuth client was not found.') };
    if (credentials.clientSecret === undefined) return { refusal: googleError(401, 'invalid_client', 'Unauthorized', 'secret missing') };
    if (!safeEqual(credentials.clientSecret, client.clientSecret)) return { refusal: googleError(401, 'invalid_client', 'Unauthorized', 'wrong secret') };
    return { client };
  }

  /** A grant presented by a client it is not for (another client's code or refresh token, or the wrong type). */
  const notThisClient = (note: string) => googleError(401, 'unauthorized_client', 'Unauthorized', note);

  function deviceGrant(client: GoogleClient, request: Incoming<GoogleRoute>): Answer {
    if (client.type !== 'tv') return googleError(401, 'invalid_client', INVALID_CLIENT_TYPE, 'not a TV client');
    const deviceCodeParam = request.params.device_code;
    if (!deviceCodeParam) return googleError(400, 'invalid_request', 'Missing required parameter: device_code');
    const outcome = logins.poll(deviceCodeParam, client.clientId);
    switch (outcome.kind) {
      case 'unknown':
      case 'redeemed':
        return googleError(400, 'invalid_grant', 'Bad Request', outcome.kind);
      case 'expired':
        return googleError(400, 'expired_token', 'Bad Request', 'expired');
      case 'slow_down':
        return googleError(403, 'slow_down', 'Forbidden', 'slow_down');
      case 'declined':
        return googleError(403, 'access_denied', 'Forbidden', 'declined');
      case 'pending':
        return googleError(428, 'authorization_pending', 'Precondition Required', 'pending');
      case 'authorized':
        // Refresh tokens are always returned for devices (Google's docs).
        return tokenAnswer({ client, identity: outcome.identity, scopes: outcome.request.scopes, refresh: true, note: 'authorized' });
    }
  }

  function codeGrant(client: GoogleClient, request: Incoming<GoogleRoute>): Answer {
    if (client.type !== 'web') return notThisClient('not a web client');
    const code = request.params.code;
    if (!code) return googleError(400, 'invalid_request', 'Missing required parameter: code');
    const redemption = codes.redeem(code, {
      clientId: client.clientId,
      redirectUri: request.params.redirect_uri,
      redirectUriRequired: true,
      codeVerifier: request.params.code_verifier,
    });
    switch (redemption.kind) {
      case 'ok':
        return tokenAnswer({
          client,
          identity: redemption.identity,
          scopes: redemption.request.scopes,
          ...(redemption.request.nonce !== undefined ? { nonce: redemption.request.nonce } : {}),
          refresh: redemption.request.offline === true,
          note: 'code redeemed',
        });
      case 'redirect_mismatch':
        return googleError(400, 'redirect_uri_mismatch', 'Bad Request');
      case 'verifier_missing':
        return googleError(400, 'invalid_grant', 'Missing code verifier.', redemption.kind);
      case 'verifier_mismatch':
        return googleError(400, 'invalid_grant', 'Invalid code verifier.', redemption.kind);
      default:
        return googleError(400, 'invalid_grant', 'Bad Request', redemption.kind);
    }
  }

  function refreshGrant(client: GoogleClient, request: Incoming<GoogleRoute>): Answer {
    const check = tokens.check(request.params.refresh_token ?? '', 'refresh');
    if (check.kind !== 'ok') return googleError(400, 'invalid_grant', 'Token has been expired or revoked.', `refresh ${check.kind}`);
    const record = check.record;
    if (record.clientId !== client.clientId) return notThisClient('refresh token of another client');
    return tokenAnswer({ client, identity: record.identity, scopes: record.scopes, refresh: false, note: 'refreshed' });
  }

  function token(request: Incoming<GoogleRoute>): Answer {
    const authenticated = authenticate(request);
    if ('refusal' in authenticated) return authenticated.refusal;
    const { client } = authenticated;
    const grantType = request.params.grant_type;
    if (grantType === DEVICE_GRANT_TYPE) return deviceGrant(client, request);
    if (grantType === 'authorization_code') return codeGrant(client, request);
    if (grantType === 'refresh_token') return refreshGrant(client, request);
    return googleError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }

  function userinfo(request: Incoming<GoogleRoute>): Answer {
    const accessToken = bearerToken(request) ?? request.params.access_token;
    const check = accessToken ? tokens.check(accessToken) : undefined;
    if (check?.kind !== 'ok') {
      return googleError(401, 'invalid_request', 'Invalid Credentials', check?.kind ?? 'no token', {
        'www-authenticate': `Bearer realm="${url}/", error="invalid_token"`,
      });
    }
    return jsonAnswer(200, claimsOf(check.record.identity, check.record.scopes));
  }

  function revoke(request: Incoming<GoogleRoute>): Answer {
    const token = request.params.token;
    if (!token) return googleError(400, 'invalid_request', 'Missing required parameter: token');
    const record: TokenRecord<Identity> | undefined = tokens.find(token);
    if (!record) return googleError(400, 'invalid_token', 'Token expired or revoked', 'unknown token');
    tokens.revokeGrant(record);
    return jsonAnswer(200, {}, 'revoked');
  }

  const pages: BrowserPages<Identity> = {
    brand: GOOGLE_BRAND,
    appName,
    logins,
    codes,
    device: { path: '/device', heading: 'Connect a device', codeFormat: 'XXX-XXX-XXX' },
    authorizePath: () => '/o/oauth2/v2/auth',
    choices: () =>
      identities.map((identity) => {
        const account = accountOf(identity.name);
        return { name: identity.name, pictureUrl: identity.pictureUrl ?? `/avatars/${account.sub}.svg`, detail: account.email };
      }),
    identity: (name) => known.get(name),
    approvedLocation: (authorization, code) =>
      withQuery(authorization.redirectUri, {
        state: authorization.state,
        code,
        scope: grantedScopes(authorization.scopes).join(' '),
        authuser: '0',
        prompt: 'consent',
      }),
    declinedLocation: (authorization) => withQuery(authorization.redirectUri, { error: 'access_denied', state: authorization.state }),
  };

  function authorize(request: Incoming<GoogleRoute>): Answer {
    if (request.method === 'POST') return authorizeDecisionAnswer(pages, request.params);
    const params = request.params;
    const client = clients.byId(params.client_id);
    if (!client) return refusedAnswer(GOOGLE_BRAND, 401, 'Error 401: invalid_client', 'The OAuth client was not found.');
    if (!params.redirect_uri) return refusedAnswer(GOOGLE_BRAND, 400, 'Error 400: invalid_request', 'Missing required parameter: redirect_uri');
    const redirectUri = params.redirect_uri;
    // A TV client has no redirect URIs at all: nothing matches (google-clients.ts).
    if (!clients.redirectAllowed(client, redirectUri)) {
      return refusedAnswer(
        GOOGLE_BRAND,
        400,
        'Error 400: redirect_uri_mismatch',
        "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy: the redirect_uri is not registered for this client.",
      );
    }
    // The redirect URI is known good from here on: further problems go back to the client (RFC 6749 §4.1.2.1).
    const back = (error: string, description: string) =>
      redirectAnswer(withQuery(redirectUri, { error, error_description: description, state: params.state }), error);
    if (params.response_type !== 'code') return back('unsupported_response_type', 'Only response_type=code is supported here.');
    if (!params.scope) return back('invalid_request', 'Missing required parameter: scope');
    const challenge = params.code_challenge;
    const method = (params.code_challenge_method ?? 'plain') as PkceMethod;
    if (challenge !== undefined && (!['plain', 'S256'].includes(method) || !isWellFormedPkceValue(challenge))) {
      return back('invalid_request', 'Invalid code_challenge or code_challenge_method.');
    }
    const authorization: AuthorizationRequest = {
      clientId: client.clientId,
      redirectUri,
      redirectUriSent: true,
      scopes: scopesOf(params.scope),
      state: params.state,
      nonce: params.nonce,
      codeChallenge: challenge,
      codeChallengeMethod: challenge === undefined ? undefined : method,
      offline: params.access_type === 'offline',
    };
    return authorizePageAnswer(pages, authorization);
  }

  function handle(request: Incoming<GoogleRoute>): Answer {
    switch (request.route) {
      case 'discovery':
        return discovery();
      case 'authorize':
        return authorize(request);
      case 'device/code':
        return deviceCode(request);
      case 'token':
        return token(request);
      case 'userinfo':
        return userinfo(request);
      case 'revoke':
        return revoke(request);
      case 'jwks':
        return jsonAnswer(200, signer.jwks());
      case 'device':
        return devicePageAnswer(pages, request.method, request.params);
      case 'avatar': {
        const identity = known.find((candidate) => subOf(candidate.name) === request.vars.sub);
        if (!identity) return { status: 404, body: 'Not Found\n', contentType: 'text/plain' };
        return svgAnswer(avatarSvg(identity.name, request.vars.sub!, GOOGLE_BRAND.avatarColors));
      }
    }
  }

  const notFound = (): Answer =>
    htmlAnswer(404, errorPage({ brand: GOOGLE_BRAND, title: 'Error 404 (Not Found)', message: 'The requested URL was not found on this server.' }));

  const server = await startOAuthServer<GoogleRoute, GoogleFault>({
    port: options.port,
    now,
    traffic,
    faults,
    match: matchRoute,
    methods: METHODS,
    handle,
    faultAnswer: (fault) => {
      if (fault.kind === 'unavailable') {
        return googleError(503, 'temporarily_unavailable', 'Service Unavailable', 'unavailable', { 'retry-after': String(fault.retryAfterSeconds ?? 30) });
      }
      const status = (fault.kind === 'serverError' && fault.status) || 500;
      return googleError(status, 'internal_failure', 'Backend Error');
    },
    notFound,
    methodNotAllowed: () => jsonAnswer(405, { error: 'invalid_request', error_description: 'Method Not Allowed' }),
    secretParams: OAUTH_SECRET_PARAMS,
  });
  url = server.url;

  return {
    url,
    issuer: url,
    deviceUrl: `${url}/device`,
    clientId: clients.tv.clientId,
    clientSecret: clients.tv.clientSecret,
    webClient: clients.web && { clientId: clients.web.clientId, clientSecret: clients.web.clientSecret },
    identities,
    approve(userCode, identity) {
      logins.checkDecidable(userCode);
      logins.approve(userCode, remember(identity));
      return { userId: subOf(identity.name) };
    },
    authorize(authorizeUrl, identity, decision) {
      remember(identity);
      return walkAuthorizePage(url, authorizeUrl, identity.name, decision);
    },
    allowRedirectUri: (uri) => clients.allowRedirectUri(uri),
    userIdFor: subOf,
    account: accountOf,
    jwks: () => signer.jwks(),
    ...sharedHandleMembers({ logins, codes, tokens, faults, traffic, server }),
  };
}
