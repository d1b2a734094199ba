/** Plain HTTP calls for tests, returning status, headers and the parsed body. */

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: T;
}

export async function call<T = any>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const response = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POST with a form body, as Graph clients send it. */
export function postForm<T = any>(url: string, params: Record<string, string>): Promise<Reply<T>> {
  return call<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

export function getWithQuery<T = any>(url: string, params: Record<string, string>): Promise<Reply<T>> {
  return call<T>(`${url}?${new URLSearchParams(params)}`);
}

export const BOT_USER_AGENT = 'DiscordBot (https://example.test/bot, 0.1.0)';

/** A request to the Discord stand-in as the bot sends it: Discord's User-Agent, a JSON body. */
export function discordCall<T = any>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  return call<T>(url, {
    method,
    headers: {
      'user-agent': BOT_USER_AGENT,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}
