/**
 * The app secret and the app access token `APP_ID|APP_SECRET` go to Facebook's permissions endpoint and nowhere
 * else: not into a Discord message, a log line or an error text, whatever Facebook answers (even an answer that
 * echoes the token back).
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { alice, commandInteraction, postInteraction } from '../support/worker/discord.ts';
import { facebookPayload, graphJson, postSignedRequest, signedRequest, type FacebookCallback } from '../support/worker/facebook.ts';
import { runAlarm, useLoginTestbed } from '../support/worker/login.ts';
import { hang, ROUTES, type Responder } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const REVOKE = 'DELETE graph:/1080000000000001/permissions';

const SECRET = env.FACEBOOK_APP_SECRET!;
const APP_TOKEN = `${env.FACEBOOK_APP_ID}|${SECRET}`;
const forms = [SECRET, APP_TOKEN, encodeURIComponent(APP_TOKEN)];

let logged: string[] = [];

function expectNoSecretIn(text: string) {
  for (const form of forms) expect(text).not.toContain(form);
}

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, { discordUserId: alice.id, provider: 'facebook', subject: '1080000000000001', name: 'Alice', scopes: [], now: 1 });
  logged = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : String(arg))).join(' '));
    });
  }
});

afterEach(() => vi.restoreAllMocks());

const graphAnswers: Array<[string, Responder]> = [
  ['success', () => graphJson(200, { success: true })],
  [
    'a 400 whose message echoes the token',
    (request) =>
      graphJson(400, {
        error: { message: `Invalid OAuth access token: ${request.headers.get('authorization')}`, type: 'OAuthException', code: 190 },
      }),
  ],
  ['a 500 whose body is the request', (request) => new Response(`upstream failed for ${request.url} ${request.headers.get('authorization')}`, { status: 500 })],
  [
    'a network error whose text names the URL and the header',
    (request) => {
      throw new TypeError(`fetch failed: ${request.url} ${request.headers.get('authorization')}`);
    },
  ],
  ['a timeout', hang],
];

describe('secrets stay secret', () => {
  it.each(graphAnswers)('/logout with %s: neither the Discord message nor any log line holds the secret', async (what, answer) => {
    bed.net().always(REVOKE, answer);
    const response = await postInteraction(commandInteraction('logout'));
    expect(response.status).toBe(200);
    expectNoSecretIn(await response.text());
    await runAlarm(alice);
    // The token did go to Facebook: the test is about where else it went.
    expect(bed.net().to(REVOKE)[0]!.headers.get('authorization')).toBe(`Bearer ${APP_TOKEN}`);
    const edits = bed.net().to(ROUTES.editOriginal);
    expect(edits).toHaveLength(1);
    expectNoSecretIn(edits[0]!.body);
    // Every failure is logged, so the check below has something to look at.
    if (what !== 'success') expect(logged).not.toHaveLength(0);
    expectNoSecretIn(logged.join('\n'));
  }, 15_000);

  it.each<FacebookCallback>(['deauthorize', 'data-deletion'])(
    'POST /facebook/%s: error answers and logs never hold the secret, whatever was wrong',
    async (callback) => {
      const bad = [
        await signedRequest(facebookPayload('1080000000000001'), { secret: `${SECRET}x` }),
        await signedRequest({ ...facebookPayload('1080000000000001'), algorithm: 'HMAC-SHA1' }),
        await signedRequest({ algorithm: 'HMAC-SHA256' }),
        'a.b.c',
        '',
      ];
      for (const value of bad) {
        const response = await postSignedRequest(callback, value);
        expect(response.status).toBe(400);
        expectNoSecretIn(await response.text());
      }
      const good = await postSignedRequest(callback, await signedRequest(facebookPayload('1080000000000001')));
      expect(good.status).toBe(200);
      expectNoSecretIn(await good.text());
      expectNoSecretIn(logged.join('\n'));
    },
  );
});
