/**
 * Fakes Facebook and Discord at the HTTP edge: replaces globalThis.fetch (which the Worker and its Durable
 * Objects share with the tests), records every outbound request, and answers from per-endpoint scripts.
 */
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** The form fields (POST) or query parameters (GET/DELETE). */
  params: URLSearchParams;
  json: unknown;
}

export type Responder = (request: Recorded, signal: AbortSignal | undefined) => Response | Promise<Response>;

export const graphBase = () => env.FACEBOOK_GRAPH_URL!;
export const discordBase = () => env.DISCORD_API_URL!;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const graphError = (code: number, subcode: number, message: string) =>
  json(400, { error: { message, type: 'OAuthException', code, error_subcode: subcode, fbtrace_id: 'AbCdEf' } });

/** Facebook's device-login answers, as PLATFORM.md records them. */
export const facebook = {
  deviceCode: (overrides: Record<string, unknown> = {}) =>
    json(200, {
      code: 'DEVICE-CODE-0123456789abcdef0123456789abcdef',
      user_code: 'CMWAW3TM',
      verification_uri: 'https://www.facebook.com/device',
      expires_in: 420,
      interval: 5,
      ...overrides,
    }),
  pending: () => graphError(31, 1349174, 'This request requires the user to take a pending action'),
  slowDown: () => graphError(17, 1349172, 'User request limit reached'),
  declined: () => graphError(31, 1349173, 'The user declined the login'),
  expired: () => graphError(463, 1349152, 'The session has expired'),
  token: () => json(200, { access_token: ACCESS_TOKEN, data_access_expiration_time: 1_900_000_000, expires_in: 5_183_999 }),
  profile: () => facebook.profileWith([], []),
  /** `/me` as Graph answers it, with the permissions granted (public_profile always) and declined. */
  profileWith: (grants: string[], declines: string[]) =>
    json(200, {
      id: '10229876543210987',
      name: 'Ada Lovelace',
      picture: { data: { url: 'https://platform-lookaside.fbsbx.com/ada.jpg', is_silhouette: false, height: 50, width: 50 } },
      permissions: { data: [{ permission: 'public_profile', status: 'granted' }, ...grants.map((permission) => ({ permission, status: 'granted' })), ...declines.map((permission) => ({ permission, status: 'declined' }))] },
    }),
};

export const ACCESS_TOKEN = 'EAABtestaccesstoken0123456789abcdefghijklmnopqrstuvwxyz';
export const DEVICE_CODE = 'DEVICE-CODE-0123456789abcdef0123456789abcdef';

/** Never answers; rejects when the caller's timeout aborts it. */
export const hang: Responder = (_request, signal) =>
  new Promise<Response>((_, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason));
  });

export function fakeNetwork() {
  const requests: Recorded[] = [];
  const scripts = new Map<string, Responder[]>();
  const defaults = new Map<string, Responder>();

  const key = (method: string, path: string) => `${method} ${path}`;

  /** Routes are "METHOD path" relative to the Graph or Discord base, e.g. "POST graph:/device/login_status". */
  function routeOf(method: string, url: URL): string {
    const href = url.origin + url.pathname;
    if (href.startsWith(graphBase())) return key(method, `graph:${href.slice(graphBase().length)}`);
    if (href.startsWith(discordBase())) {
      const path = href.slice(discordBase().length).replace(/^\/webhooks\/\d+\/[^/]+\//, '/webhooks/:app/:token/');
      return key(method, `discord:${path}`);
    }
    return key(method, href);
  }

  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = init?.body == null ? '' : String(init.body);
    const url = new URL(request.url);
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      parsed = undefined;
    }
    const recorded: Recorded = {
      method: request.method,
      url,
      headers: request.headers,
      body,
      params: request.method === 'POST' && request.headers.get('content-type')?.includes('form') ? new URLSearchParams(body) : url.searchParams,
      json: parsed,
    };
    requests.push(recorded);
    const route = routeOf(request.method, url);
    const responder = scripts.get(route)?.shift() ?? defaults.get(route);
    if (!responder) throw new Error(`no fake answer for ${route}`);
    return responder(recorded, init?.signal ?? undefined);
  });

  return {
    requests,
    /**
     * Answers the next calls to `route` with these responders, in order, then falls back to the default.
     * Responders build their Response when called: a Response made in the test's context cannot be read by a
     * Durable Object's request context.
     */
    script(route: string, ...responders: Responder[]) {
      scripts.set(route, [...(scripts.get(route) ?? []), ...responders]);
    },
    /** Answers every call to `route` (after any scripted ones) like this. */
    always(route: string, responder: Responder) {
      defaults.set(route, responder);
    },
    to(route: string): Recorded[] {
      return requests.filter((r) => routeOf(r.method, r.url) === route);
    },
    restore() {
      spy.mockRestore();
    },
  };
}

export type FakeNetwork = ReturnType<typeof fakeNetwork>;

export const ROUTES = {
  deviceLogin: 'POST graph:/device/login',
  loginStatus: 'POST graph:/device/login_status',
  me: 'GET graph:/me',
  editOriginal: 'PATCH discord:/webhooks/:app/:token/messages/@original',
} as const;

/**
 * A responder that holds the request open until the test releases it, so a test can act (cancel, start another
 * login, erase the data) while a call is in flight. `arrived` settles when the request reaches the fake.
 */
export function held() {
  let release!: (answer: Responder) => void;
  let arrive!: () => void;
  const answer = new Promise<Responder>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const responder: Responder = async (request, signal) => {
    arrive();
    // The Response is built here, in the caller's context: one made in the test's context cannot be read there.
    return (await answer)(request, signal);
  };
  return { responder, arrived, release };
}
