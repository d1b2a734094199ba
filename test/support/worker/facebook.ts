/**
 * Facebook's side in tests: signed_request built with WebCrypto HMAC exactly as Facebook builds it, the two
 * callbacks posted through the Worker's real entry, and a fake Graph API at the HTTP edge (a globalThis.fetch spy).
 */
import { env, exports } from 'cloudflare:workers';
import { vi } from 'vitest';

export function base64Url(bytes: Uint8Array | string, { padded = false } = {}): string {
  const raw = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const base64 = btoa(String.fromCharCode(...raw)).replace(/\+/g, '-').replace(/\//g, '_');
  return padded ? base64 : base64.replace(/=+$/, '');
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)));
}

export interface SignedRequestOptions {
  /** Defaults to the Worker's FACEBOOK_APP_SECRET. */
  secret?: string;
  /** Keep base64's `=` padding on both parts (Facebook's parts usually have none). */
  padded?: boolean;
}

/** `base64url(HMAC-SHA256(secret, encodedPayload)) + "." + encodedPayload`. */
export async function signedRequest(payload: unknown, options: SignedRequestOptions = {}): Promise<string> {
  const encodedPayload = base64Url(JSON.stringify(payload), { padded: options.padded });
  const signature = await hmacSha256(options.secret ?? env.FACEBOOK_APP_SECRET!, encodedPayload);
  return `${base64Url(signature, { padded: options.padded })}.${encodedPayload}`;
}

export const facebookPayload = (userId: string) => ({
  algorithm: 'HMAC-SHA256',
  issued_at: Math.floor(Date.now() / 1000),
  expires: Math.floor(Date.now() / 1000) + 3600,
  user_id: userId,
});

export type FacebookCallback = 'deauthorize' | 'data-deletion';

/** POSTs a raw body to /facebook/<callback> through the Worker's real fetch handler. */
export function postCallback(
  callback: FacebookCallback,
  body: BodyInit,
  contentType: string | null = 'application/x-www-form-urlencoded',
): Promise<Response> {
  const headers: Record<string, string> = contentType === null ? {} : { 'content-type': contentType };
  return exports.default.fetch(`https://bot.example/facebook/${callback}`, { method: 'POST', headers, body });
}

/** POSTs `signed_request=<value>` as Facebook does. */
export const postSignedRequest = (callback: FacebookCallback, value: string) =>
  postCallback(callback, new URLSearchParams({ signed_request: value }).toString());

export interface GraphCall {
  url: URL;
  method: string;
  body: string | null;
}

/**
 * Replaces globalThis.fetch with a fake Graph API: records every request and answers with `answer`, which may
 * also throw (a network error) or wait for the request's abort signal (a Graph that never answers).
 */
export function fakeGraph(answer: (request: Request) => Response | Promise<Response>) {
  const calls: GraphCall[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    calls.push({ url: new URL(request.url), method: request.method, body: init?.body ? String(init.body) : null });
    return answer(request);
  });
  return { calls, spy };
}

export const graphJson = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A Graph that never answers: the returned promise settles only when the request is aborted (the timeout). */
export const neverAnswers = (request: Request) =>
  new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
