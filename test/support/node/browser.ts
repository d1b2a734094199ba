/**
 * A browser, as far as a redirect login needs one: GETs and form POSTs without following redirects (each hop is
 * the test's to check) and a cookie jar for one site that honours Path and Max-Age, as a browser would for the
 * Worker's `HttpOnly; SameSite=Lax` login cookie. Two instances are two browsers.
 */

interface Cookie {
  value: string;
  path: string;
  /** Date.now() after which the cookie is gone; undefined: a session cookie. */
  expiresAt: number | undefined;
}

export interface Page {
  status: number;
  headers: Headers;
  /** The `location` header, absolute. */
  location: string | undefined;
  text: string;
  /** The raw `Set-Cookie` headers of the answer. */
  setCookies: string[];
}

export class Browser {
  readonly #origin: string;
  readonly #cookies = new Map<string, Cookie>();

  /** A browser whose cookies are kept for `origin` (e.g. the Worker's URL); other sites' cookies are ignored. */
  constructor(origin: string) {
    this.#origin = new URL(origin).origin;
  }

  /** GET `url` without following a redirect; cookies for the site are sent and stored. */
  async get(url: string, timeoutMs = 10_000): Promise<Page> {
    return this.#send(new URL(url), {}, timeoutMs);
  }

  /**
   * Submits a form to `url` as a browser does from a page of `from` (default: the site's own): urlencoded, with
   * the page's Origin and Sec-Fetch-Site, and the site's cookies; the redirect is not followed.
   */
  async post(url: string, form: Record<string, string>, options: { from?: string; timeoutMs?: number } = {}): Promise<Page> {
    const target = new URL(url);
    const from = new URL(options.from ?? this.#origin).origin;
    return this.#send(
      target,
      {
        method: 'POST',
        body: new URLSearchParams(form),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: from,
          'sec-fetch-site': from === target.origin ? 'same-origin' : 'cross-site',
        },
      },
      options.timeoutMs ?? 10_000,
    );
  }

  async #send(target: URL, init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> }, timeoutMs: number): Promise<Page> {
    const cookie = this.cookieHeader(target);
    const response = await fetch(target, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const setCookies = response.headers.getSetCookie();
    if (target.origin === this.#origin) for (const header of setCookies) this.#store(header, target);
    const location = response.headers.get('location');
    return { status: response.status, headers: response.headers, location: location ? new URL(location, target).href : undefined, text, setCookies };
  }

  /** The value of cookie `name` now, if the browser has it. */
  cookie(name: string): string | undefined {
    const cookie = this.#cookies.get(name);
    return cookie && this.#live(name, cookie) ? cookie.value : undefined;
  }

  /** Puts a cookie into this browser (another browser's, copied). */
  setCookie(name: string, value: string, path = '/'): void {
    this.#cookies.set(name, { value, path, expiresAt: undefined });
  }

  /** What this browser sends as `Cookie` to `url`. */
  cookieHeader(url: URL): string | undefined {
    if (url.origin !== this.#origin) return undefined;
    const pairs = [...this.#cookies].filter(([name, cookie]) => this.#live(name, cookie) && url.pathname.startsWith(cookie.path)).map(([name, cookie]) => `${name}=${cookie.value}`);
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }

  #live(name: string, cookie: Cookie): boolean {
    if (cookie.expiresAt === undefined || Date.now() < cookie.expiresAt) return true;
    this.#cookies.delete(name);
    return false;
  }

  /** RFC 6265 §5.2, the parts that matter here: name=value, Path (default: the request's directory), Max-Age. */
  #store(header: string, url: URL): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const equals = pair.indexOf('=');
    if (equals <= 0) return;
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    let path = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1) || '/';
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const argument = rest.join('=');
      if (key.toLowerCase() === 'path' && argument.startsWith('/')) path = argument;
      if (key.toLowerCase() === 'max-age' && /^-?\d+$/.test(argument)) expiresAt = Date.now() + Number(argument) * 1000;
    }
    if (expiresAt !== undefined && expiresAt <= Date.now()) this.#cookies.delete(name);
    else this.#cookies.set(name, { value, path, expiresAt });
  }
}
