import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DiscordRest, TokenGoneError } from '../../src/discord/rest.ts';
import { alice, deferEphemeral, discordWithBot, webhookUrl } from '../support/node/discord-harness.ts';
import type { BotAnswer } from '../support/node/fake-bot.ts';
import { call, discordCall } from '../support/node/http.ts';

const UNKNOWN_WEBHOOK = { message: 'Unknown Webhook', code: 10015 };
let clock: ManualClock;
let setup: Awaited<ReturnType<typeof discordWithBot>>;
let answer: (interaction: any) => BotAnswer | Promise<BotAnswer>;

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 9, 1, 12, 0, 0));
  answer = () => ({ body: deferEphemeral });
  setup = await discordWithBot((interaction) => answer(interaction), { now: clock.now, rateLimit: { limit: 1000, windowMs: 1000 } });
});
afterEach(() => setup.close());

const login = () => setup.discord.sendCommand({ name: 'login', user: alice });

describe('Discord stand-in: 404 Unknown Webhook (10015)', () => {
  it('for a token Discord never issued, on every webhook route', async () => {
    const token = 'aW50ZXJhY3Rpb246bm90LWEtcmVhbC10b2tlbg';
    const cases: [string, string, unknown?][] = [
      [webhookUrl(setup.discord, token), 'GET'],
      [webhookUrl(setup.discord, token), 'PATCH', { content: 'x' }],
      [webhookUrl(setup.discord, token), 'DELETE'],
      [webhookUrl(setup.discord, token, ''), 'POST', { content: 'x' }],
      [webhookUrl(setup.discord, token, '/messages/1234567890123456789'), 'PATCH', { content: 'x' }],
    ];
    for (const [url, method, body] of cases) {
      const reply = await discordCall(url, method, body);
      expect(reply.status, `${method} ${url}`).toBe(404);
      expect(reply.json).toEqual(UNKNOWN_WEBHOOK);
    }
  });

  it('for a token older than 15 minutes, but not at 15 minutes exactly', async () => {
    const { interaction } = await login();
    clock.advance(15 * 60 * 1000);
    expect((await discordCall(webhookUrl(setup.discord, interaction.token), 'PATCH', { content: 'still fine' })).status).toBe(200);
    clock.advance(1);
    const late = await discordCall(webhookUrl(setup.discord, interaction.token), 'PATCH', { content: 'too late' });
    expect(late.status).toBe(404);
    expect(late.json).toEqual(UNKNOWN_WEBHOOK);
  });

  it('for @original before the bot has answered the interaction', async () => {
    let answerNow: (value: BotAnswer) => void = () => {};
    let received: (token: string) => void = () => {};
    const tokenArrived = new Promise<string>((done) => (received = done));
    answer = (interaction) => {
      received(interaction.token);
      return new Promise((done) => (answerNow = done));
    };
    const pending = login();
    const token = await tokenArrived;
    const early = await discordCall(webhookUrl(setup.discord, token), 'PATCH', { content: 'too early' });
    expect(early.status).toBe(404);
    expect(early.json).toEqual(UNKNOWN_WEBHOOK);
    answerNow({ body: deferEphemeral });
    await pending;
    expect((await discordCall(webhookUrl(setup.discord, token), 'PATCH', { content: 'now' })).status).toBe(200);
  });

  it('for a real token under another application id', async () => {
    const { interaction } = await login();
    const url = `${setup.discord.apiUrl}/webhooks/1999999999999999999/${interaction.token}/messages/@original`;
    expect((await discordCall(url, 'PATCH', { content: 'x' })).json).toEqual(UNKNOWN_WEBHOOK);
  });

  it('which the project\'s REST client turns into a TokenGoneError that does not show the token', async () => {
    const { interaction } = await login();
    clock.advance(15 * 60 * 1000 + 1);
    const rest = new DiscordRest({ baseUrl: setup.discord.apiUrl, maxRetries: 0 });
    const error = await rest.editOriginalResponse(setup.discord.applicationId, interaction.token, { content: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenGoneError);
    expect((error as Error).message).not.toContain(interaction.token);
  });
});

describe('Discord stand-in: requests Discord would refuse before looking at them', () => {
  it('without a "DiscordBot (" User-Agent: 403 with Cloudflare\'s code 40333, on any route', async () => {
    const { interaction } = await login();
    for (const userAgent of [undefined, 'node', 'Mozilla/5.0', 'discordbot (lowercase)']) {
      const reply = await call(webhookUrl(setup.discord, interaction.token), {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...(userAgent ? { 'user-agent': userAgent } : {}) },
        body: JSON.stringify({ content: 'x' }),
      });
      expect(reply.status, String(userAgent)).toBe(403);
      expect(reply.json).toEqual({ message: 'internal network error', code: 40333 });
    }
    expect(setup.discord.message(setup.discord.interaction(interaction.id)!.originalMessageId!)!.content).toBe('');
  });

  it('a body that is not Content-Type: application/json: 400 with 50035 CONTENT_TYPE_INVALID', async () => {
    const { interaction } = await login();
    const reply = await discordCall(webhookUrl(setup.discord, interaction.token), 'PATCH', JSON.stringify({ content: 'x' }), {
      'content-type': 'text/plain',
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 50035, message: 'Invalid Form Body', errors: { _errors: [{ code: 'CONTENT_TYPE_INVALID' }] } });
  });

  it('a body that is not JSON: 400 with 50109', async () => {
    const { interaction } = await login();
    const reply = await discordCall(webhookUrl(setup.discord, interaction.token), 'PATCH', '{"content":');
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe(50109);
  });

  it('an unknown route is 404 and a wrong method 405, with Discord\'s bodies', async () => {
    expect((await discordCall(`${setup.discord.apiUrl}/channels/1/messages`, 'GET')).json).toEqual({ message: '404: Not Found', code: 0 });
    const wrong = await discordCall(webhookUrl(setup.discord, 'abc', ''), 'PUT', {});
    expect(wrong.status).toBe(405);
    expect(wrong.json).toEqual({ message: '405: Method Not Allowed', code: 0 });
  });
});
