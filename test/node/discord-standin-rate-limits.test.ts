import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DiscordApiError, DiscordRest } from '../../src/discord/rest.ts';
import { alice, deferEphemeral, discordWithBot, webhookUrl } from '../support/node/discord-harness.ts';
import { discordCall } from '../support/node/http.ts';

let clock: ManualClock;
let setup: Awaited<ReturnType<typeof discordWithBot>>;

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 9, 1, 12, 0, 0));
  setup = await discordWithBot(() => ({ body: deferEphemeral }), { now: clock.now });
});
afterEach(() => setup.close());

const login = async () => (await setup.discord.sendCommand({ name: 'login', user: alice })).interaction;
const edit = (token: string, content: string) => discordCall(webhookUrl(setup.discord, token), 'PATCH', { content });

describe('Discord stand-in: the webhook bucket (default 5 requests per 2 s per token)', () => {
  it('sends X-RateLimit-* headers that count down, then 429 with Retry-After and a float retry_after', async () => {
    const { token, id } = await login();
    for (let i = 0; i < 5; i++) {
      const reply = await edit(token, `edit ${i}`);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('x-ratelimit-limit')).toBe('5');
      expect(reply.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
      expect(reply.headers.get('x-ratelimit-reset-after')).toBe('2.000');
      expect(reply.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
      expect(Number(reply.headers.get('x-ratelimit-reset'))).toBeCloseTo(clock.now() / 1000 + 2, 3);
    }
    clock.advance(500);
    const limited = await edit(token, 'one too many');
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ message: 'You are being rate limited.', retry_after: 1.5, global: false });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('user');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');

    clock.advance(1_500);
    expect((await edit(token, 'after the reset')).status).toBe(200);
    expect(setup.discord.interaction(id)).toMatchObject({ edits: 6, webhookRequests: 7, rateLimited: 1 });
  });

  it('keeps a separate bucket per interaction token', async () => {
    const first = await login();
    const second = await login();
    for (let i = 0; i < 5; i++) await edit(first.token, `edit ${i}`);
    expect((await edit(first.token, 'sixth')).status).toBe(429);
    expect((await edit(second.token, 'first of its own')).status).toBe(200);
  });

  it('uses a configured bucket', async () => {
    await setup.close();
    setup = await discordWithBot(() => ({ body: deferEphemeral }), { now: clock.now, rateLimit: { limit: 2, windowMs: 10_000 } });
    const { token } = await login();
    expect((await edit(token, 'a')).headers.get('x-ratelimit-reset-after')).toBe('10.000');
    await edit(token, 'b');
    expect((await edit(token, 'c')).json.retry_after).toBe(10);
  });
});

describe('Discord stand-in: injected faults', () => {
  it('rateLimited answers 429 with the given retry_after, which the project\'s REST client waits out', async () => {
    const { token } = await login();
    setup.discord.injectFault('editOriginal', { kind: 'rateLimited', retryAfter: 0.25 });
    const raw = await edit(token, 'x');
    expect(raw.status).toBe(429);
    expect(raw.json).toEqual({ message: 'You are being rate limited.', retry_after: 0.25, global: false });
    expect(raw.headers.get('retry-after')).toBe('1');

    setup.discord.injectFault('editOriginal', { kind: 'rateLimited', retryAfter: 0.25 });
    const waits: number[] = [];
    const rest = new DiscordRest({ baseUrl: setup.discord.apiUrl, sleep: async (ms) => void waits.push(ms) });
    const message = await rest.editOriginalResponse<{ content: string }>(setup.discord.applicationId, token, { content: 'after waiting' });
    expect(waits).toEqual([250]);
    expect(message.content).toBe('after waiting');
  });

  it('serverError answers 500 for the next N requests, then the route works again', async () => {
    const { token } = await login();
    setup.discord.injectFault('editOriginal', { kind: 'serverError' }, 2);
    expect((await edit(token, 'a')).json).toEqual({ message: '500: Internal Server Error', code: 0 });
    expect((await edit(token, 'b')).status).toBe(500);
    expect((await edit(token, 'c')).status).toBe(200);
  });

  it('hang never answers, so a client with a timeout gives up', async () => {
    const { token } = await login();
    setup.discord.injectFault('editOriginal', { kind: 'hang' });
    const rest = new DiscordRest({ baseUrl: setup.discord.apiUrl, timeoutMs: 200, maxRetries: 0 });
    const error = await rest.editOriginalResponse(setup.discord.applicationId, token, { content: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordApiError);
    expect((error as DiscordApiError).status).toBe(0);
    expect((error as Error).message).toContain('timed out after 200 ms');
    expect((error as Error).message).not.toContain(token);
  });

  it('delay answers normally after the given time', async () => {
    const { token } = await login();
    setup.discord.injectFault('*', { kind: 'delay', ms: 250 });
    const started = performance.now();
    expect((await edit(token, 'slow')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('a fault on one route leaves the other routes alone', async () => {
    const { token } = await login();
    setup.discord.injectFault('createFollowup', { kind: 'serverError' });
    expect((await edit(token, 'fine')).status).toBe(200);
    expect((await discordCall(webhookUrl(setup.discord, token, ''), 'POST', { content: 'x' })).status).toBe(500);
  });
});
