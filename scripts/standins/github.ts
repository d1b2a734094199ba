/**
 * A local stand-in for GitHub's OAuth app endpoints (device flow, web flow) and the REST calls the bot makes
 * (`GET /user`, `DELETE /applications/{client_id}/grant`), behaving as PLATFORM.md §7 and §9 describe. Start it
 * with {@link startGitHubStandin}; the Worker's GITHUB_URL is `url`, GITHUB_API_URL is `apiUrl` (one server).
 *
 * GitHub's quirks, kept on purpose (the Worker must adapt to them):
 * - The token endpoint answers every OAuth error with HTTP 200 and an `error` body.
 * - Answers are form-encoded unless the request says `Accept: application/json`.
 * - `slow_down` carries the new `interval` (+5 s per slow-down). Scopes come back comma-separated.
 * - No discovery document, no ID token: who logged in comes from `GET /user`.
 *
 * Choices where GitHub's behaviour is not documented (documented in the README too):
 * - A second exchange of a device code that already gave its token answers `incorrect_device_code` ("The
 *   device_code provided is not valid": the documented answer for a code that is no longer valid; cli/cli#9302
 *   reports it after a successful browser step). `redeemedDeviceCodeAnswer: 'bad_verification_code'` answers the
 *   web flow's "incorrect or expired" code error instead.
 * - `POST /login/device/code` with an unknown client_id answers 404 `{"error":"Not Found"}` (as reported for
 *   endpoints without a matching app); with the device flow disabled, 400 `device_flow_disabled` (cli/oauth tests).
 * - An unregistered redirect_uri gets a 400 page, never a redirect (GitHub redirects to the registered callback
 *   with `error=redirect_uri_mismatch`; the brief asks for no redirect at all). Matching is exact, where GitHub
 *   also accepts sub-paths of the callback.
 * - PKCE: only S256 (GitHub's support, added 2025, is S256); a wrong or missing verifier answers
 *   `bad_verification_code`.
 * - `DELETE /applications/{client_id}/grant`: wrong client credentials and unknown tokens answer 404, a missing
 *   access_token 422.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue } from '../lib/faults.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import * as errors from './github-errors.ts';
import { authorizeDecisionAnswer, authorizePageAnswer, devicePageAnswer, refusedAnswer, type BrowserPages } from './oauth-browser.ts';
import { AuthorizationCodes, isWellFormedPkceValue, type AuthorizationRequest, type AuthorizationSnapshot } from './oauth-codes.ts';
import {
  DEVICE_GRANT_TYPE,
  DeviceCodeError,
  DeviceLogins,
  UNAMBIGUOUS_ALPHABET,
  randomCode,
  type DeviceLoginEvent,
  type DeviceLoginSnapshot,
} from './oauth-device-logins.ts';
import { DEFAULT_IDENTITIES, numericIdOf, slugOf, type Identity } from './oauth-identities.ts';
import { avatarSvg, errorPage, type Brand } from './oauth-pages.ts';
import {
  OAUTH_SECRET_PARAMS,
  bearerToken,
  clientCredentials,
  formAnswer,
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

export type { DeviceLoginEvent, DeviceLoginSnapshot, Identity, Revocation, AuthorizationSnapshot };
export { DeviceCodeError };

export type GitHubRoute = 'device/code' | 'access_token' | 'authorize' | 'device' | 'user' | 'grant' | 'avatar';
export type GitHubFault = CommonFault;

/** Routes a browser loads (the playground leaves them out of the Worker's traffic). */
export const GITHUB_BROWSER_ROUTES: ReadonlySet<GitHubRoute> = new Set(['authorize', 'device', 'avatar']);

export { DEVICE_GRANT_TYPE };

export interface GitHubStandinOptions {
  port?: number;
  now?: Clock;
  /** Default `Ov23liStandInClient01`. */
  clientId?: string;
  clientSecret?: string;
  /** `interval`, and the minimum gap between polls of one code. Default 5. */
  intervalSeconds?: number;
  /** Default 900 (GitHub's). */
  expiresInSeconds?: number;
  /** Added to the required gap after each slow_down, and to the `interval` in its answer. Default 5 (GitHub's). */
  slowDownPenaltySeconds?: number;
  /** The app setting "Enable Device Flow". Default true. */
  deviceFlowEnabled?: boolean;
  /** Registered callback URLs (exact match). More with `allowRedirectUri`. */
  redirectUris?: readonly string[];
  /** See the module comment. Default 'incorrect_device_code'. */
  redeemedDeviceCodeAnswer?: 'incorrect_device_code' | 'bad_verification_code';
  identities?: readonly Identity[];
  /** The OAuth app's name on the pages. */
  appName?: string;
  logCap?: number;
}

/** What `GET /user` says about an identity. */
export interface GitHubAccount {
  id: number;
  login: string;
  name: string;
  avatarUrl: string;
  htmlUrl: string;
}

export interface GitHubStandin extends OAuthStandinBase<Identity, GitHubRoute, GitHubFault> {
  /** `<url>/api`: the Worker's GITHUB_API_URL. */
  readonly apiUrl: string;
  /** The numeric user id (as a string), as `GET /user` gives it. */
  userIdFor(name: string): string;
  account(name: string): GitHubAccount;
}

export const GITHUB_BRAND: Brand = {
  name: 'GitHub',
  wordmark: 'GitHub',
  accent: '#1f883d',
  accentText: '#ffffff',
  bar: '#24292f',
  barText: '#ffffff',
  background: '#f6f8fa',
  avatarColors: ['#0969da', '#1a7f37', '#8250df', '#bf3989', '#bc4c00', '#57606a'],
};

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base62 = (length: number) => Array.from(randomBytes(length), (byte) => BASE62[byte % BASE62.length]).join('');

function matchRoute(path: string): { route: GitHubRoute; vars?: Record<string, string> } | undefined {
  switch (path) {
    case '/login/device/code':
      return { route: 'device/code' };
    case '/login/oauth/access_token':
      return { route: 'access_token' };
    case '/login/oauth/authorize':
      return { route: 'authorize' };
    case '/login/device':
      return { route: 'device' };
    case '/api/user':
      return { route: 'user' };
  }
  const grant = /^\/api\/applications\/([^/]+)\/grant$/.exec(path);
  if (grant) return { route: 'grant', vars: { clientId: decodeURIComponent(grant[1]!) } };
  const avatar = /^\/avatars\/u\/(\d+)$/.exec(path);
  if (avatar) return { route: 'avatar', vars: { id: avatar[1]! } };
  return undefined;
}

const METHODS: Record<GitHubRoute, readonly string[]> = {
  'device/code': ['POST'],
  access_token: ['POST'],
  authorize: ['GET', 'POST'],
  device: ['GET', 'POST'],
  user: ['GET'],
  grant: ['DELETE'],
  avatar: ['GET'],
};

export async function startGitHubStandin(options: GitHubStandinOptions = {}): Promise<GitHubStandin> {
  const now = options.now ?? systemClock;
  const clientId = options.clientId ?? 'Ov23liStandInClient01';
  const clientSecret = options.clientSecret ?? '5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2';
  const identities = options.identities ?? DEFAULT_IDENTITIES;
  const appName = options.appName ?? 'Discord bot (stand-in app)';
  const deviceFlowEnabled = options.deviceFlowEnabled ?? true;
  const redeemedAnswer = options.redeemedDeviceCodeAnswer ?? 'incorrect_device_code';
  const redirectUris = new RedirectUris(options.redirectUris);

  const logins = new DeviceLogins<Identity>({
    now,
    expiresInSeconds: options.expiresInSeconds ?? 900,
    intervalSeconds: options.intervalSeconds ?? 5,
    slowDownPenaltySeconds: options.slowDownPenaltySeconds ?? 5,
    newUserCode: () => randomCode(UNAMBIGUOUS_ALPHABET, [4, 4]),
    newDeviceCode: () => randomBytes(20).toString('hex'),
  });
  const codes = new AuthorizationCodes<Identity>(now, () => randomBytes(10).toString('hex'));
  const tokens = new TokenBook<Identity>({
    now,
    newAccessToken: () => `gho_${base62(36)}`,
    newRefreshToken: () => `ghr_${base62(76)}`,
    accessTokenLifetimeSeconds: undefined,
  });
  const faults = new FaultQueue<GitHubRoute, GitHubFault>();
  const traffic = new TrafficLog(options.logCap);

  const known = new KnownIdentities<Identity>(identities);
  const remember = (identity: Identity) => known.remember(identity);
  const idOf = (name: string) => Number(numericIdOf(['github', name], 8));
  const byId = (id: string) => known.find((identity) => String(idOf(identity.name)) === id);

  let url = '';
  const accountOf = (name: string): GitHubAccount => {
    const id = idOf(name);
    const login = slugOf(name, '-');
    const custom = known.get(name)?.pictureUrl;
    return { id, login, name, avatarUrl: custom ?? `${url}/avatars/u/${id}?v=4`, htmlUrl: `${url}/${login}` };
  };

  const wantsJson = (request: Incoming<GitHubRoute>) => (request.headers.accept ?? '').toLowerCase().includes('application/json');
  /** GitHub's OAuth answers: JSON when asked for, form-encoded otherwise. */
  const oauthAnswer = (request: Incoming<GitHubRoute>, status: number, value: object, note?: string): Answer =>
    wantsJson(request) ? jsonAnswer(status, value, note) : formAnswer(status, value as Record<string, string | number>, note);

  function deviceCode(request: Incoming<GitHubRoute>): Answer {
    if (request.params.client_id !== clientId) return jsonAnswer(404, { error: 'Not Found' }, 'unknown client');
    if (!deviceFlowEnabled) return oauthAnswer(request, 400, errors.deviceFlowDisabled(), 'device_flow_disabled');
    const started = logins.start({ clientId, scopes: scopesOf(request.params.scope) });
    return oauthAnswer(request, 200, {
      device_code: started.deviceCode,
      user_code: started.userCode,
      verification_uri: `${url}/login/device`,
      expires_in: started.expiresIn,
      interval: started.interval,
    });
  }

  function grantedAnswer(request: Incoming<GitHubRoute>, identity: Identity, scopes: string[], note: string): Answer {
    remember(identity);
    const issued = tokens.issue({ identity, userId: String(idOf(identity.name)), clientId, scopes, refresh: false });
    return oauthAnswer(request, 200, { access_token: issued.accessToken, token_type: 'bearer', scope: scopes.join(',') }, note);
  }

  function deviceGrant(request: Incoming<GitHubRoute>): Answer {
    const error = (body: errors.GitHubOAuthError, note: string) => oauthAnswer(request, 200, body, note);
    if (!deviceFlowEnabled) return error(errors.deviceFlowDisabled(), 'device_flow_disabled');
    if (request.params.client_id !== clientId) return error(errors.incorrectClientCredentials(), 'incorrect_client_credentials');
    const outcome = logins.poll(request.params.device_code ?? '', clientId);
    switch (outcome.kind) {
      case 'unknown':
        return error(errors.incorrectDeviceCode(), 'unknown');
      case 'redeemed':
        return error(redeemedAnswer === 'bad_verification_code' ? errors.badVerificationCode() : errors.incorrectDeviceCode(), 'redeemed');
      case 'expired':
        return error(errors.expiredToken(), 'expired');
      case 'slow_down':
        return error(errors.slowDown(outcome.intervalSeconds), 'slow_down');
      case 'declined':
        return error(errors.accessDenied(), 'declined');
      case 'pending':
        return error(errors.authorizationPending(), 'pending');
      case 'authorized':
        return grantedAnswer(request, outcome.identity, outcome.request.scopes, 'authorized');
    }
  }

  function codeGrant(request: Incoming<GitHubRoute>): Answer {
    const error = (body: errors.GitHubOAuthError, note: string) => oauthAnswer(request, 200, body, note);
    const credentials = clientCredentials(request);
    if (credentials.malformed || credentials.clientId !== clientId || !safeEqual(credentials.clientSecret, clientSecret)) {
      return error(errors.incorrectClientCredentials(), 'incorrect_client_credentials');
    }
    const redemption = codes.redeem(request.params.code ?? '', {
      clientId,
      redirectUri: request.params.redirect_uri,
      redirectUriRequired: false,
      codeVerifier: request.params.code_verifier,
    });
    if (redemption.kind === 'ok') return grantedAnswer(request, redemption.identity, redemption.request.scopes, 'code redeemed');
    if (redemption.kind === 'redirect_mismatch') return error(errors.redirectUriMismatch(), redemption.kind);
    return error(errors.badVerificationCode(), redemption.kind);
  }

  function accessToken(request: Incoming<GitHubRoute>): Answer {
    const grantType = request.params.grant_type;
    if (grantType === DEVICE_GRANT_TYPE) return deviceGrant(request);
    // The web flow's exchange needs no grant_type at GitHub.
    if (grantType === 'authorization_code' || (grantType === undefined && request.params.code !== undefined)) return codeGrant(request);
    return oauthAnswer(request, 200, errors.unsupportedGrantType(), 'unsupported_grant_type');
  }

  const pages: BrowserPages<Identity> = {
    brand: GITHUB_BRAND,
    appName,
    logins,
    codes,
    device: { path: '/login/device', heading: 'Device Activation', codeFormat: 'XXXX-XXXX' },
    authorizePath: () => '/login/oauth/authorize',
    choices: () =>
      identities.map((identity) => {
        const account = accountOf(identity.name);
        return { name: identity.name, pictureUrl: identity.pictureUrl ?? `/avatars/u/${account.id}`, detail: `@${account.login}` };
      }),
    identity: (name) => known.get(name),
    approvedLocation: (authorization, code) => withQuery(authorization.redirectUri, { code, state: authorization.state }),
    declinedLocation: (authorization) => withQuery(authorization.redirectUri, { ...errors.authorizeAccessDenied, state: authorization.state }),
  };

  function authorize(request: Incoming<GitHubRoute>): Answer {
    if (request.method === 'POST') return authorizeDecisionAnswer(pages, request.params);
    const params = request.params;
    if (params.client_id !== clientId) return refusedAnswer(GITHUB_BRAND, 404, 'Not Found', 'There is no OAuth app with this client_id.');
    const redirectUri = params.redirect_uri ?? redirectUris.first();
    if (redirectUri === undefined || !redirectUris.has(redirectUri)) {
      return refusedAnswer(GITHUB_BRAND, 400, 'Redirect URI mismatch', 'The redirect_uri is not associated with this application.');
    }
    // The redirect URI is known good from here on: further problems go back to the client (RFC 6749 §4.1.2.1).
    const back = (error: string, description: string) =>
      redirectAnswer(withQuery(redirectUri, { error, error_description: description, state: params.state }), error);
    const challenge = params.code_challenge;
    if (challenge !== undefined) {
      if ((params.code_challenge_method ?? 'plain') !== 'S256') return back('invalid_request', 'code_challenge_method must be S256.');
      if (!isWellFormedPkceValue(challenge)) return back('invalid_request', 'code_challenge is not a valid S256 challenge.');
    }
    const authorization: AuthorizationRequest = {
      clientId,
      redirectUri,
      redirectUriSent: params.redirect_uri !== undefined,
      scopes: scopesOf(params.scope),
      state: params.state,
      nonce: undefined,
      codeChallenge: challenge,
      codeChallengeMethod: challenge === undefined ? undefined : 'S256',
    };
    return authorizePageAnswer(pages, authorization);
  }

  function user(request: Incoming<GitHubRoute>): Answer {
    const token = bearerToken(request, ['bearer', 'token']);
    if (!token) return jsonAnswer(401, errors.apiError(401, 'Requires authentication', 'https://docs.github.com/rest/users/users#get-the-authenticated-user'));
    const check = tokens.check(token);
    if (check.kind !== 'ok') return jsonAnswer(401, errors.apiError(401, 'Bad credentials'), check.kind);
    const account = accountOf(check.record.identity.name);
    const created = new Date(Date.UTC(2020, 0, 1) + (account.id % 1_000_000) * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    return jsonAnswer(
      200,
      {
        login: account.login,
        id: account.id,
        node_id: `U_${Buffer.from(`04:User${account.id}`).toString('base64url')}`,
        avatar_url: account.avatarUrl,
        gravatar_id: '',
        url: `${url}/api/users/${account.login}`,
        html_url: account.htmlUrl,
        type: 'User',
        user_view_type: 'public',
        site_admin: false,
        name: account.name,
        company: null,
        blog: '',
        location: null,
        email: null,
        hireable: null,
        bio: null,
        twitter_username: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: created,
        updated_at: created,
      },
      undefined,
      { 'x-oauth-scopes': check.record.scopes.join(', '), 'x-accepted-oauth-scopes': '' },
    );
  }

  function grant(request: Incoming<GitHubRoute>): Answer {
    const docs = 'https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization';
    const credentials = clientCredentials(request);
    if (credentials.method !== 'client_secret_basic') return jsonAnswer(401, errors.apiError(401, 'Requires authentication', docs));
    const notFound = (note: string) => jsonAnswer(404, errors.apiError(404, 'Not Found', docs), note);
    if (credentials.malformed || credentials.clientId !== clientId || request.vars.clientId !== clientId || !safeEqual(credentials.clientSecret, clientSecret)) {
      return notFound('wrong client credentials');
    }
    const token = request.params.access_token;
    if (!token) return jsonAnswer(422, errors.apiError(422, 'Invalid request.\n\n"access_token" wasn\'t supplied.', docs));
    const check = tokens.check(token);
    if (check.kind !== 'ok') return notFound(`token ${check.kind}`);
    tokens.revokeGrant(check.record);
    return { status: 204, body: '', contentType: 'text/plain', note: 'revoked' };
  }

  function handle(request: Incoming<GitHubRoute>): Answer {
    switch (request.route) {
      case 'device/code':
        return deviceCode(request);
      case 'access_token':
        return accessToken(request);
      case 'authorize':
        return authorize(request);
      case 'device':
        return devicePageAnswer(pages, request.method, request.params);
      case 'user':
        return user(request);
      case 'grant':
        return grant(request);
      case 'avatar': {
        const identity = byId(request.vars.id!);
        if (!identity) return { status: 404, body: 'Not Found\n', contentType: 'text/plain' };
        return svgAnswer(avatarSvg(identity.name, request.vars.id!, GITHUB_BRAND.avatarColors));
      }
    }
  }

  const notFound = (path: string): Answer =>
    path.startsWith('/api/')
      ? jsonAnswer(404, errors.apiError(404, 'Not Found'))
      : htmlAnswer(404, errorPage({ brand: GITHUB_BRAND, title: 'Page not found', message: 'This is not the web page you are looking for.' }));

  const server = await startOAuthServer<GitHubRoute, GitHubFault>({
    port: options.port,
    now,
    traffic,
    faults,
    match: matchRoute,
    methods: METHODS,
    handle,
    faultAnswer: (fault, route) => {
      const status = (fault.kind === 'serverError' && fault.status) || 500;
      return route === 'user' || route === 'grant'
        ? jsonAnswer(status, errors.apiError(status, 'Server Error'))
        : jsonAnswer(status, { error: 'server_error', error_description: 'Something went wrong on the stand-in GitHub.' });
    },
    notFound,
    methodNotAllowed: (route) => notFound(route === 'user' || route === 'grant' ? '/api/' : '/'),
    secretParams: OAUTH_SECRET_PARAMS,
  });
  url = server.url;

  return {
    url,
    apiUrl: `${url}/api`,
    deviceUrl: `${url}/login/device`,
    clientId,
    clientSecret,
    identities,
    approve(userCode, identity) {
      logins.checkDecidable(userCode);
      logins.approve(userCode, remember(identity));
      return { userId: String(idOf(identity.name)) };
    },
    authorize(authorizeUrl, identity, decision) {
      remember(identity);
      return walkAuthorizePage(url, authorizeUrl, identity.name, decision);
    },
    allowRedirectUri: (uri) => redirectUris.allow(uri),
    userIdFor: (name) => String(idOf(name)),
    account: accountOf,
    ...sharedHandleMembers({ logins, codes, tokens, faults, traffic, server }),
  };
}
