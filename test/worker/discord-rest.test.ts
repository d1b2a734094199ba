import { describe, expect, it } from 'vitest';
import { DiscordApiError, DiscordRest, RateLimitedError, TokenGoneError, USER_AGENT } from '../../src/discord/rest.ts';
import { BOT_VERSION } from '../../src/version.ts';

const TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ';
const APP = '1234567890123456789';
const EDIT_URL = `https://discord.test/api/v10/webhooks/${APP}/${TOKEN}/messages/@original`;

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
}

/** A scripted Discord: each call takes the next response (or a function producing one). */
function fakeDiscord(script: Array<Response | ((signal: AbortSignal) => Promise<Response>)>) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push({ url: request.url, method: request.method, headers: request.headers, body: init?.body ? String(init.body) : null });
    const next = script.shift();
    if (!next) throw new Error('unexpected extra request');
    return typeof next === 'function' ? next(init!.signal!) : next;
  };
  const rest = new DiscordRest({
    baseUrl: 'https://discord.test/api/v10/',
    fetch: fetchImpl as typeof fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    timeoutMs: 30,
  });
  return { rest, calls, sleeps };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const hangs = (signal: AbortSignal) =>
  new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('Discord REST client', () => {
  it('sends the exact URL, method, JSON body and a DiscordBot User-Agent', async () => {
    const { rest, calls } = fakeDiscord([json(200, { id: '1' })]);
    const result = await rest.editOriginalResponse(APP, TOKEN, { content: 'hi' });
    expect(result).toEqual({ id: '1' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(EDIT_URL);
    expect(calls[0]!.method).toBe('PATCH');
    expect(calls[0]!.body).toBe('{"content":"hi"}');
    expect(calls[0]!.headers.get('content-type')).toBe('application/json');
    expect(calls[0]!.headers.get('user-agent')).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(new RegExp(`^DiscordBot \\(https://[^,]+, ${BOT_VERSION.replace(/\./g, '\\.')}\\)$`));
    expect(calls[0]!.headers.get('authorization')).toBeNull();
  });

  it('waits out a short 429 using the body\'s retry_after, then succeeds', async () => {
    const { rest, calls, sleeps } = fakeDiscord([
      json(429, { message: 'You are being rate limited.', retry_after: 0.25, global: false }, { 'retry-after': '1' }),
      json(200, { id: '2' }),
    ]);
    expect(await rest.editOriginalResponse(APP, TOKEN, { content: 'x' })).toEqual({ id: '2' });
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([250]);
  });

  it('falls back to the Retry-After header when the body has no retry_after', async () => {
    const { rest, sleeps } = fakeDiscord([new Response('', { status: 429, headers: { 'retry-after': '2' } }), json(200, {})]);
    await rest.editOriginalResponse(APP, TOKEN, {});
    expect(sleeps).toEqual([2000]);
  });

  it('does not sleep through a long 429: it throws RateLimitedError with the wait, for the caller to reschedule', async () => {
    const { rest, calls, sleeps } = fakeDiscord([json(429, { message: 'slow down', retry_after: 42.5 })]);
    const error = await rest.editOriginalResponse(APP, TOKEN, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(42_500);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a 5xx a bounded number of times with growing backoff', async () => {
    const { rest, calls, sleeps } = fakeDiscord([json(502, {}), json(503, {}), json(200, { ok: true })]);
    expect(await rest.editOriginalResponse(APP, TOKEN, {})).toEqual({ ok: true });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('gives up after the bounded retries with an error naming method, route, status', async () => {
    const { rest, calls } = fakeDiscord([json(500, {}), json(500, {}), json(500, { message: 'Internal', code: 0 })]);
    const error = (await rest.editOriginalResponse(APP, TOKEN, {}).catch((e: unknown) => e)) as DiscordApiError;
    expect(error).toBeInstanceOf(DiscordApiError);
    expect(calls).toHaveLength(3);
    expect(error.status).toBe(500);
    expect(error.message).toBe(`Discord PATCH /webhooks/${APP}/***/messages/@original failed: HTTP 500 (Discord code 0: Internal)`);
  });

  it('does not retry a non-idempotent POST on 5xx', async () => {
    const { rest, calls } = fakeDiscord([json(500, {})]);
    await expect(rest.request('POST', `/webhooks/${APP}/${TOKEN}`, { body: {}, secrets: [TOKEN] })).rejects.toThrow(DiscordApiError);
    expect(calls).toHaveLength(1);
  });

  it('times out a request that hangs, retries it, and then fails with status 0', async () => {
    const { rest, calls, sleeps } = fakeDiscord([hangs, hangs, hangs]);
    const error = (await rest.editOriginalResponse(APP, TOKEN, {}).catch((e: unknown) => e)) as DiscordApiError;
    expect(error).toBeInstanceOf(DiscordApiError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('timed out after 30 ms');
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('recovers when a timed-out request succeeds on retry', async () => {
    const { rest, calls } = fakeDiscord([hangs, json(200, { id: '3' })]);
    expect(await rest.editOriginalResponse(APP, TOKEN, {})).toEqual({ id: '3' });
    expect(calls).toHaveLength(2);
  });

  it('turns 404 Unknown Webhook (10015) into TokenGoneError, without retrying', async () => {
    const { rest, calls } = fakeDiscord([json(404, { message: 'Unknown Webhook', code: 10015 })]);
    const error = await rest.editOriginalResponse(APP, TOKEN, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenGoneError);
    expect((error as TokenGoneError).code).toBe(10015);
    expect(calls).toHaveLength(1);
  });

  it('never puts the interaction token or bot token in an error text', async () => {
    const { rest } = fakeDiscord([
      json(400, { message: `Invalid Form Body near ${TOKEN}`, code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } }),
      json(401, { message: '401: Unauthorized', code: 0 }),
    ]);
    const first = (await rest.editOriginalResponse(APP, TOKEN, {}).catch((e: unknown) => e)) as DiscordApiError;
    expect(first.code).toBe(50035);
    expect(first.message).not.toContain(TOKEN);
    expect(first.message).toContain('BASE_TYPE_MAX_LENGTH');
    const second = (await rest.bulkOverwriteCommands(APP, 'bot.token.value', []).catch((e: unknown) => e)) as DiscordApiError;
    expect(second.message).toBe(`Discord PUT /applications/${APP}/commands failed: HTTP 401 (Discord code 0: 401: Unauthorized)`);
    expect(String(second.stack)).not.toContain('bot.token.value');
  });

  it('sends the bot token only as an Authorization header on bot routes', async () => {
    const { rest, calls } = fakeDiscord([json(200, [])]);
    await rest.bulkOverwriteCommands(APP, 'bot.token.value', [{ name: 'ping' }], '999999999999999999');
    expect(calls[0]!.url).toBe(`https://discord.test/api/v10/applications/${APP}/guilds/999999999999999999/commands`);
    expect(calls[0]!.method).toBe('PUT');
    expect(calls[0]!.headers.get('authorization')).toBe('Bot bot.token.value');
  });
});
