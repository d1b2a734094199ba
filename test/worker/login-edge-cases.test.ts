/**
 * Edge cases of the login engine: an event that arrives while /logout awaits D1, Linked Roles for the user whose
 * link another login took over, the browser path against the device code's expiry, a provider's sub-second
 * interval, and Discord's 429 wait against a newer push request. Alarms run on the fake clock; one outside call is
 * held open where the case is about what happens meanwhile, as in login-races.test.ts.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../src/env.ts';
import { linkAccount } from '../../src/links/store.ts';
import { loginWithBrowserButton, postStart } from '../support/worker/browser.ts';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { LINKED_ROLES_ROUTES as R, connectionAnswer, storeGrant } from '../support/worker/linked-roles.ts';
import { advanceClock, loginShowingCode, runAlarm, scheduledAlarm, sendLogin, sessionOf, storedState, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, facebook, held, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const ADA_ID = '10229876543210987';
const DAY = 86_400_000;
const EXCHANGE = 'POST graph:/oauth/access_token';

beforeEach(async () => {
  await clearDatabase();
  for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
});

/**
 * Holds the next `findLinks` query (SELECT … FROM links WHERE discord_user_id = ?1 ORDER BY …) that the user's
 * LoginSession makes, by wrapping the object's D1 binding. D1 is not the object's own storage: while the query is
 * in flight the input gate is open, so an RPC can come in, which is what the test does meanwhile.
 */
async function holdNextFindLinks(user: TestUser) {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let armed = true;
  await runInDurableObject(sessionOf(user), (instance) => {
    const object = instance as unknown as { env: Env };
    const real = object.env.DB;
    const db = new Proxy(real, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql);
            if (!armed || !/^SELECT .* FROM links WHERE discord_user_id = \?1 ORDER BY/s.test(sql)) return statement;
            armed = false;
            return {
              bind: (...values: unknown[]) => {
                const bound = statement.bind(...values);
                return {
                  all: async () => {
                    arrive();
                    await released;
                    return bound.all();
                  },
                };
              },
            };
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    object.env = { ...object.env, DB: db };
  });
  return { arrived, release };
}

describe('lost updates across an await', () => {
  it('a /login that arrives while /logout looks up the remaining links is not lost', async () => {
    const net = bed.net();
    const user = freshUser();
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    net.always(`DELETE graph:/${ADA_ID}/permissions`, () => json(200, { success: true }));
    net.always(R.putConnection, () => connectionAnswer());

    await postInteraction(commandInteraction('logout', user));
    const lookup = await holdNextFindLinks(user);
    const alarm = runAlarm(user);
    await lookup.arrived;
    // The link is deleted; while the object asks D1 whether any link is left, the user runs /login.
    const { interaction: login, response } = await sendLogin(user);
    expect((await response.json<{ type: number }>()).type).toBe(5);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    lookup.release();
    await alarm;

    // The /login was accepted ("thinking…"): its device code must be asked for and its code shown.
    await runAlarm(user);
    expect((await storedState(user))?.current?.interactionToken).toBe(login.token);
    expect(titlesFor(net, login.token)).toEqual(['Log in with Facebook']);
  });
});

describe('Linked Roles after an account moves to another Discord user', () => {
  it("the Discord user whose link was taken gets their Linked Roles pushed (Facebook no longer linked)", async () => {
    const net = bed.net();
    const alice = freshUser('alice');
    const aliceTokens = await storeGrant(alice.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: alice.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    net.always(R.putConnection, () => connectionAnswer());

    // Bob logs in with the same Facebook account: the link moves to him (the success message says so).
    const { user: bob } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(bob);
    expect(await linkOf(bob.id)).not.toBeNull();
    expect(await linkOf(alice.id)).toBeNull();

    // Alice no longer has a Facebook link: her role connection must say so, without her doing anything.
    await runAlarm(alice);
    const alicePuts = net.to(R.putConnection).filter((r) => r.headers.get('authorization') === `Bearer ${aliceTokens.access}`);
    expect(alicePuts).toHaveLength(1);
    expect((alicePuts[0]!.json as { metadata: Record<string, string> }).metadata.facebook).toBe('0');
  });
});

describe('the browser path against the device code expiry', () => {
  it('a browser callback accepted before the device code expires still links when the expiry alarm fires during the exchange', async () => {
    const net = bed.net();
    const { user, token, browserUrl } = await loginWithBrowserButton(net);
    const started = await postStart(browserUrl);
    expect(started.status).toBe(302);
    const location = new URL(started.headers.get('location')!);
    const cookie = started.headers.get('set-cookie')!.split(';')[0]!;
    const exchange = held();
    net.script(EXCHANGE, exchange.responder);
    net.script(ROUTES.me, facebook.profile);
    // The user approves in the browser a few seconds before the device code's 420 s run out.
    advanceClock(415_000);
    const answered = exports.default.fetch(
      `https://bot.example/auth/facebook/callback?${new URLSearchParams({ code: 'AQDcode', state: location.searchParams.get('state')! })}`,
      { headers: { cookie }, redirect: 'manual' },
    );
    await exchange.arrived;
    // The exchange takes a moment; meanwhile the alarm due at the device code's expiry runs.
    advanceClock(5_000);
    await runAlarm(user);
    exchange.release(() => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer' }));
    const page = await answered;
    expect(await linkOf(user.id)).toMatchObject({ subject: ADA_ID });
    expect(page.status).toBe(200);
    await runAlarm(user);
    expect(titlesFor(net, token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
  });
});

describe("a provider's odd answer", () => {
  it('a sub-second interval (interval: 0.001) does not make the engine poll back to back', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net, () => facebook.deviceCode({ interval: 0.001 }));
    net.always(ROUTES.loginStatus, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    // The next poll is scheduled 1 ms after the answer: a provider bug turns into ~one poll per alarm, back to
    // back, for the code's whole life. A floor (RFC 8628's interval is in whole seconds) keeps it at least 1 s.
    expect((await scheduledAlarm(user))! - Date.now()).toBeGreaterThanOrEqual(1_000);
  });
});

describe('Discord asked the Linked Roles push to wait', () => {
  it('a new push request made during a 429 wait still waits for retry_after', async () => {
    const net = bed.net();
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    net.script(R.putConnection, () => json(429, { message: 'You are being rate limited.', retry_after: 30, global: false }));
    net.always(R.putConnection, () => connectionAnswer());
    // The deauthorize callback's path: the object is told the account is gone and owes a push.
    await sessionOf(user).forgetAccount('facebook', user.id);
    await runAlarm(user);
    expect(net.to(R.putConnection)).toHaveLength(1);
    // Another change of the links 1 s later (here: the same callback again) must not push before Discord's 30 s.
    advanceClock(1_000);
    await sessionOf(user).forgetAccount('facebook', user.id);
    await runAlarm(user);
    expect(net.to(R.putConnection)).toHaveLength(1);
  });
  it('a push requested while the attempt that gets the 429 is in flight waits for retry_after too', async () => {
    const net = bed.net();
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    const put = held();
    net.script(R.putConnection, put.responder);
    net.always(R.putConnection, () => connectionAnswer());
    await sessionOf(user).forgetAccount('facebook', user.id);
    const alarm = runAlarm(user);
    await put.arrived;
    // Another change of the links while Discord is being asked.
    await sessionOf(user).forgetAccount('facebook', user.id);
    put.release(() => json(429, { message: 'You are being rate limited.', retry_after: 30, global: false }));
    await alarm;
    expect(net.to(R.putConnection)).toHaveLength(1);
    advanceClock(1_000);
    await runAlarm(user);
    expect(net.to(R.putConnection)).toHaveLength(1);
    // After Discord's 30 s, the newer request is pushed.
    advanceClock(30_000);
    await runAlarm(user);
    expect(net.to(R.putConnection)).toHaveLength(2);
  });
});
