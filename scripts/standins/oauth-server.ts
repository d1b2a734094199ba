/**
 * The HTTP shell the GitHub, Google and Microsoft stand-ins share: route matching, parameters from the query
 * string and a form or JSON body, client credentials (Basic or in the body), injected faults, and a masked
 * traffic log. Each provider supplies its routes and turns a request into an {@link Answer}.
 *
 * Requests answered by an injected fault never reach the provider's logic: they change no state and are not
 * counted as polls (only logged, with the fault's kind).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../lib/clock.ts';
import type { DelayFault, FaultQueue, TransportFault } from '../lib/faults.ts';
import { listenOnLoopback, mediaType, readBody, send } from '../lib/http.ts';
import { maskParams } from '../lib/mask.ts';
import type { TrafficLog } from '../lib/traffic-log.ts';

export interface Answer {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** A word for the traffic log, e.g. the poll outcome. */
  note?: string;
}

export const jsonAnswer = (status: number, value: unknown, note?: string, headers?: Record<string, string>): Answer => ({
  status,
  body: JSON.stringify(value),
  contentType: 'application/json; charset=utf-8',
  ...(headers ? { headers } : {}),
  ...(note ? { note } : {}),
});

/** GitHub's default encoding of OAuth answers. */
export const formAnswer = (status: number, value: Record<string, string | number>, note?: string): Answer => ({
  status,
  body: new URLSearchParams(Object.entries(value).map(([key, item]) => [key, String(item)])).toString(),
  contentType: 'application/x-www-form-urlencoded; charset=utf-8',
  ...(note ? { note } : {}),
});

/** Pages that may carry a code or a token in their URL never leak it to another site (RFC 9700 §4.2.4). */
export const htmlAnswer = (status: number, body: string, note?: string): Answer => ({
  status,
  body,
  contentType: 'text/html; charset=utf-8',
  headers: { 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
  ...(note ? { note } : {}),
});

export const svgAnswer = (body: string): Answer => ({ status: 200, body, contentType: 'image/svg+xml' });

export const redirectAnswer = (location: string, note?: string): Answer => ({
  status: 302,
  body: '',
  contentType: 'text/plain',
  headers: { location, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
  ...(note ? { note } : {}),
});

/** Faults every provider stand-in takes. */
export type CommonFault =
  /** A 5xx with the provider's error body (500 unless `status` says otherwise). */
  | { kind: 'serverError'; status?: number }
  /** A body that is not JSON: an HTML error page, HTTP 502 unless `status` says otherwise. */
  | { kind: 'notJson'; status?: number }
  | TransportFault
  | DelayFault;

/** HTTP 503 with a Retry-After header (modelled on Google's token endpoint under load). */
export interface UnavailableFault {
  kind: 'unavailable';
  retryAfterSeconds?: number;
}

export interface Incoming<R extends string> {
  method: string;
  url: URL;
  route: R;
  /** Named parts of the path, e.g. Microsoft's tenant. */
  vars: Record<string, string>;
  /** Query string and form (or JSON) body, merged; the body wins. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface RouteMatch<R extends string> {
  route: R;
  vars?: Record<string, string>;
}

export interface OAuthServerOptions<R extends string, F extends { kind: string }> {
  port?: number;
  now: Clock;
  traffic: TrafficLog;
  faults: FaultQueue<R, F>;
  match: (path: string) => RouteMatch<R> | undefined;
  methods: Record<R, readonly string[]>;
  handle: (request: Incoming<R>) => Answer;
  /** The answer to an injected serverError or unavailable fault. */
  faultAnswer: (fault: F, route: R) => Answer;
  notFound: (path: string) => Answer;
  methodNotAllowed: (route: R, method: string) => Answer;
  /** Parameter names whose values never reach the log. */
  secretParams: ReadonlySet<string>;
}

export interface OAuthServer {
  url: string;
  close(): Promise<void>;
}

/** Reads parameters from the query string and from a form or JSON body alike. */
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
      // A body that cannot be read adds nothing; the missing parameters then speak for themselves.
    }
  }
  return params;
}

export async function startOAuthServer<R extends string, F extends CommonFault | UnavailableFault>(
  options: OAuthServerOptions<R, F>,
): Promise<OAuthServer> {
  const { now, traffic, faults } = options;
  const closing = new AbortController();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const matched = options.match(url.pathname);
    const params = await readParams(request, url);
    const log = (status: number, extra: { fault?: string; note?: string } = {}) =>
      traffic.add({
        time,
        direction: 'in',
        method,
        path: url.pathname,
        route: matched?.route,
        status,
        params: maskParams(params, options.secretParams),
        durationMs: performance.now() - started,
        ...extra,
      });
    const reply = (answer: Answer, extra: { fault?: string } = {}) => {
      send(response, answer.status, answer.body, { 'content-type': answer.contentType, ...answer.headers });
      log(answer.status, { ...extra, ...(answer.note ? { note: answer.note } : {}) });
    };

    const fault = matched && faults.take(matched.route);
    if (fault?.kind === 'hang') {
      log(0, { fault: 'hang' });
      return; // close() ends it.
    }
    if (fault?.kind === 'delay') {
      try {
        await sleep((fault as DelayFault).ms, undefined, { signal: closing.signal });
      } catch {
        response.destroy();
        return;
      }
    }
    if (fault?.kind === 'notJson') {
      const status = (fault as { status?: number }).status ?? 502;
      reply({ status, body: '<html><body><h1>502 Bad Gateway</h1></body></html>\n', contentType: 'text/html' }, { fault: fault.kind });
      return;
    }
    if (fault && (fault.kind === 'serverError' || fault.kind === 'unavailable')) {
      reply(options.faultAnswer(fault, matched.route), { fault: fault.kind });
      return;
    }

    let answer: Answer;
    if (!matched) answer = options.notFound(url.pathname);
    else if (!options.methods[matched.route].includes(method)) answer = options.methodNotAllowed(matched.route, method);
    else answer = options.handle({ method, url, route: matched.route, vars: matched.vars ?? {}, params, headers: request.headers });
    reply(answer, fault ? { fault: fault.kind } : {});
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
  return {
    url: server.url,
    close() {
      closing.abort();
      return server.close();
    },
  };
}

export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** How the client authenticated (RFC 6749 §2.3.1). */
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** Credentials in both places, or a Basic header that cannot be read. */
  malformed: boolean;
}

/** Client credentials from `Authorization: Basic` (form-encoded id and secret, RFC 6749 §2.3.1) or the body. */
export function clientCredentials(request: Incoming<string>): ClientCredentials {
  const header = request.headers.authorization ?? '';
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  const bodyId = request.params.client_id;
  const bodySecret = request.params.client_secret;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { clientId: bodyId, clientSecret: undefined, method: 'client_secret_basic', malformed: true };
    let id: string;
    let secret: string;
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      return { clientId: bodyId, clientSecret: undefined, method: 'client_secret_basic', malformed: true };
    }
    const malformed = bodySecret !== undefined || (bodyId !== undefined && bodyId !== id);
    return { clientId: id, clientSecret: secret, method: 'client_secret_basic', malformed };
  }
  return { clientId: bodyId, clientSecret: bodySecret, method: bodySecret === undefined ? 'none' : 'client_secret_post', malformed: false };
}

/** The token of `Authorization: Bearer <t>` (or GitHub's older `token <t>`). */
export function bearerToken(request: Incoming<string>, schemes: readonly string[] = ['bearer']): string | undefined {
  const match = /^(\S+)\s+(\S+)$/.exec(request.headers.authorization ?? '');
  return match && schemes.includes(match[1]!.toLowerCase()) ? match[2] : undefined;
}

export function safeEqual(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Space-separated scopes, as OAuth sends them. */
export function scopesOf(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Adds parameters to a redirect URI, keeping any query it already has. */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** Parameters whose values are secrets in every provider's protocol. */
export const OAUTH_SECRET_PARAMS: ReadonlySet<string> = new Set([
  'client_secret',
  'device_code',
  'code',
  'code_verifier',
  'access_token',
  'refresh_token',
  'token',
  'id_token',
  'client_assertion',
  'password',
  // Whoever holds an open authorize page's request id can answer it.
  'request_id',
]);
