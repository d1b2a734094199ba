import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshUser } from '../support/worker/discord.ts';
import { advanceClock, clickButton, loginShowingCode, runAlarm, sendLogin, storedState, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, DEVICE_CODE, facebook, hang, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
let logged: string[] = [];

beforeEach(() => {
  logged = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message} ${a.stack}` : String(a))).join(' '));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('secrets never leave through Discord, logs or errors', () => {
  it('across success, failures, cancel and supersede, no Discord body or log line holds a token or the device code', async () => {
    const net = bed.net();
    const interactionTokens: string[] = [];

    // 1. A login that hits every kind of failure on its way to success.
    const a = await loginShowingCode(net);
    interactionTokens.push(a.interaction.token);
    net.script(
      ROUTES.loginStatus,
      () => json(500, { error: { message: `bad code ${DEVICE_CODE}`, code: 1 } }),
      () => new Response(`not json ${DEVICE_CODE}`, { status: 502 }),
      hang,
      facebook.slowDown,
      facebook.token,
    );
    net.script(ROUTES.me, () => json(400, { error: { message: `Invalid token ${ACCESS_TOKEN}`, type: 'OAuthException', code: 190 } }));
    net.script(ROUTES.editOriginal, () => json(400, { message: `Invalid Form Body ${a.interaction.token}`, code: 50035 }));
    let guard = 0;
    while ((await storedState(a.user)) !== undefined && guard++ < 30) {
      advanceClock(60_000);
      await runAlarm(a.user);
    }

    // 2. A successful login, a superseded one, a cancelled one.
    const b = await loginShowingCode(net);
    interactionTokens.push(b.interaction.token);
    const second = await sendLogin(b.user);
    interactionTokens.push(second.interaction.token);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    await runAlarm(b.user);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(b.user);

    const c = await loginShowingCode(net);
    interactionTokens.push(c.interaction.token);
    await clickButton(c.cancelId, c.user);

    // 3. A device/login refused for a bad client token.
    const d = freshUser();
    const refused = await sendLogin(d);
    interactionTokens.push(refused.interaction.token);
    net.script(ROUTES.deviceLogin, () => json(400, { error: { message: `(#190) token ${env.FACEBOOK_APP_ID}|${env.FACEBOOK_CLIENT_TOKEN}`, code: 190 } }));
    await runAlarm(d);

    const secrets = [ACCESS_TOKEN, DEVICE_CODE, env.FACEBOOK_CLIENT_TOKEN!, env.FACEBOOK_APP_SECRET!, ...interactionTokens];
    const discordBodies = net.requests.filter((r) => r.url.href.startsWith(env.DISCORD_API_URL!)).map((r) => r.body);
    expect(discordBodies.length).toBeGreaterThan(5);
    expect(logged.length).toBeGreaterThan(3);
    for (const secret of secrets) {
      for (const body of discordBodies) expect(body).not.toContain(secret);
      for (const line of logged) expect(line).not.toContain(secret);
    }
    // And the finished sessions keep nothing at all.
    for (const user of [a.user, b.user, c.user, d]) expect(await storedState(user)).toBeUndefined();
  }, 30_000);
});
