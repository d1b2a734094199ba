/**
 * A minimal browser for the OpenID stand-in's pages: a cookie jar (with cookie paths, as oidc-provider scopes its
 * interaction cookies by path), redirects followed within one origin, and forms read from the HTML. Enough to
 * play the person in the device and redirect flows over plain HTTP; not a general HTML parser.
 */

export interface Form {
  id: string | undefined;
  action: string;
  method: string;
  /** Every named input's value (hidden ones included), as the page rendered it. */
  fields: Record<string, string>;
}

export interface Page {
  url: string;
  status: number;
  html: string;
  forms: Form[];
}

/** A step that left the origin: a redirect to somewhere else (e.g. the client's redirect_uri). */
export interface Exit {
  location: string;
}

interface Cookie {
  value: string;
  path: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
const decode = (text: string) => text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => ENTITIES[name]!);

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)) out[match[1]!.toLowerCase()] = decode(match[2]!);
  return out;
}

export function readForms(html: string, pageUrl: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[1]!);
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input\b([^>]*?)\/?>/gi)) {
      const inputAttrs = attributes(input[1]!);
      if (inputAttrs.name !== undefined) fields[inputAttrs.name] = inputAttrs.value ?? '';
    }
    forms.push({
      id: attrs.id,
      action: new URL(attrs.action ?? pageUrl, pageUrl).href,
      method: (attrs.method ?? 'get').toUpperCase(),
      fields,
    });
  }
  return forms;
}

export class UserAgent {
  readonly #origin: string;
  readonly #jar = new Map<string, Cookie>();
  readonly #timeoutMs: number;

  constructor(origin: string, timeoutMs = 10_000) {
    this.#origin = new URL(origin).origin;
    this.#timeoutMs = timeoutMs;
  }

  get(url: string): Promise<Page | Exit> {
    return this.#go(url, { method: 'GET' });
  }

  /** Submits `form` with its fields, overridden and extended by `fields`. */
  submit(form: Form, fields: Record<string, string> = {}): Promise<Page | Exit> {
    const body = new URLSearchParams({ ...form.fields, ...fields }).toString();
    if (form.method === 'GET') return this.get(`${form.action.split('?')[0]}?${body}`);
    return this.#go(form.action, { method: 'POST', body, contentType: 'application/x-www-form-urlencoded' });
  }

  async #go(startUrl: string, first: { method: string; body?: string; contentType?: string }): Promise<Page | Exit> {
    let url = startUrl;
    let request = first;
    for (let hop = 0; hop < 20; hop++) {
      const target = new URL(url);
      if (target.origin !== this.#origin) return { location: url };
      const headers: Record<string, string> = {};
      const cookie = this.#cookieHeader(target.pathname);
      if (cookie) headers.cookie = cookie;
      if (request.contentType) headers['content-type'] = request.contentType;
      const response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      this.#store(response.headers.getSetCookie(), target.pathname);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url).href;
        request = { method: 'GET' };
        continue;
      }
      const html = await response.text();
      return { url, status: response.status, html, forms: readForms(html, url) };
    }
    throw new Error(`more than 20 redirects from ${startUrl}`);
  }

  #cookieHeader(path: string): string {
    return [...this.#jar]
      .filter(([, cookie]) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  #store(setCookies: string[], requestPath: string): void {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const attr = (key: string) => attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attr('path') ?? requestPath.replace(/\/[^/]*$/, '/');
      const expires = attr('expires');
      const removed = value === '' || attr('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      // One jar entry per name: the stand-in's cookies do not share names across paths.
      if (removed) this.#jar.delete(name);
      else this.#jar.set(name, { value, path });
    }
  }
}

export function isExit(step: Page | Exit): step is Exit {
  return 'location' in step;
}
