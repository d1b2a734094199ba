/**
 * A small Facebook Graph API client. Every call has a timeout; answers are parsed as JSON whatever the HTTP
 * status (Graph reports errors as `{"error":{...}}` objects, and the device-login poll answers "pending" that
 * way); error texts name method, route, status and Graph's codes, never an access token, app secret or code.
 */

import { toHex } from '../encoding.ts';
import { fetchText, FetchTimeoutError, type FetchedText } from '../http.ts';

/** Graph's error object (`body.error`). */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
  fbtrace_id?: string;
}

/** Graph answered with an error object. */
export class GraphApiError extends Error {
  override name = 'GraphApiError';
  readonly status: number;
  readonly code: number | undefined;
  readonly subcode: number | undefined;
  constructor(method: string, route: string, status: number, error: GraphErrorBody) {
    const codes = [error.code !== undefined && `code ${error.code}`, error.error_subcode !== undefined && `subcode ${error.error_subcode}`]
      .filter(Boolean)
      .join(', ');
    super(`Graph ${method} ${route} failed: HTTP ${status}${codes ? ` (${codes})` : ''}${error.type ? ` ${error.type}` : ''}`);
    this.status = status;
    this.code = error.code;
    this.subcode = error.error_subcode;
  }
}

/** No usable answer: network failure, timeout, or a body that is not Graph JSON. Worth retrying later. */
export class GraphUnavailableError extends Error {
  override name = 'GraphUnavailableError';
  readonly status: number;
  constructor(method: string, route: string, status: number, problem: string) {
    super(`Graph ${method} ${route} failed: ${status === 0 ? '' : `HTTP ${status}, `}${problem}`);
    this.status = status;
  }
}

/** No answer within the client's timeout. Facebook may still have carried the request out. */
export class GraphTimeoutError extends GraphUnavailableError {
  override name = 'GraphTimeoutError';
  readonly timeoutMs: number;
  constructor(method: string, route: string, timeoutMs: number) {
    super(method, route, 0, `timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export interface GraphResponse {
  status: number;
  /** The parsed JSON body (an object), whatever the status. */
  body: Record<string, unknown>;
}

export interface GraphClientOptions {
  /** e.g. https://graph.facebook.com/v25.0, without a trailing slash. */
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface GraphCall {
  /** Sent as a form body for POST, as the query string otherwise. Error texts name only the path. */
  params?: Record<string, string>;
  /**
   * An access token sent as `Authorization: Bearer`, so that it never sits in a URL (where proxies and traces
   * keep it). Graph accepts it there for every call this bot makes with a user or app token.
   */
  bearer?: string;
}

export class GraphClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: GraphClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * One Graph request. Returns the JSON body whatever the status; throws {@link GraphUnavailableError} when
   * there is none to return. Callers decide what an `error` object means for them (see {@link graphError}).
   */
  async call(method: 'GET' | 'POST' | 'DELETE', path: string, call: GraphCall = {}): Promise<GraphResponse> {
    const params = new URLSearchParams(call.params);
    const url = method === 'POST' || params.size === 0 ? `${this.#baseUrl}${path}` : `${this.#baseUrl}${path}?${params}`;
    const headers: Record<string, string> = {};
    if (call.bearer) headers.authorization = `Bearer ${call.bearer}`;
    const init: RequestInit = { method, headers };
    if (method === 'POST') {
      init.body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }

    let response: FetchedText;
    try {
      response = await fetchText(this.#fetch, url, init, this.#timeoutMs);
    } catch (error) {
      if (error instanceof FetchTimeoutError) throw new GraphTimeoutError(method, path, this.#timeoutMs);
      throw new GraphUnavailableError(method, path, 0, 'network error');
    }
    const text = response.text;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GraphUnavailableError(method, path, response.status, 'the body is not JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      // Graph answers some calls with a bare `true`; expose it as { success: true }.
      if (body === true) return { status: response.status, body: { success: true } };
      throw new GraphUnavailableError(method, path, response.status, 'the body is not a JSON object');
    }
    return { status: response.status, body: body as Record<string, unknown> };
  }
}

/** The `error` object of a Graph answer, if it has one. */
export function graphError(body: Record<string, unknown>): GraphErrorBody | undefined {
  const error = body.error;
  return error !== null && typeof error === 'object' ? (error as GraphErrorBody) : undefined;
}

/** `appsecret_proof`: HMAC-SHA256 of the access token keyed with the app secret, as hex. */
export async function appSecretProof(accessToken: string, appSecret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(appSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(accessToken));
  return toHex(mac);
}
