/** Small HTTP helpers shared by the routes. */

export const TOO_LARGE = Symbol('body too large');

/**
 * Reads a request body into memory, refusing it once it passes `limit` bytes: a declared Content-Length over the
 * limit is refused before reading anything, and a chunked body is cancelled as soon as it grows past the limit.
 */
export async function readBodyWithLimit(request: Request, limit: number): Promise<Uint8Array | typeof TOO_LARGE> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length > limit) return TOO_LARGE;
    // The runtime never delivers more bytes than a declared Content-Length, so one read is safe.
    return new Uint8Array(await request.arrayBuffer());
  }
  if (request.body === null) return new Uint8Array();

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** A short plain-text answer for errors a client (or Discord) should see by status code. */
export function textResponse(status: number, message: string, headers?: Record<string, string>): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  });
}

/**
 * A cookie that binds a browser to a flow in progress (a state, a login): never readable by scripts, not sent on
 * cross-site subrequests, only under `path`, and Secure unless the site is served over loopback http.
 */
export function bindingCookie(name: string, value: string, options: { path: string; maxAgeSeconds: number; siteUrl: string }): string {
  const secure = new URL(options.siteUrl).protocol === 'https:' ? '; Secure' : '';
  return `${name}=${value}; Max-Age=${options.maxAgeSeconds}; Path=${options.path}; HttpOnly; SameSite=Lax${secure}`;
}

/** The value of the cookie `name` the request carries, if any. */
export function requestCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export class FetchTimeoutError extends Error {
  override name = 'TimeoutError';
}

export interface FetchedText {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP exchange, body included, bounded by `timeoutMs`. The timer is cleared as soon as the exchange is
 * over: a pending timer (as `AbortSignal.timeout` leaves behind) keeps a Durable Object awake for nothing.
 * Throws {@link FetchTimeoutError} on timeout and the fetch's own error on a network failure.
 */
export async function fetchText(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<FetchedText> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new FetchTimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetchImpl(url, { ...init, signal: controller.signal });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    if (controller.signal.aborted) throw new FetchTimeoutError(`timed out after ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
