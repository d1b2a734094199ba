/**
 * A local stand-in for Facebook Graph (Login for Devices, the redirect login's code exchange, /me, permissions)
 * and for www.facebook.com (`/device`, the `dialog/oauth` login dialog), behaving as PLATFORM.md §1 and §2
 * describe. Start it with {@link startFacebookStandin}; point the Worker's FACEBOOK_GRAPH_URL at `graphUrl` and
 * FACEBOOK_WEB_URL at `url`.
 *
 * Choices where Graph's behaviour is not documented:
 * - A `login_status` poll for a code whose token was already handed out gets the same answer as an unknown
 *   code: HTTP 400, code 100 "(#100) Invalid device login code" (Graph treats a redeemed code as no longer
 *   valid). `redeemedCodeAnswer: 'expired'` answers the expired error (subcode 1349152) instead.
 * - "Too fast" means sooner than the required interval after the previous poll of the same code, whatever
 *   that poll was answered; it is counted even when the answer is "expired" or "redeemed" (the benchmark wants
 *   every early poll), and answered "slow down" otherwise.
 * - Requests answered by an injected fault change no state and are not recorded as polls (only in the log).
 * - A user token may come as `access_token` (query or body) or in the header `Authorization: Bearer <token>`
 *   (or `OAuth <token>`); when both are sent, the header wins. `appsecret_proof` is always a parameter and is
 *   checked against the token whichever way it came, on /me and, for user tokens, on the permissions routes.
 * - Permissions are kept per user, as Graph keeps them per user and app: the latest login's decision on each
 *   asked-for permission; a revocation clears them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue, type DelayFault, type TransportFault } from '../lib/faults.ts';
import { listenOnLoopback, mediaType, readBody, send, sendJson } from '../lib/http.ts';
import { maskParams } from '../lib/mask.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { waitForEvent } from '../lib/wait.ts';
import { FacebookAccounts, type Revocation } from './facebook-accounts.ts';
import {
  DeviceCodeError,
  DeviceLogins,
  type DeviceLoginEvent,
  type DeviceLoginSnapshot,
  type Identity,
} from './facebook-device-logins.ts';
import * as errors from './facebook-errors.ts';
import {
  deviceDonePage,
  devicePage,
  dialogErrorPage,
  dialogPage,
  grantedScopesFromForm,
  pictureSvg,
} from './facebook-pages.ts';
import { optionalScopes, type PermissionDecision, type PermissionRow } from './facebook-permissions.ts';
import { REDIRECT_TOKEN_EXPIRES_IN_SECONDS } from './facebook-accounts.ts';
import {
  DIALOG_PROBLEM_TEXT,
  DialogError,
  RedirectLogins,
  type RedirectLoginSnapshot,
} from './facebook-redirect-logins.ts';

export type { DeviceLoginEvent, DeviceLoginSnapshot, Identity, PermissionDecision, PermissionRow, RedirectLoginSnapshot, Revocation };
export { DeviceCodeError, DialogError };

export type FacebookRoute =
  | 'device/login'
  | 'device/login_status'
  | 'me'
  | 'permissions'
  | 'device'
  | 'picture'
  | 'dialog/oauth'
  | 'oauth/access_token';

export type FacebookFault =
  /** HTTP 500 with Graph's transient-error body (code 2). */
  | { kind: 'serverError' }
  /** A body that is not JSON: an HTML error page, HTTP 502 unless `status` says otherwise. */
  | { kind: 'notJson'; status?: number }
  | TransportFault
  | DelayFault;

export interface FacebookStandinOptions {
  /** Numeric app id. Default 987654321012345. */
  appId?: string;
  clientToken?: string;
  appSecret?: string;
  /** The version in `graphUrl`; every `/vNN.N/` prefix is accepted anyway. Default v25.0. */
  graphVersion?: string;
  /** `expires_in` of a device code. Default 420 (Facebook's). */
  expiresInSeconds?: number;
  /** `interval`, and the minimum gap between polls of one code. Default 5 (Facebook's). */
  intervalSeconds?: number;
  /** Added to the required gap after each slow-down answer. Default 0 (Facebook keeps 5 s). */
  slowDownPenaltySeconds?: number;
  /** See the module comment. Default 'invalid'. */
  redeemedCodeAnswer?: 'invalid' | 'expired';
  /** The app setting "Require App Secret": /me without appsecret_proof is refused. Default false. */
  requireAppSecretProof?: boolean;
  /** The people offered on the /device page. */
  identities?: readonly Identity[];
  /** The app's name on the /device page and in the login dialog. */
  appName?: string;
  /** "Valid OAuth Redirect URIs" for the login dialog (exact match); more with `allowRedirectUri`. */
  redirectUris?: readonly string[];
  now?: Clock;
  port?: number;
  /** Entries kept in the traffic log. Default 2000. */
  logCap?: number;
}

export interface ApproveOptions {
  /** The requested permissions the person grants; the others are declined. Default: all. */
  grantedScopes?: readonly string[];
}

export interface FacebookStandin {
  /** `http://127.0.0.1:<port>`: www.facebook.com (the /device page, `/{version}/dialog/oauth`) and pictures: FACEBOOK_WEB_URL. */
  readonly url: string;
  /** `<url>/<graphVersion>`: the Worker's FACEBOOK_GRAPH_URL. */
  readonly graphUrl: string;
  readonly appId: string;
  readonly clientToken: string;
  readonly appSecret: string;
  readonly identities: readonly Identity[];
  /** The user typed `userCode` and continued as `identity`. Throws {@link DeviceCodeError}. */
  approve(userCode: string, identity: Identity, options?: ApproveOptions): { userId: string };
  /** The user typed `userCode` and cancelled. Throws {@link DeviceCodeError}. */
  decline(userCode: string): void;
  deviceLogin(userCode: string): DeviceLoginSnapshot | undefined;
  /** Every device login started so far, oldest first. */
  deviceLogins(): DeviceLoginSnapshot[];
  /** The first device login (existing or future) that matches, e.g. the one a test's `/login` started. */
  waitForDeviceLogin(match?: (login: DeviceLoginSnapshot) => boolean, timeoutMs?: number): Promise<DeviceLoginSnapshot>;
  /** The app-scoped id the stand-in gives an identity of this name. */
  userIdFor(name: string): string;
  /** Registers one more redirect URI for the login dialog (the Worker's URL is known only after start). */
  allowRedirectUri(uri: string): void;
  /**
   * What a person does in the login dialog at `dialogUrl` (any `/{version}/dialog/oauth?...` URL of this
   * stand-in): continue as `identity`, or cancel. Resolves with the redirect's Location (to the client's
   * redirect_uri, with `code` and `state`, or Facebook's `error=access_denied`). Rejects with
   * {@link DialogError} where the dialog would show an error page instead of redirecting.
   */
  authorize(dialogUrl: string, identity: Identity, decision: 'approve' | 'decline', options?: ApproveOptions): Promise<string>;
  /** Every decision taken in the login dialog, oldest first. */
  redirectLogins(): RedirectLoginSnapshot[];
  revocations(): Revocation[];
  /** The next `times` requests to `route` (or any route: `*`) get `fault`. */
  injectFault(route: FacebookRoute | '*', fault: FacebookFault, times?: number): void;
  clearFaults(): void;
  readonly traffic: TrafficLog;
  /** `change` for every device-login event (created, polled, approved, declined). */
  readonly events: EventEmitter<{ change: [DeviceLoginEvent] }>;
  close(): Promise<void>;
}

export const DEFAULT_IDENTITIES: readonly Identity[] = [
  { name: 'Alice Example', email: 'alice@example.test' },
  { name: 'Bob Example', email: 'bob@example.test' },
  { name: 'Zoë Ångström', email: 'zoe@example.test' },
];

const SECRET_PARAMS = new Set([
  'access_token',
  'appsecret_proof',
  'code',
  'code_verifier',
  'client_secret',
  'input_token',
  'fb_exchange_token',
  // Not a parameter: the Authorization header's token, logged (masked) under this name.
  'authorization',
]);

/** The dialog request's parameters that the dialog form carries through as hidden fields. */
const DIALOG_PARAMS = ['client_id', 'redirect_uri', 'state', 'scope', 'response_type', 'code_challenge', 'code_challenge_method', 'nonce'];

interface Answer {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** A word for the traffic log, e.g. the poll outcome. */
  note?: string;
}

const json = (status: number, value: unknown, note?: string): Answer => ({
  status,
  body: JSON.stringify(value),
  contentType: 'application/json; charset=UTF-8',
  ...(note ? { note } : {}),
});
const graphError = (answer: errors.GraphErrorAnswer, note?: string) => json(answer.status, answer.body, note);
const html = (status: number, body: string): Answer => ({ status, body, contentType: 'text/html; charset=utf-8' });
/** A 302 to `location`; the page carries a code, so no Referer may leak it onward. */
const redirect = (location: string): Answer => ({
  status: 302,
  body: '',
  contentType: 'text/html; charset=utf-8',
  headers: { location, 'referrer-policy': 'no-referrer' },
});

const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/|$)/;

function matchRoute(path: string): { route: FacebookRoute; userId?: string } | undefined {
  if (path === '/device') return { route: 'device' };
  const picture = /^\/pictures\/(\d+)\.svg$/.exec(path);
  if (picture) return { route: 'picture', userId: picture[1]! };
  const graphPath = path.replace(VERSION_PREFIX, '').replace(/\/+$/, '');
  if (graphPath === '/dialog/oauth') return { route: 'dialog/oauth' };
  if (graphPath === '/oauth/access_token') return { route: 'oauth/access_token' };
  if (graphPath === '/device/login') return { route: 'device/login' };
  if (graphPath === '/device/login_status') return { route: 'device/login_status' };
  if (graphPath === '/me') return { route: 'me' };
  const permissions = /^\/(\d+|me)\/permissions$/.exec(graphPath);
  if (permissions) return { route: 'permissions', userId: permissions[1]! };
  return undefined;
}

const ALLOWED_METHODS: Record<FacebookRoute, readonly string[]> = {
  'device/login': ['POST'],
  'device/login_status': ['POST'],
  me: ['GET'],
  permissions: ['GET', 'DELETE'],
  device: ['GET', 'POST'],
  picture: ['GET'],
  'dialog/oauth': ['GET', 'POST'],
  'oauth/access_token': ['GET', 'POST'],
};

/** The token of `Authorization: Bearer <token>` or `OAuth <token>`, as Graph accepts both. */
function headerToken(request: IncomingMessage): string | undefined {
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Graph reads parameters from the query string and from a form (or JSON) body alike. */
async function readParams(request: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const body = await readBody(request, 64 * 1024);
  if (body.length === 0) return params;
  const type = mediaType(request);
  if (type === 'application/x-www-form-urlencoded') Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  else if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed && typeof parsed === 'object') {
        for (const [key, value] of Object.entries(parsed)) params[key] = typeof value === 'string' ? value : JSON.stringify(value);
      }
    } catch {
      // Graph ignores a body it cannot read; the missing parameters then speak for themselves.
    }
  }
  return params;
}

/** Splits `id,name,picture.type(large){url,width}` at the top-level commas. */
function splitFields(fields: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of fields) {
    if (ch === '(' || ch === '{') depth++;
    if (ch === ')' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((field) => field.trim()).filter(Boolean);
}

const PICTURE_SIZES: Record<string, number> = { small: 50, square: 50, normal: 100, album: 100, large: 200 };

function pictureSize(field: string): { width: number; height: number } {
  const type = /\.type\((\w+)\)/.exec(field)?.[1];
  const width = Number(/\.width\((\d+)\)/.exec(field)?.[1]);
  const height = Number(/\.height\((\d+)\)/.exec(field)?.[1]);
  const side = (type && PICTURE_SIZES[type]) || 50;
  return { width: width || height || side, height: height || width || side };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function startFacebookStandin(options: FacebookStandinOptions = {}): Promise<FacebookStandin> {
  const now = options.now ?? systemClock;
  const appId = options.appId ?? '987654321012345';
  const clientToken = options.clientToken ?? 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const appSecret = options.appSecret ?? '5ec2e75ec2e75ec2e75ec2e75ec2e700';
  const graphVersion = options.graphVersion ?? 'v25.0';
  const identities = options.identities ?? DEFAULT_IDENTITIES;
  const appName = options.appName ?? 'Discord bot (stand-in app)';
  const redeemedCodeAnswer = options.redeemedCodeAnswer ?? 'invalid';
  if (!/^\d+$/.test(appId)) throw new Error('appId must be numeric, as Facebook app ids are');

  const logins = new DeviceLogins({
    now,
    expiresInSeconds: options.expiresInSeconds ?? 420,
    intervalSeconds: options.intervalSeconds ?? 5,
    slowDownPenaltySeconds: options.slowDownPenaltySeconds ?? 0,
  });
  const accounts = new FacebookAccounts(appId, now);
  const redirects = new RedirectLogins({ appId, appSecret, now, redirectUris: options.redirectUris ?? [] });
  const faults = new FaultQueue<FacebookRoute, FacebookFault>();
  const traffic = new TrafficLog(options.logCap);
  const closing = new AbortController();
  for (const identity of identities) accounts.register(identity);

  const clientAccessToken = `${appId}|${clientToken}`;
  const appAccessToken = `${appId}|${appSecret}`;
  let baseUrl = '';
  const pictureUrl = (userId: string) => accounts.user(userId)?.pictureUrl ?? `${baseUrl}/pictures/${userId}.svg`;

  function deviceLogin(params: Record<string, string>): Answer {
    if (params.access_token !== clientAccessToken) return graphError(errors.needsClientToken());
    const scopes = (params.scope ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
    const started = logins.start(scopes.length > 0 ? scopes : ['public_profile']);
    return json(200, {
      code: started.code,
      user_code: started.userCode,
      verification_uri: `${baseUrl}/device`,
      expires_in: started.expiresIn,
      interval: started.interval,
    });
  }

  function loginStatus(params: Record<string, string>): Answer {
    if (params.access_token !== clientAccessToken) return graphError(errors.needsClientToken());
    if (!params.code) return graphError(errors.missingParameter('code'));
    const outcome = logins.poll(params.code);
    switch (outcome.kind) {
      case 'unknown':
        return graphError(errors.invalidDeviceCode(), outcome.kind);
      case 'redeemed':
        return graphError(redeemedCodeAnswer === 'expired' ? errors.deviceExpired() : errors.invalidDeviceCode(), outcome.kind);
      case 'expired':
        return graphError(errors.deviceExpired(), outcome.kind);
      case 'slow_down':
        return graphError(errors.deviceSlowDown(), outcome.kind);
      case 'declined':
        return graphError(errors.deviceDeclined(), outcome.kind);
      case 'pending':
        return graphError(errors.devicePending(), outcome.kind);
      case 'authorized': {
        const token = accounts.issueToken(outcome.identity, outcome.permissions);
        return json(
          200,
          { access_token: token.accessToken, data_access_expiration_time: token.dataAccessExpirationTime, expires_in: token.expiresIn },
          outcome.kind,
        );
      }
    }
  }

  /** The appsecret_proof check for a user token: undefined when it passes. */
  function proofProblem(params: Record<string, string>, token: string): Answer | undefined {
    const proof = params.appsecret_proof;
    if (proof !== undefined) {
      const expected = createHmac('sha256', appSecret).update(token).digest('hex');
      if (!safeEqual(proof, expected)) return graphError(errors.invalidAppSecretProof());
    } else if (options.requireAppSecretProof) {
      return graphError(errors.appSecretProofRequired());
    }
    return undefined;
  }

  function me(params: Record<string, string>, token: string | undefined): Answer {
    if (!token || token.startsWith(`${appId}|`)) return graphError(errors.needsAccessToken());
    const record = accounts.token(token);
    if (!record) return graphError(errors.cannotParseToken());
    const refused = proofProblem(params, token);
    if (refused) return refused;
    if (accounts.isRevoked(record)) return graphError(errors.appNotAuthorized(appId));
    if (accounts.isExpired(record)) return graphError(errors.tokenExpired());

    const profile: Record<string, unknown> = {};
    let askedForId = false;
    for (const field of splitFields(params.fields ?? 'id,name')) {
      const name = /^[a-z_]+/.exec(field)?.[0] ?? field;
      switch (name) {
        case 'id':
          askedForId = true;
          profile.id = record.userId;
          break;
        case 'name':
          profile.name = record.identity.name;
          break;
        case 'first_name':
          profile.first_name = record.identity.name.split(/\s+/)[0];
          break;
        case 'last_name':
          profile.last_name = record.identity.name.split(/\s+/).slice(1).join(' ');
          break;
        case 'email':
          // Graph leaves out a field the token may not read (email declined), or that the person lacks.
          if (record.identity.email && accounts.grants(record.userId, 'email')) profile.email = record.identity.email;
          break;
        case 'picture':
          profile.picture = { data: { ...pictureSize(field), is_silhouette: false, url: pictureUrl(record.userId) } };
          break;
        case 'permissions':
          profile.permissions = { data: accounts.permissions(record.userId) };
          break;
        default:
          return graphError(errors.nonexistingField(name));
      }
    }
    // Graph always includes the node's id, last unless it was asked for.
    if (!askedForId) profile.id = record.userId;
    return json(200, profile);
  }

  /**
   * `GET|DELETE /{user-id}/permissions` (or `/me/permissions`): with the app token `APP_ID|APP_SECRET` for any
   * user it knows, or with the user's own live token.
   */
  function permissions(method: string, params: Record<string, string>, token: string | undefined, target: string): Answer {
    const verb = method === 'DELETE' ? 'DELETE' : 'GET';
    if (token === appAccessToken) {
      if (target === 'me') return graphError(errors.needsAccessToken());
      if (!accounts.user(target)) return graphError(errors.unsupportedRequest(verb, target));
      if (verb === 'GET') return json(200, { data: accounts.permissions(target) });
      accounts.revoke(target, 'app');
      return json(200, { success: true });
    }
    const record = token === undefined ? undefined : accounts.token(token);
    if (record && !accounts.isRevoked(record) && !accounts.isExpired(record) && (target === 'me' || target === record.userId)) {
      const refused = proofProblem(params, token!);
      if (refused) return refused;
      if (verb === 'GET') return json(200, { data: accounts.permissions(record.userId) });
      accounts.revoke(record.userId, 'user');
      return json(200, { success: true });
    }
    return graphError(token?.startsWith(`${appId}|`) ? errors.needsAppToken() : errors.cannotParseToken());
  }

  /** `{url}/{version}/dialog/oauth`: GET shows the dialog (or an error page); POST is its form's answer. */
  function dialog(method: string, path: string, params: Record<string, string>): Answer {
    const parsed = redirects.parse(params);
    if ('problem' in parsed) return html(400, dialogErrorPage(DIALOG_PROBLEM_TEXT[parsed.problem]));
    const request = Object.fromEntries(DIALOG_PARAMS.filter((name) => params[name] !== undefined).map((name) => [name, params[name]!]));
    const show = (status: number, error?: string) =>
      html(status, dialogPage({ appName, action: path, request, identities: identityChoices, optionalScopes: optionalScopes(parsed.request.scopes), error }));
    if (method === 'GET') return show(200);
    if (params.action === 'cancel') return redirect(redirects.decline(parsed.request));
    const identity = identities.find((candidate) => candidate.name === params.identity);
    if (!identity) return show(400, 'Choose who you are from the list.');
    accounts.register(identity);
    return redirect(redirects.approve(parsed.request, identity, grantedScopesFromForm(params)));
  }

  function exchangeCode(params: Record<string, string>): Answer {
    const outcome = redirects.exchange(params);
    if (outcome.kind === 'error') return graphError(outcome.error, outcome.note);
    const token = accounts.issueToken(outcome.identity, outcome.permissions, REDIRECT_TOKEN_EXPIRES_IN_SECONDS);
    return json(200, { access_token: token.accessToken, token_type: 'bearer', expires_in: token.expiresIn }, 'token');
  }

  // Same-origin picture paths: the page then loads nothing from another origin.
  const identityChoices = identities.map((identity) => ({
    name: identity.name,
    pictureUrl: identity.pictureUrl ?? `/pictures/${accounts.userIdFor(identity.name)}.svg`,
  }));

  /** The checkboxes for a code that is known and still open; none otherwise (then Continue grants all). */
  const optionalScopesFor = (userCode: string | undefined) => {
    const login = userCode ? logins.snapshot(userCode) : undefined;
    return login && login.state === 'pending' && !login.expired ? optionalScopes(login.scopes) : undefined;
  };

  function devicePageAnswer(method: string, params: Record<string, string>): Answer {
    if (method === 'GET') {
      const userCode = params.user_code;
      return html(200, devicePage({ appName, userCode, identities: identityChoices, optionalScopes: optionalScopesFor(userCode) }));
    }
    const userCode = params.user_code ?? '';
    const retry = (error: string) =>
      html(400, devicePage({ appName, userCode, identities: identityChoices, optionalScopes: optionalScopesFor(userCode), error }));
    try {
      if (params.action === 'cancel') {
        logins.decline(userCode);
        return html(200, deviceDonePage({ appName, approved: false }));
      }
      const identity = identities.find((candidate) => candidate.name === params.identity);
      if (!identity) return retry('Choose who you are from the list.');
      logins.approve(userCode, identity, grantedScopesFromForm(params));
      accounts.register(identity);
      return html(200, deviceDonePage({ appName, approved: true, identityName: identity.name }));
    } catch (error) {
      if (!(error instanceof DeviceCodeError)) throw error;
      return retry(
        {
          unknown: "That code isn't right. Check the code on your device and try again.",
          expired: 'That code has expired. Go back to your device for a new code.',
          already_decided: 'That code was already used. Go back to your device for a new code.',
        }[error.problem],
      );
    }
  }

  function answer(
    route: FacebookRoute,
    method: string,
    path: string,
    params: Record<string, string>,
    token: string | undefined,
    userId: string | undefined,
  ): Answer {
    switch (route) {
      case 'device/login':
        return deviceLogin(params);
      case 'device/login_status':
        return loginStatus(params);
      case 'me':
        return me(params, token);
      case 'permissions':
        return permissions(method, params, token, userId!);
      case 'device':
        return devicePageAnswer(method, params);
      case 'dialog/oauth':
        return dialog(method, path, params);
      case 'oauth/access_token':
        return exchangeCode(params);
      case 'picture': {
        const identity = accounts.user(userId!);
        if (!identity) return { status: 404, body: 'not found\n', contentType: 'text/plain' };
        return { status: 200, body: pictureSvg(identity.name, userId!), contentType: 'image/svg+xml' };
      }
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const matched = matchRoute(url.pathname);
    const params = await readParams(request, url);
    const fromHeader = headerToken(request);
    const token = fromHeader ?? params.access_token;
    const logged = fromHeader === undefined ? params : { ...params, authorization: fromHeader };
    const log = (status: number, extra: { fault?: string; note?: string } = {}) =>
      traffic.add({
        time,
        direction: 'in',
        method,
        path: url.pathname,
        route: matched?.route,
        status,
        params: maskParams(logged, SECRET_PARAMS),
        durationMs: performance.now() - started,
        ...extra,
      });

    const fault = matched && faults.take(matched.route);
    if (fault?.kind === 'hang') {
      log(0, { fault: 'hang' });
      return; // closeAllConnections() ends it when the stand-in closes.
    }
    if (fault?.kind === 'delay') {
      try {
        await sleep(fault.ms, undefined, { signal: closing.signal });
      } catch {
        response.destroy();
        return;
      }
    }
    if (fault?.kind === 'serverError') {
      const failure = errors.unexpectedError();
      sendJson(response, failure.status, failure.body);
      log(failure.status, { fault: fault.kind });
      return;
    }
    if (fault?.kind === 'notJson') {
      const status = fault.status ?? 502;
      send(response, status, '<html><body><h1>502 Bad Gateway</h1></body></html>\n', { 'content-type': 'text/html' });
      log(status, { fault: fault.kind });
      return;
    }

    let result: Answer;
    if (!matched) result = graphError(errors.unknownPath(url.pathname.replace(VERSION_PREFIX, '')));
    else if (!ALLOWED_METHODS[matched.route].includes(method)) {
      result = graphError(errors.unsupportedRequest(method, url.pathname.replace(VERSION_PREFIX, '').slice(1)));
    } else result = answer(matched.route, method, url.pathname, params, token, matched.userId);

    send(response, result.status, result.body, { 'content-type': result.contentType, ...result.headers });
    log(result.status, { ...(fault ? { fault: fault.kind } : {}), ...(result.note ? { note: result.note } : {}) });
  }

  const server = await listenOnLoopback(handle, {
    port: options.port,
    // A bug in the stand-in shows up in its log (a 500 with the error), never on the console.
    onError: (error, request) =>
      traffic.add({
        time: now(),
        direction: 'in',
        method: request.method ?? '?',
        path: new URL(request.url ?? '/', 'http://127.0.0.1').pathname,
        route: undefined,
        status: 500,
        durationMs: 0,
        note: `stand-in error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      }),
  });
  baseUrl = server.url;

  return {
    url: server.url,
    graphUrl: `${server.url}/${graphVersion}`,
    appId,
    clientToken,
    appSecret,
    identities,
    approve(userCode, identity, approveOptions = {}) {
      logins.approve(userCode, identity, approveOptions.grantedScopes);
      return { userId: accounts.register(identity) };
    },
    decline: (userCode) => logins.decline(userCode),
    deviceLogin: (userCode) => logins.snapshot(userCode),
    deviceLogins: () => logins.list(),
    waitForDeviceLogin(match = () => true, timeoutMs = 10_000) {
      // One full scan up front; after that only the login each event is about (1000 sessions poll a lot).
      return waitForEvent<DeviceLoginSnapshot, [DeviceLoginEvent]>(
        logins,
        'change',
        (event?: DeviceLoginEvent) => {
          if (!event) return logins.list().find(match);
          const login = logins.snapshot(event.userCode);
          return login && match(login) ? login : undefined;
        },
        'a matching device login',
        timeoutMs,
      );
    },
    userIdFor: (name) => accounts.userIdFor(name),
    allowRedirectUri: (uri) => redirects.allowRedirectUri(uri),
    async authorize(dialogUrl, identity, decision, approveOptions = {}) {
      const url = new URL(dialogUrl);
      if (url.origin !== baseUrl || matchRoute(url.pathname)?.route !== 'dialog/oauth') {
        throw new Error(`not a login dialog URL of this stand-in: ${url.origin}${url.pathname}`);
      }
      const parsed = redirects.parse(Object.fromEntries(url.searchParams));
      if ('problem' in parsed) throw new DialogError(parsed.problem);
      if (decision === 'decline') return redirects.decline(parsed.request);
      accounts.register(identity);
      return redirects.approve(parsed.request, identity, approveOptions.grantedScopes);
    },
    redirectLogins: () => redirects.list(),
    revocations: () => accounts.revocations(),
    injectFault: (route, fault, times) => faults.add(route, fault, times),
    clearFaults: () => faults.clear(),
    traffic,
    events: logins,
    close() {
      closing.abort();
      return server.close();
    },
  };
}
