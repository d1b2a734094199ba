/**
 * A real OpenID provider for tests and the playground: panva's certified `oidc-provider` (9.x) running
 * in-process on 127.0.0.1, with the device flow (RFC 8628), the authorization code flow with PKCE (S256, required),
 * userinfo and revocation. Start it with {@link startOidcStandin}; the Worker discovers everything from
 * `${issuer}/.well-known/openid-configuration`.
 *
 * What is ours around it (each for a reason given where it is done):
 * - One client, kept in a tiny adapter instead of the static `clients` list, so `allowRedirectUri()` can add the
 *   Worker's callback after start: oidc-provider builds a fresh Client whenever the stored metadata changes.
 *   The client has no authorization_code grant until it has a redirect URI (oidc-provider insists on one).
 * - The dev login page accepts any login and password; before oidc-provider sees the login, this module swaps
 *   it for the identity's stable `sub` (a 21-digit number like Google's), so `sub` never equals a name.
 *   Unknown logins become a person of that name.
 * - Poll pacing, which oidc-provider does not do: polls of one device code sooner than the interval (the
 *   `intervalSeconds` option, else RFC 8628's default 5 s) are counted as too fast, and, with `slowDown`,
 *   answered `slow_down` (the interval then grows by 5 s, as RFC 8628 says) before oidc-provider sees them.
 *   Only this pacing uses the injectable `now`; oidc-provider's own lifetimes run on real time.
 * - Its device-flow and error pages (oidc-pages.ts); its devInteractions login/consent pages are kept.
 * - Quiet: nothing is printed; requests land in `traffic` (secrets masked), server errors as its notes.
 *
 * Observed oidc-provider 9.13 behaviour the tests pin down: a second exchange of a used device code (or
 * authorization code) answers invalid_grant and revokes the tokens the first one issued; an expired device code
 * is answered expired_token only while it is still stored (its TTL plus `clockToleranceSeconds`), then
 * invalid_grant; no `interval` in the device authorization answer and never `slow_down` on its own.
 */
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import Provider, { type Adapter, type KoaContextLike } from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { systemClock, type Clock } from '../lib/clock.ts';
import { listenOnLoopback, mediaType, readBody, send, sendJson } from '../lib/http.ts';
import { maskParams } from '../lib/mask.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { waitForEvent } from '../lib/wait.ts';
import { pictureSvg } from './facebook-pages.ts';
import { codeEntryPage, confirmPage, deviceSuccessPage, errorPage, CODE_ENTRY_TEXT, type CodeEntryProblem } from './oidc-pages.ts';
import { DEVICE_GRANT_TYPE } from './oauth-device-logins.ts';
import { isExit, UserAgent, type Exit, type Page } from './oidc-user-agent.ts';

export interface OidcIdentity {
  /** What the person types on the dev login page (matched case-insensitively). */
  login: string;
  name: string;
  email?: string;
  /** Overrides the picture URL; by default the stand-in serves an SVG avatar. */
  picture?: string;
}

export const DEFAULT_OIDC_IDENTITIES: readonly OidcIdentity[] = [
  { login: 'alice', name: 'Alice Example', email: 'alice@example.test' },
  { login: 'bob', name: 'Bob Example', email: 'bob@example.test' },
  { login: 'zoe', name: 'Zoë Ångström', email: 'zoe@example.test' },
];

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

export interface OidcStandinOptions {
  /** Default 'discord-bot'. */
  clientId?: string;
  /** Default 'none' (a public client). */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** For the client_secret_* methods; a fixed default when not given. */
  clientSecret?: string;
  /** Registered redirect URIs (exact match); more with `allowRedirectUri`. */
  redirectUris?: readonly string[];
  identities?: readonly OidcIdentity[];
  /** Device code lifetime (`expires_in`). Default 600. */
  deviceCodeTtlSeconds?: number;
  /** Default 300. */
  accessTokenTtlSeconds?: number;
  /** Default 60 (oidc-provider's). */
  authorizationCodeTtlSeconds?: number;
  /**
   * oidc-provider's clock tolerance; its memory store also keeps an expired device code this long, which is how
   * long `expired_token` is answered before `invalid_grant`. Default 15 (oidc-provider's).
   */
  clockToleranceSeconds?: number;
  /** The ID token carries only `sub` (oidc-provider's conformIdTokenClaims): name and picture come from userinfo. */
  idTokenOnlySub?: boolean;
  /** Adds `interval` to the device authorization answer and sets the pace for too-fast polls. */
  intervalSeconds?: number;
  /** Answer `slow_down` to polls sooner than the interval; each one adds 5 s to it. Default false. */
  slowDown?: boolean;
  /** Times polls (only that; see the module comment). */
  now?: Clock;
  port?: number;
  logCap?: number;
}

export type PollOutcome =
  | 'tokens'
  | 'authorization_pending'
  | 'slow_down'
  | 'access_denied'
  | 'expired_token'
  | 'invalid_grant'
  | 'invalid_client'
  | string;

/** What tests and a UI may see of a device login. The device code is not part of it. */
export interface OidcDeviceLogin {
  /** As the device authorization answer gave it, e.g. `BCDF-GHJK`. */
  userCode: string;
  clientId: string;
  scope: string;
  createdAt: number;
  /** Arrival time of every token-endpoint poll of this device code, by `now`. */
  polls: number[];
  /** The answer to each poll, in order. */
  outcomes: PollOutcome[];
  tooFastPolls: number;
  slowDowns: number;
  requiredIntervalMs: number;
}

export interface OidcDeviceLoginEvent {
  kind: 'created' | 'polled';
  userCode: string;
  time: number;
  outcome?: PollOutcome;
}

export interface OidcStandin {
  /** `http://127.0.0.1:<port>`, also the issuer. */
  readonly url: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly identities: readonly OidcIdentity[];
  /** The `sub` of the person who logs in as `login`. */
  subFor(login: string): string;
  allowRedirectUri(uri: string): void;
  /** The person opens verification_uri, enters `userCode`, confirms, logs in as `login` and consents. */
  approve(userCode: string, login: string): Promise<{ sub: string }>;
  /**
   * The person enters `userCode` and aborts: at the confirmation page (default), or after logging in, at the
   * consent page. The device's next poll gets access_denied.
   */
  deny(userCode: string, options?: { at?: 'confirm' | 'consent'; login?: string }): Promise<void>;
  /**
   * The redirect flow in a browser: opens `authorizationUrl`, logs in as `login`, and consents or cancels.
   * Resolves with the Location that leaves the provider (the client's redirect_uri with `code` or
   * `error=access_denied`, plus `state` and `iss`).
   */
  authorize(authorizationUrl: string, login: string, decision: 'approve' | 'decline'): Promise<string>;
  deviceLogin(userCode: string): OidcDeviceLogin | undefined;
  deviceLogins(): OidcDeviceLogin[];
  waitForDeviceLogin(match?: (login: OidcDeviceLogin) => boolean, timeoutMs?: number): Promise<OidcDeviceLogin>;
  readonly events: EventEmitter<{ change: [OidcDeviceLoginEvent] }>;
  readonly traffic: TrafficLog;
  close(): Promise<void>;
}

/** The person's mistake on the device pages (a wrong, expired or used code), or an error page. */
export class OidcInteractionError extends Error {
  override name = 'OidcInteractionError';
}

const ROUTES = {
  authorization: '/auth',
  code_verification: '/device',
  device_authorization: '/device/auth',
  jwks: '/jwks',
  revocation: '/token/revocation',
  token: '/token',
  userinfo: '/me',
};

const SLOW_DOWN_STEP_MS = 5_000;
const SECRET_PARAMS = new Set(['device_code', 'code', 'code_verifier', 'client_secret', 'refresh_token', 'token', 'password', 'authorization', 'xsrf']);

/** A stable, Google-like subject identifier for a login. */
export function oidcSubFor(login: string): string {
  const digest = createHash('sha256').update(`oidc-standin\0${login.trim().toLowerCase()}`).digest('hex');
  return (10n ** 20n + (BigInt(`0x${digest.slice(0, 20)}`) % (9n * 10n ** 20n))).toString();
}

const normalizeUserCode = (userCode: string) => userCode.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** One RSA key per process: generating it costs ~100 ms, and tests start many stand-ins. */
let signingKey: JsonWebKey | undefined;
function signingJwk(): JsonWebKey {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: `standin-${randomBytes(4).toString('hex')}`,
    alg: 'RS256',
    use: 'sig',
  };
  return signingKey;
}

/** oidc-provider warns on the console about devInteractions while it is built; this stand-in prints nothing. */
function quietly<T>(build: () => T): T {
  const { warn, info } = console;
  const keep = (print: (...args: unknown[]) => void) => (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider ')) print(...args);
  };
  console.warn = keep(warn);
  console.info = keep(info);
  try {
    return build();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

/** The request again, with `body` (possibly rewritten) as its stream, for oidc-provider to read. */
function replay(request: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = Readable.from([body], { objectMode: false });
  return Object.assign(stream, {
    method: request.method,
    url: request.url,
    headers: { ...request.headers, 'content-length': String(body.length) },
    rawHeaders: request.rawHeaders,
    httpVersion: request.httpVersion,
    httpVersionMajor: request.httpVersionMajor,
    httpVersionMinor: request.httpVersionMinor,
    socket: request.socket,
    connection: request.socket,
    complete: true,
    aborted: false,
  }) as unknown as IncomingMessage;
}

interface DeviceRecord extends OidcDeviceLogin {
  lastPollAt: number | undefined;
}

const POLL = Symbol('oidc-standin poll');
type Polled = IncomingMessage & { [POLL]?: DeviceRecord };

export async function startOidcStandin(options: OidcStandinOptions = {}): Promise<OidcStandin> {
  const now = options.now ?? systemClock;
  const clientId = options.clientId ?? 'discord-bot';
  const tokenEndpointAuthMethod = options.tokenEndpointAuthMethod ?? 'none';
  const clientSecret = tokenEndpointAuthMethod === 'none' ? undefined : (options.clientSecret ?? 'oidc-standin-client-secret-0123456789abcdef');
  const identities = options.identities ?? DEFAULT_OIDC_IDENTITIES;
  const intervalMs = (options.intervalSeconds ?? 5) * 1000;
  const redirectUris = new Set(options.redirectUris ?? []);
  const traffic = new TrafficLog(options.logCap);
  const events = new EventEmitter<{ change: [OidcDeviceLoginEvent] }>();
  events.setMaxListeners(0);
  const byDeviceCode = new Map<string, DeviceRecord>();
  const byUserCode = new Map<string, DeviceRecord>();

  const identityFor = (login: string): OidcIdentity =>
    identities.find((identity) => identity.login.toLowerCase() === login.trim().toLowerCase()) ?? { login: login.trim(), name: login.trim() };
  const bySub = new Map<string, OidcIdentity>(identities.map((identity) => [oidcSubFor(identity.login), identity]));
  const subForLogin = (login: string) => {
    const identity = identityFor(login);
    const sub = oidcSubFor(identity.login);
    bySub.set(sub, identity);
    return sub;
  };

  // Set once the provider exists (it needs the issuer URL, which needs the port).
  let callback: ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;
  const server = await listenOnLoopback((request, response) => handle(request, response), {
    port: options.port,
    onError: (error, request) => logError(request, error),
  });
  const issuer = server.url;

  const clientMetadata = () => {
    const withRedirect = redirectUris.size > 0;
    return {
      client_id: clientId,
      ...(clientSecret !== undefined ? { client_secret: clientSecret } : {}),
      client_name: 'Discord bot (stand-in client)',
      token_endpoint_auth_method: tokenEndpointAuthMethod,
      grant_types: [DEVICE_GRANT_TYPE, 'refresh_token', ...(withRedirect ? ['authorization_code'] : [])],
      response_types: withRedirect ? ['code'] : [],
      redirect_uris: [...redirectUris],
    };
  };
  const memory = createMemoryAdapter(options.clockToleranceSeconds ?? 15);
  const clientAdapter: Adapter = {
    find: async (id) => (id === clientId ? clientMetadata() : undefined),
    upsert: async () => {},
    findByUserCode: async () => undefined,
    findByUid: async () => undefined,
    consume: async () => {},
    destroy: async () => {},
    revokeByGrantId: async () => {},
  };

  const provider = quietly(
    () =>
      new Provider(issuer, {
        adapter: (model: string) => (model === 'Client' ? clientAdapter : memory(model)),
        jwks: { keys: [signingJwk()] },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        clockTolerance: options.clockToleranceSeconds ?? 15,
        routes: ROUTES,
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        claims: {
          openid: ['sub'],
          profile: ['name', 'picture', 'preferred_username'],
          email: ['email', 'email_verified'],
        },
        conformIdTokenClaims: options.idTokenOnlySub ?? false,
        pkce: { required: () => true },
        clientBasedCORS: () => false,
        features: {
          devInteractions: { enabled: true },
          deviceFlow: {
            enabled: true,
            userCodeInputSource: async (ctx: KoaContextLike, form: string, _out: unknown, error?: Error & { userCode?: string }) => {
              let problem: CodeEntryProblem | undefined;
              if (error) problem = error.userCode !== undefined || error.name === 'NoCodeError' ? 'wrong_code' : error.name === 'AbortedError' ? 'aborted' : 'other';
              ctx.body = codeEntryPage(form, problem);
            },
            userCodeConfirmSource: async (ctx: KoaContextLike, form: string, client: { clientName?: string; clientId: string }, _info: unknown, userCode: string) => {
              ctx.body = confirmPage(form, client.clientName ?? client.clientId, userCode);
            },
            successSource: async (ctx: KoaContextLike & { oidc: { client?: { clientName?: string; clientId: string } } }) => {
              const client = ctx.oidc.client;
              ctx.body = deviceSuccessPage(client?.clientName ?? client?.clientId ?? 'the app');
            },
          },
          revocation: {
            enabled: true,
            allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) => token.clientId === client.clientId,
          },
          userinfo: { enabled: true },
          rpInitiatedLogout: { enabled: false },
        },
        ttl: {
          AccessToken: options.accessTokenTtlSeconds ?? 300,
          AuthorizationCode: options.authorizationCodeTtlSeconds ?? 60,
          DeviceCode: options.deviceCodeTtlSeconds ?? 600,
          IdToken: 3600,
          RefreshToken: 24 * 3600,
          Interaction: 3600,
          Session: 3600,
          Grant: 24 * 3600,
        },
        renderError: async (ctx: KoaContextLike & { type: string }, out: Record<string, string>) => {
          ctx.type = 'html';
          ctx.body = errorPage(out);
        },
        findAccount: async (_ctx: unknown, sub: string) => {
          const identity = bySub.get(sub);
          if (!identity) return undefined;
          return {
            accountId: sub,
            claims: async () => ({
              sub,
              name: identity.name,
              preferred_username: identity.login,
              picture: identity.picture ?? `${issuer}/pictures/${sub}.svg`,
              ...(identity.email ? { email: identity.email, email_verified: true } : {}),
            }),
          };
        },
      }),
  );
  provider.silent = true;
  provider.on('server_error', (ctx: KoaContextLike, error: unknown) => logError(ctx.req, error));
  provider.use(paceAndRecord);
  provider.use(stylesFromHereOnly);
  callback = provider.callback();

  function logError(request: IncomingMessage, error: unknown) {
    traffic.add({
      time: now(),
      direction: 'in',
      method: request.method ?? '?',
      path: new URL(request.url ?? '/', issuer).pathname,
      route: undefined,
      status: 500,
      durationMs: 0,
      note: `stand-in error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    });
  }

  /**
   * oidc-provider's own pages (devInteractions' login and consent, its error pages) `@import` a web font from
   * fonts.googleapis.com; a policy that allows styles only from here keeps a browser from trying the network.
   */
  async function stylesFromHereOnly(ctx: KoaContextLike, next: () => Promise<void>): Promise<void> {
    await next();
    if (String(ctx.type ?? '').startsWith('text/html')) ctx.set('content-security-policy', "style-src 'self' 'unsafe-inline'; font-src 'self'");
  }

  /** Records device authorizations (adding `interval`) and the answer to every device-code poll. */
  async function paceAndRecord(ctx: KoaContextLike, next: () => Promise<void>): Promise<void> {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.method === 'POST' && ctx.path === ROUTES.device_authorization && ctx.status === 200 && typeof body?.device_code === 'string') {
      if (options.intervalSeconds !== undefined) body.interval = options.intervalSeconds;
      const record: DeviceRecord = {
        userCode: String(body.user_code),
        clientId: String(ctx.oidc?.params?.client_id ?? clientId),
        scope: String(ctx.oidc?.params?.scope ?? ''),
        createdAt: now(),
        polls: [],
        outcomes: [],
        tooFastPolls: 0,
        slowDowns: 0,
        requiredIntervalMs: intervalMs,
        lastPollAt: undefined,
      };
      byDeviceCode.set(body.device_code, record);
      byUserCode.set(normalizeUserCode(record.userCode), record);
      events.emit('change', { kind: 'created', userCode: record.userCode, time: record.createdAt });
    }
    const polled = (ctx.req as Polled)[POLL];
    if (polled) finishPoll(polled, ctx.status === 200 ? 'tokens' : String(body?.error ?? ctx.status));
  }

  function startPoll(record: DeviceRecord): { tooFast: boolean; time: number } {
    const time = now();
    const tooFast = record.lastPollAt !== undefined && time - record.lastPollAt < record.requiredIntervalMs;
    record.lastPollAt = time;
    record.polls.push(time);
    if (tooFast) record.tooFastPolls++;
    return { tooFast, time };
  }

  function finishPoll(record: DeviceRecord, outcome: PollOutcome) {
    record.outcomes.push(outcome);
    if (outcome === 'slow_down') {
      record.slowDowns++;
      record.requiredIntervalMs += SLOW_DOWN_STEP_MS;
    }
    events.emit('change', { kind: 'polled', userCode: record.userCode, time: record.polls.at(-1)!, outcome });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = now();
    const url = new URL(request.url ?? '/', issuer);
    let params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (request.headers.authorization) params.authorization = request.headers.authorization;
    const log = (status: number, note?: string) =>
      traffic.add({
        time,
        direction: 'in',
        method: request.method ?? 'GET',
        path: url.pathname,
        route: routeName(url.pathname),
        status,
        params: maskParams(params, SECRET_PARAMS),
        durationMs: performance.now() - started,
        ...(note ? { note } : {}),
      });

    const picture = /^\/pictures\/(\d+)\.svg$/.exec(url.pathname);
    if (request.method === 'GET' && picture) {
      const identity = bySub.get(picture[1]!);
      if (!identity) send(response, 404, 'not found\n', { 'content-type': 'text/plain' });
      else send(response, 200, pictureSvg(identity.name, picture[1]!), { 'content-type': 'image/svg+xml' });
      log(response.statusCode);
      return;
    }

    let forwarded = request;
    const isForm = mediaType(request) === 'application/x-www-form-urlencoded';
    if (request.method === 'POST' && isForm && (url.pathname === ROUTES.token || url.pathname.startsWith('/interaction/'))) {
      let body = await readBody(request, 56 * 1024);
      const form = new URLSearchParams(body.toString('utf8'));
      params = { ...params, ...Object.fromEntries(form) };
      const record = form.get('grant_type') === DEVICE_GRANT_TYPE ? byDeviceCode.get(form.get('device_code') ?? '') : undefined;
      if (record) {
        const { tooFast } = startPoll(record);
        if (tooFast && options.slowDown) {
          finishPoll(record, 'slow_down');
          sendJson(
            response,
            400,
            { error: 'slow_down', error_description: 'polling too fast; wait the interval, now 5 seconds longer' },
            { 'cache-control': 'no-store' },
          );
          log(400, 'slow_down');
          return;
        }
      }
      if (form.get('prompt') === 'login' && form.has('login')) {
        form.set('login', subForLogin(form.get('login')!));
        body = Buffer.from(form.toString());
      }
      forwarded = replay(request, body);
      if (record) (forwarded as Polled)[POLL] = record;
    }
    response.once('finish', () => log(response.statusCode, (forwarded as Polled)[POLL]?.outcomes.at(-1)));
    if (!callback) sendJson(response, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
    else await callback(forwarded, response);
  }

  async function enterCode(agent: UserAgent, userCode: string): Promise<Page> {
    const entry = page(await agent.get(`${issuer}${ROUTES.code_verification}`), 'the code entry page');
    const form = entry.forms.find((candidate) => candidate.id === 'op.deviceInputForm');
    if (!form) throw new OidcInteractionError('no code entry form on the verification page');
    const confirm = page(await agent.submit(form, { user_code: userCode }), 'the confirmation page');
    if (!confirm.forms.some((candidate) => candidate.id === 'op.deviceConfirmForm')) throw pageError(confirm);
    return confirm;
  }

  /** Logs in as `login` and consents or aborts, until the flow leaves the interaction pages. */
  async function interact(agent: UserAgent, step: Page | Exit, login: string, decision: 'approve' | 'decline'): Promise<Page | Exit> {
    for (let i = 0; i < 6; i++) {
      if (isExit(step)) return step;
      const prompt = step.forms.find((form) => form.fields.prompt === 'login' || form.fields.prompt === 'consent');
      if (!prompt) return step;
      if (prompt.fields.prompt === 'login') {
        step = await agent.submit(prompt, { login, password: 'any password' });
      } else if (decision === 'approve') {
        step = await agent.submit(prompt);
      } else {
        const abort = /href="([^"]*\/abort)"/.exec(step.html)?.[1];
        if (!abort) throw new OidcInteractionError('no Cancel link on the consent page');
        step = await agent.get(new URL(abort, step.url).href);
      }
    }
    throw new OidcInteractionError('the interaction did not finish');
  }

  function page(step: Page | Exit, what: string): Page {
    if (isExit(step)) throw new OidcInteractionError(`expected ${what}, got a redirect to ${step.location}`);
    return step;
  }

  function pageError(step: Page): OidcInteractionError {
    const alert = /role="alert">([\s\S]*?)<\/(?:p|div)>/.exec(step.html)?.[1]?.replace(/<[^>]+>/g, '').trim();
    return new OidcInteractionError(`HTTP ${step.status} at ${new URL(step.url).pathname}: ${alert ?? 'unexpected page'}`);
  }

  return {
    url: issuer,
    issuer,
    clientId,
    clientSecret,
    tokenEndpointAuthMethod,
    identities,
    subFor: (login) => oidcSubFor(identityFor(login).login),
    allowRedirectUri(uri) {
      redirectUris.add(uri);
    },
    async approve(userCode, login) {
      const agent = new UserAgent(issuer);
      const confirm = await enterCode(agent, userCode);
      const done = page(await interact(agent, await agent.submit(confirm.forms.find((f) => f.id === 'op.deviceConfirmForm')!), login, 'approve'), 'the success page');
      if (done.status !== 200 || !done.html.includes('role="status"')) throw pageError(done);
      return { sub: subForLogin(login) };
    },
    async deny(userCode, denyOptions = {}) {
      const agent = new UserAgent(issuer);
      const confirm = await enterCode(agent, userCode);
      const form = confirm.forms.find((f) => f.id === 'op.deviceConfirmForm')!;
      if ((denyOptions.at ?? 'confirm') === 'confirm') {
        const aborted = page(await agent.submit(form, { abort: 'yes' }), 'the aborted page');
        if (!aborted.html.includes(CODE_ENTRY_TEXT.aborted)) throw pageError(aborted);
        return;
      }
      await interact(agent, await agent.submit(form), denyOptions.login ?? identities[0]?.login ?? 'alice', 'decline');
    },
    async authorize(authorizationUrl, login, decision) {
      const agent = new UserAgent(issuer);
      const end = await interact(agent, await agent.get(authorizationUrl), login, decision);
      if (!isExit(end)) throw pageError(end);
      return end.location;
    },
    deviceLogin: (userCode) => snapshot(byUserCode.get(normalizeUserCode(userCode))),
    deviceLogins: () => [...byUserCode.values()].map((record) => snapshot(record)!),
    waitForDeviceLogin(match = () => true, timeoutMs = 10_000) {
      return waitForEvent<OidcDeviceLogin, [OidcDeviceLoginEvent]>(
        events,
        'change',
        (event?: OidcDeviceLoginEvent) => {
          if (!event) return [...byUserCode.values()].map((record) => snapshot(record)!).find(match);
          const login = snapshot(byUserCode.get(normalizeUserCode(event.userCode)));
          return login && match(login) ? login : undefined;
        },
        'a matching device login',
        timeoutMs,
      );
    },
    events,
    traffic,
    close: () => server.close(),
  };
}

function snapshot(record: DeviceRecord | undefined): OidcDeviceLogin | undefined {
  if (!record) return undefined;
  const { lastPollAt: _ignored, ...rest } = record;
  return { ...rest, polls: [...record.polls], outcomes: [...record.outcomes] };
}

function routeName(path: string): string | undefined {
  if (path === '/.well-known/openid-configuration') return 'discovery';
  if (path.startsWith('/interaction/')) return 'interaction';
  if (path.startsWith('/pictures/')) return 'picture';
  const exact = Object.entries(ROUTES).find(([, route]) => route === path)?.[0];
  if (exact) return exact;
  if (path.startsWith(`${ROUTES.authorization}/`) || path.startsWith(`${ROUTES.code_verification}/`)) return 'resume';
  return undefined;
}
