/**
 * A local stand-in for Microsoft Entra ID (the v2.0 endpoints of login.microsoftonline.com): per-tenant
 * discovery, the device flow, the authorization-code flow with PKCE and nonce, RS256 ID tokens and their JWKS,
 * plus Graph's OIDC userinfo, behaving as PLATFORM.md §7 and §9 describe. Start it with
 * {@link startMicrosoftStandin}; the Worker's MICROSOFT_LOGIN_URL is `url`, and the tenant is a path segment
 * (`common` by default: `<url>/common/v2.0/.well-known/openid-configuration`).
 *
 * Entra's quirks, kept on purpose (the Worker must adapt to them):
 * - For `common`, `organizations` and `consumers` the discovery `issuer` is the template
 *   `<url>/{tenantid}/v2.0`; each ID token's `iss` is `<url>/<tid>/v2.0` with the person's real tenant in `tid`
 *   (personal accounts: 9188040d-6c67-4c5b-b112-36a304b66dad). A tenant-GUID URL has a plain issuer.
 * - Device-flow errors are HTTP 400 with `authorization_declined` (not `access_denied`) and
 *   `bad_verification_code`; the answer carries a human `message` and no `verification_uri_complete`.
 * - No revocation endpoint. `sub` is pairwise (per person and app); `oid` is the person's id in their tenant.
 * - Public client: the device and code flows need no secret (a correct one is accepted; a wrong one is 401).
 *   With `allowPublicClientFlows: false` a request without a secret gets AADSTS7000218, as in Entra.
 *
 * Which people may sign in follows the tenant segment: `common` anyone, `organizations` work accounts,
 * `consumers` personal accounts, a GUID only that tenant's people.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue } from '../lib/faults.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { IdTokenSigner, type Jwks } from './id-token.ts';
import * as entra from './microsoft-errors.ts';
import { authorizeDecisionAnswer, authorizePageAnswer, devicePageAnswer, refusedAnswer, type BrowserPages } from './oauth-browser.ts';
import { AuthorizationCodes, isWellFormedPkceValue, type AuthorizationRequest, type AuthorizationSnapshot, type PkceMethod } from './oauth-codes.ts';
import {
  DEVICE_GRANT_TYPE,
  DeviceCodeError,
  DeviceLogins,
  UNAMBIGUOUS_ALPHABET,
  randomCode,
  type DeviceLoginEvent,
  type DeviceLoginSnapshot,
} from './oauth-device-logins.ts';
import { digestOf, guidOf, slugOf, splitName, type Identity } from './oauth-identities.ts';
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
} from './oauth-server.ts';
import { KnownIdentities, RedirectUris, sharedHandleMembers, walkAuthorizePage, type OAuthStandinBase } from './oauth-standin.ts';
import { TokenBook, type Revocation } from './oauth-tokens.ts';

export type { DeviceLoginEvent, DeviceLoginSnapshot, Revocation, AuthorizationSnapshot, Jwks };
export { DeviceCodeError };

export type MicrosoftRoute = 'discovery' | 'devicecode' | 'token' | 'authorize' | 'jwks' | 'device' | 'userinfo' | 'avatar';
export type MicrosoftFault = CommonFault;

/** Routes a browser loads (the playground leaves them out of the Worker's traffic). */
export const MICROSOFT_BROWSER_ROUTES: ReadonlySet<MicrosoftRoute> = new Set(['authorize', 'device', 'avatar']);

export { DEVICE_GRANT_TYPE };
/** The tenant of every personal Microsoft account. */
export const PERSONAL_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);

export interface MicrosoftIdentity extends Identity {
  /** The person's home tenant. Default: the stand-in's `tenantId` (a work account). */
  tenantId?: string;
}

export interface MicrosoftStandinOptions {
  port?: number;
  now?: Clock;
  /** The app registration's Application (client) ID. */
  clientId?: string;
  /** Accepted when a client sends one; never needed while public client flows are allowed. */
  clientSecret?: string;
  /** The work tenant of the default identities ("Contoso"). */
  tenantId?: string;
  /** "Allow public client flows" in the app registration. Default true. */
  allowPublicClientFlows?: boolean;
  intervalSeconds?: number;
  /** Default 900 (Entra's). */
  expiresInSeconds?: number;
  /** Added to the required gap after each slow_down. Default 5 (RFC 8628). */
  slowDownPenaltySeconds?: number;
  /**
   * What a too-fast poll gets. Entra documents no slow_down; 'authorization_pending' answers it like any pending
   * poll (and the interval does not grow). Default 'slow_down'.
   */
  tooFastPollAnswer?: 'slow_down' | 'authorization_pending';
  redirectUris?: readonly string[];
  /** Default: Alice and Bob with work accounts in `tenantId`, Zoë with a personal account. */
  identities?: readonly MicrosoftIdentity[];
  appName?: string;
  logCap?: number;
}

/** What the ID token says about an identity (for the stand-in's own client). */
export interface MicrosoftAccount {
  /** Pairwise: differs per app. */
  sub: string;
  /** The person's object id in their tenant. */
  oid: string;
  tid: string;
  personal: boolean;
  name: string;
  preferredUsername: string;
  email: string;
}

export interface MicrosoftStandin extends OAuthStandinBase<MicrosoftIdentity, MicrosoftRoute, MicrosoftFault> {
  /** The work tenant's id. */
  readonly tenantId: string;
  /** `<url>/<tenant>/v2.0`: what discovery is relative to. */
  authority(tenant?: string): string;
  /** The ID token's `sub` (pairwise for the stand-in's client) for an identity of this name. */
  userIdFor(name: string): string;
  account(name: string): MicrosoftAccount;
  jwks(): Jwks;
}

export const MICROSOFT_BRAND: Brand = {
  name: 'Microsoft',
  wordmark: 'Microsoft',
  accent: '#0067b8',
  accentText: '#ffffff',
  bar: '#ffffff',
  barText: '#5e5e5e',
  background: '#f2f2f2',
  avatarColors: ['#0078d4', '#107c10', '#d83b01', '#5c2d91', '#008575', '#c239b3'],
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TENANT_ROUTES: Record<string, MicrosoftRoute> = {
  'v2.0/.well-known/openid-configuration': 'discovery',
  'oauth2/v2.0/devicecode': 'devicecode',
  'oauth2/v2.0/token': 'token',
  'oauth2/v2.0/authorize': 'authorize',
  'discovery/v2.0/keys': 'jwks',
};

function matchRoute(path: string): { route: MicrosoftRoute; vars?: Record<string, string> } | undefined {
  if (path === '/link') return { route: 'device' };
  if (path === '/oidc/userinfo') return { route: 'userinfo' };
  const avatar = /^\/avatars\/([0-9a-f-]{36})\.svg$/.exec(path);
  if (avatar) return { route: 'avatar', vars: { oid: avatar[1]! } };
  const tenant = /^\/([^/]+)\/(.+)$/.exec(path);
  const route = tenant && TENANT_ROUTES[tenant[2]!];
  return route ? { route, vars: { tenant: decodeURIComponent(tenant[1]!) } } : undefined;
}

const METHODS: Record<MicrosoftRoute, readonly string[]> = {
  discovery: ['GET'],
  devicecode: ['POST'],
  token: ['POST'],
  authorize: ['GET', 'POST'],
  jwks: ['GET'],
  device: ['GET', 'POST'],
  userinfo: ['GET', 'POST'],
  avatar: ['GET'],
};

export async function startMicrosoftStandin(options: MicrosoftStandinOptions = {}): Promise<MicrosoftStandin> {
  const now = options.now ?? systemClock;
  const clientId = options.clientId ?? '5e7a1d3c-2b4f-4c6d-8e9f-0a1b2c3d4e5f';
  const clientSecret = options.clientSecret ?? 'Sta~ndInSecret.StandInSecret_StandIn0001';
  const tenantId = options.tenantId ?? 'c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b';
  const allowPublicClientFlows = options.allowPublicClientFlows ?? true;
  const tooFastAnswer = options.tooFastPollAnswer ?? 'slow_down';
  const appName = options.appName ?? 'Discord bot (stand-in app)';
  const identities: readonly MicrosoftIdentity[] = options.identities ?? [
    { name: 'Alice Example' },
    { name: 'Bob Example' },
    { name: 'Zoë Ångström', tenantId: PERSONAL_TENANT_ID },
  ];
  const redirectUris = new RedirectUris(options.redirectUris);
  const signer = await IdTokenSigner.create();

  const logins = new DeviceLogins<MicrosoftIdentity>({
    now,
    expiresInSeconds: options.expiresInSeconds ?? 900,
    intervalSeconds: options.intervalSeconds ?? 5,
    // A server that never says "slow down" cannot expect the client to add to its interval.
    slowDownPenaltySeconds: tooFastAnswer === 'slow_down' ? (options.slowDownPenaltySeconds ?? 5) : 0,
    newUserCode: () => randomCode(UNAMBIGUOUS_ALPHABET, [9]),
    newDeviceCode: () => `DAQABIQEAAAD${randomBytes(96).toString('base64url')}`,
  });
  const codes = new AuthorizationCodes<MicrosoftIdentity>(now, () => `1.A${randomBytes(96).toString('base64url')}`);
  const tokens = new TokenBook<MicrosoftIdentity>({
    now,
    newAccessToken: () => `EwB${randomBytes(96).toString('base64url')}`,
    newRefreshToken: () => `1.A${randomBytes(120).toString('base64url')}`,
    accessTokenLifetimeSeconds: 3599,
  });
  const faults = new FaultQueue<MicrosoftRoute, MicrosoftFault>();
  const traffic = new TrafficLog(options.logCap);

  const known = new KnownIdentities<MicrosoftIdentity>(identities);
  const remember = (identity: MicrosoftIdentity) => known.remember(identity);

  let url = '';
  const tidOf = (identity: MicrosoftIdentity) => identity.tenantId ?? tenantId;
  const knownTenants = () => new Set([tenantId, PERSONAL_TENANT_ID, ...known.all().map(tidOf)]);
  const isTenant = (segment: string) => TENANT_ALIASES.has(segment) || (GUID.test(segment) && knownTenants().has(segment.toLowerCase()));

  function accountOf(name: string): MicrosoftAccount {
    const identity = known.get(name) ?? { name };
    const tid = tidOf(identity);
    const personal = tid === PERSONAL_TENANT_ID;
    const guid = guidOf(['microsoft', tid, name]);
    // Personal accounts' object ids start with 00000000-0000-0000-.
    const oid = personal ? `00000000-0000-0000-${guid.slice(19)}` : guid;
    const preferredUsername = identity.email ?? `${slugOf(name)}@${personal ? 'outlook.example' : 'contoso.example'}`;
    return {
      sub: digestOf('microsoft-sub', clientId, oid).toString('base64url').slice(0, 43),
      oid,
      tid,
      personal,
      name,
      preferredUsername,
      email: preferredUsername,
    };
  }

  /** Why `identity` cannot sign in through a URL with this tenant segment; undefined when it can. */
  function refusal(identity: MicrosoftIdentity, tenant: string | undefined): string | undefined {
    const tid = tidOf(identity);
    const personal = tid === PERSONAL_TENANT_ID;
    if (tenant === undefined || tenant === 'common') return undefined;
    if (tenant === 'organizations' && personal) return "This app accepts only work or school accounts; you can't sign in here with a personal account.";
    if (tenant === 'consumers' && !personal) return 'This app accepts only personal Microsoft accounts.';
    if (GUID.test(tenant) && tenant.toLowerCase() !== tid) return `This account doesn't exist in the tenant ${tenant} and cannot sign in to this application.`;
    return undefined;
  }

  const issuerFor = (tenant: string) => (TENANT_ALIASES.has(tenant) ? `${url}/{tenantid}/v2.0` : `${url}/${tenant.toLowerCase()}/v2.0`);
  const error = (status: number, name: string, [code, text]: readonly [number, string], note: string = name) =>
    jsonAnswer(status, entra.entraError(url, now(), name, code, text), note);

  function discovery(tenant: string): Answer {
    if (!isTenant(tenant)) return error(400, 'invalid_tenant', entra.unknownTenant(tenant));
    const base = `${url}/${tenant}`;
    return jsonAnswer(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: issuerFor(tenant),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${url}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      cloud_instance_name: 'microsoftonline.com',
    });
  }

  function deviceCode(request: Incoming<MicrosoftRoute>, tenant: string): Answer {
    const params = request.params;
    if (!params.client_id) return error(400, 'invalid_request', entra.missingParameter('client_id'));
    if (params.client_id !== clientId) return error(400, 'unauthorized_client', entra.unknownApplication(params.client_id, tenant));
    if (!params.scope) return error(400, 'invalid_request', entra.missingParameter('scope'));
    const started = logins.start({ clientId, scopes: scopesOf(params.scope), tenant });
    const verificationUri = `${url}/link`;
    return jsonAnswer(200, {
      user_code: started.userCode,
      device_code: started.deviceCode,
      verification_uri: verificationUri,
      expires_in: started.expiresIn,
      interval: started.interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${started.userCode} to authenticate.`,
    });
  }

  /** Client checks for the token endpoint; undefined when they pass. */
  function clientRefusal(request: Incoming<MicrosoftRoute>, tenant: string): Answer | undefined {
    const credentials = clientCredentials(request);
    if (!credentials.clientId) return error(400, 'invalid_request', entra.missingParameter('client_id'));
    if (credentials.clientId !== clientId) return error(400, 'unauthorized_client', entra.unknownApplication(credentials.clientId, tenant));
    if (credentials.clientSecret !== undefined) {
      if (credentials.malformed || !safeEqual(credentials.clientSecret, clientSecret)) return error(401, 'invalid_client', entra.wrongSecret(clientId), 'wrong secret');
    } else if (!allowPublicClientFlows) return error(401, 'invalid_client', entra.secretRequired(), 'secret required');
    return undefined;
  }

  function tokenAnswer(input: { identity: MicrosoftIdentity; scopes: string[]; nonce?: string; note: string }): Answer {
    remember(input.identity);
    const account = accountOf(input.identity.name);
    const scopes = input.scopes;
    const issued = tokens.issue({ identity: input.identity, userId: account.oid, clientId, scopes, refresh: scopes.includes('offline_access'), extra: { tid: account.tid } });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scopes.filter((scope) => scope !== 'offline_access').join(' '),
      expires_in: issued.expiresIn,
      ext_expires_in: issued.expiresIn,
      access_token: issued.accessToken,
      ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
    };
    if (scopes.includes('openid')) {
      const iat = Math.floor(now() / 1000);
      const profile = scopes.includes('profile');
      body.id_token = signer.sign({
        aud: clientId,
        iss: `${url}/${account.tid}/v2.0`,
        iat,
        nbf: iat,
        exp: iat + 3600,
        ...(scopes.includes('email') ? { email: account.email } : {}),
        ...(profile ? { name: account.name } : {}),
        ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
        ...(profile ? { oid: account.oid, preferred_username: account.preferredUsername } : {}),
        sub: account.sub,
        tid: account.tid,
        ver: '2.0',
      });
    }
    return jsonAnswer(200, body, input.note);
  }

  function deviceGrant(request: Incoming<MicrosoftRoute>): Answer {
    const deviceCodeParam = request.params.device_code;
    if (!deviceCodeParam) return error(400, 'invalid_request', entra.missingParameter('device_code'));
    const outcome = logins.poll(deviceCodeParam, clientId);
    switch (outcome.kind) {
      case 'unknown':
        return error(400, 'bad_verification_code', entra.ENTRA.badVerificationCode, 'unknown');
      case 'redeemed':
        return error(400, 'invalid_grant', entra.ENTRA.deviceCodeUsed, 'redeemed');
      case 'expired':
        return error(400, 'expired_token', entra.ENTRA.expired, 'expired');
      case 'slow_down':
        return tooFastAnswer === 'slow_down'
          ? error(400, 'slow_down', entra.ENTRA.slowDown, 'slow_down')
          : error(400, 'authorization_pending', entra.ENTRA.pending, 'slow_down (answered pending)');
      case 'declined':
        return error(400, 'authorization_declined', entra.ENTRA.declined, 'declined');
      case 'pending':
        return error(400, 'authorization_pending', entra.ENTRA.pending, 'pending');
      case 'authorized':
        return tokenAnswer({ identity: outcome.identity, scopes: outcome.request.scopes, note: 'authorized' });
    }
  }

  function codeGrant(request: Incoming<MicrosoftRoute>): Answer {
    const code = request.params.code;
    if (!code) return error(400, 'invalid_request', entra.missingParameter('code'));
    if (!request.params.redirect_uri) return error(400, 'invalid_request', entra.missingParameter('redirect_uri'));
    const redemption = codes.redeem(code, { clientId, redirectUri: request.params.redirect_uri, redirectUriRequired: true, codeVerifier: request.params.code_verifier });
    switch (redemption.kind) {
      case 'ok':
        return tokenAnswer({
          identity: redemption.identity,
          scopes: redemption.request.scopes,
          ...(redemption.request.nonce !== undefined ? { nonce: redemption.request.nonce } : {}),
          note: 'code redeemed',
        });
      case 'used':
        return error(400, 'invalid_grant', entra.ENTRA.codeRedeemed, redemption.kind);
      case 'expired':
        return error(400, 'invalid_grant', entra.ENTRA.codeExpired, redemption.kind);
      case 'redirect_mismatch':
        return error(400, 'invalid_grant', entra.ENTRA.redirectMismatch, redemption.kind);
      case 'verifier_missing':
      case 'verifier_mismatch':
      case 'verifier_unexpected':
        return error(400, 'invalid_grant', entra.ENTRA.pkce, redemption.kind);
      default:
        return error(400, 'invalid_grant', entra.ENTRA.codeInvalid, redemption.kind);
    }
  }

  function refreshGrant(request: Incoming<MicrosoftRoute>): Answer {
    const check = tokens.check(request.params.refresh_token ?? '', 'refresh');
    if (check.kind !== 'ok') return error(400, 'invalid_grant', entra.ENTRA.refreshInvalid, `refresh ${check.kind}`);
    return tokenAnswer({ identity: check.record.identity, scopes: check.record.scopes, note: 'refreshed' });
  }

  function token(request: Incoming<MicrosoftRoute>, tenant: string): Answer {
    const refused = clientRefusal(request, tenant);
    if (refused) return refused;
    switch (request.params.grant_type) {
      case DEVICE_GRANT_TYPE:
        return deviceGrant(request);
      case 'authorization_code':
        return codeGrant(request);
      case 'refresh_token':
        return refreshGrant(request);
      case undefined:
        return error(400, 'invalid_request', entra.missingParameter('grant_type'));
      default:
        return error(400, 'unsupported_grant_type', entra.ENTRA.unsupportedGrant);
    }
  }

  const pages: BrowserPages<MicrosoftIdentity> = {
    brand: MICROSOFT_BRAND,
    appName,
    logins,
    codes,
    device: { path: '/link', heading: 'Enter code', codeFormat: 'XXXXXXXXX' },
    authorizePath: (authorization) => `/${encodeURIComponent(authorization.tenant ?? 'common')}/oauth2/v2.0/authorize`,
    choices: (tenant) =>
      identities
        .filter((identity) => !refusal(identity, tenant))
        .map((identity) => {
          const account = accountOf(identity.name);
          return { name: identity.name, pictureUrl: identity.pictureUrl ?? `/avatars/${account.oid}.svg`, detail: account.preferredUsername };
        }),
    identity: (name) => known.get(name),
    refusal,
    approvedLocation: (authorization, code) => withQuery(authorization.redirectUri, { code, state: authorization.state }),
    declinedLocation: (authorization) =>
      withQuery(authorization.redirectUri, { error: 'access_denied', error_subcode: 'cancel', state: authorization.state }),
  };

  function authorize(request: Incoming<MicrosoftRoute>, tenant: string): Answer {
    if (request.method === 'POST') return authorizeDecisionAnswer(pages, request.params);
    const params = request.params;
    const refuse = (status: number, [code, text]: readonly [number, string]) =>
      refusedAnswer(MICROSOFT_BRAND, status, "Sorry, but we're having trouble signing you in.", `AADSTS${code}: ${text}`);
    if (!isTenant(tenant)) return refuse(400, entra.unknownTenant(tenant));
    if (!params.client_id) return refuse(400, entra.missingParameter('client_id'));
    if (params.client_id !== clientId) return refuse(400, entra.unknownApplication(params.client_id, tenant));
    const redirectUri = params.redirect_uri;
    if (!redirectUri || !redirectUris.has(redirectUri)) return refuse(400, entra.redirectNotRegistered(redirectUri ?? '', clientId));
    // The redirect URI is known good from here on: further problems go back to the client (RFC 6749 §4.1.2.1).
    const back = ([code, text]: readonly [number, string], name: string) =>
      redirectAnswer(withQuery(redirectUri, { error: name, error_description: `AADSTS${code}: ${text}`, state: params.state }), name);
    if (params.response_type !== 'code') return back([70005, "The provided value for the input parameter 'response_type' is not allowed for this request."], 'unsupported_response_type');
    if (!params.scope) return back(entra.missingParameter('scope'), 'invalid_request');
    const challenge = params.code_challenge;
    const method = (params.code_challenge_method ?? 'plain') as PkceMethod;
    if (challenge !== undefined && (!['plain', 'S256'].includes(method) || !isWellFormedPkceValue(challenge))) {
      return back([501491, 'Invalid size of Code_Challenge parameter.'], 'invalid_request');
    }
    const authorization: AuthorizationRequest = {
      clientId,
      redirectUri,
      redirectUriSent: true,
      scopes: scopesOf(params.scope),
      state: params.state,
      nonce: params.nonce,
      codeChallenge: challenge,
      codeChallengeMethod: challenge === undefined ? undefined : method,
      tenant,
    };
    return authorizePageAnswer(pages, authorization);
  }

  function userinfo(request: Incoming<MicrosoftRoute>): Answer {
    const accessToken = bearerToken(request);
    const check = accessToken ? tokens.check(accessToken) : undefined;
    if (check?.kind !== 'ok') {
      return jsonAnswer(
        401,
        { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure. Invalid audience.', innerError: { date: new Date(now()).toISOString() } } },
        check?.kind ?? 'no token',
        { 'www-authenticate': `Bearer realm="", authorization_uri="${url}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"` },
      );
    }
    const account = accountOf(check.record.identity.name);
    const { givenName, familyName } = splitName(account.name);
    return jsonAnswer(200, {
      sub: account.sub,
      name: account.name,
      family_name: familyName,
      given_name: givenName,
      picture: `${url}/avatars/${account.oid}.svg`,
      email: account.email,
    });
  }

  function handle(request: Incoming<MicrosoftRoute>): Answer {
    const tenant = request.vars.tenant ?? 'common';
    // Discovery and the authorize page answer an unknown tenant in their own way.
    if ((request.route === 'devicecode' || request.route === 'token' || request.route === 'jwks') && !isTenant(tenant)) {
      return error(400, 'invalid_request', entra.unknownTenant(tenant));
    }
    switch (request.route) {
      case 'discovery':
        return discovery(tenant);
      case 'devicecode':
        return deviceCode(request, tenant);
      case 'token':
        return token(request, tenant);
      case 'authorize':
        return authorize(request, tenant);
      case 'jwks':
        return jsonAnswer(200, signer.jwks());
      case 'device':
        return devicePageAnswer(pages, request.method, request.params);
      case 'userinfo':
        return userinfo(request);
      case 'avatar': {
        const identity = known.find((candidate) => accountOf(candidate.name).oid === request.vars.oid);
        if (!identity) return { status: 404, body: 'Not Found\n', contentType: 'text/plain' };
        return svgAnswer(avatarSvg(identity.name, request.vars.oid!, MICROSOFT_BRAND.avatarColors));
      }
    }
  }

  const notFound = (): Answer =>
    htmlAnswer(404, errorPage({ brand: MICROSOFT_BRAND, title: 'Page not found', message: 'The page you requested cannot be found.' }));

  const server = await startOAuthServer<MicrosoftRoute, MicrosoftFault>({
    port: options.port,
    now,
    traffic,
    faults,
    match: matchRoute,
    methods: METHODS,
    handle,
    faultAnswer: (fault) => error((fault.kind === 'serverError' && fault.status) || 500, 'server_error', entra.ENTRA.serverError),
    notFound,
    methodNotAllowed: () => notFound(),
    secretParams: OAUTH_SECRET_PARAMS,
  });
  url = server.url;

  function approve(userCode: string, identity: MicrosoftIdentity): { userId: string } {
    logins.checkDecidable(userCode);
    const resolved = remember(identity);
    const refused = refusal(resolved, logins.request(userCode)?.tenant);
    if (refused) throw new Error(`${identity.name} cannot sign in here: ${refused}`);
    logins.approve(userCode, resolved);
    return { userId: accountOf(identity.name).sub };
  }

  return {
    url,
    tenantId,
    deviceUrl: `${url}/link`,
    authority: (tenant = 'common') => `${url}/${tenant}/v2.0`,
    clientId,
    clientSecret,
    identities,
    approve,
    authorize(authorizeUrl, identity, decision) {
      remember(identity);
      return walkAuthorizePage(url, authorizeUrl, identity.name, decision);
    },
    allowRedirectUri: (uri) => redirectUris.allow(uri),
    userIdFor: (name) => accountOf(name).sub,
    account: accountOf,
    jwks: () => signer.jwks(),
    ...sharedHandleMembers({ logins, codes, tokens, faults, traffic, server }),
  };
}
