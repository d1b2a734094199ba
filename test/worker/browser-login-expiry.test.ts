/**
 * The browser login's ticket, state and cookie expire with the login (issue 13) by the clock, not only once the
 * object's alarm has dropped the login: an alarm can be late (a platform delay, a crash loop re-arming, an
 * eviction). These tests move the clock past the login's 15 minutes without running the alarm.
 */
import { exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { advanceClock, runAlarm, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, facebook, json, ROUTES, type FakeNetwork } from '../support/worker/network.ts';
import { serveMetadata } from '../support/worker/providers.ts';

const bed = useLoginTestbed();
const EXCHANGE = 'POST graph:/oauth/access_token';
/** Past the login's 15 minutes (TOKEN_LIFETIME_MS), with room to spare. */
const PAST_SESSION_LIFE_MS = 20 * 60_000;

beforeEach(async () => {
  await clearDatabase();
  serveMetadata(bed.net());
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation(() => {});
});

async function login(net: FakeNetwork, user: TestUser = freshUser('facebook')) {
  const interaction = commandInteraction('login', user, { options: { provider: 'facebook' } });
  await postInteraction(interaction);
  net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
  await runAlarm(user);
  const edit = net.to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`)).at(-1)!;
  const buttons = (edit.json as { components: Array<{ components: Array<{ label: string; url?: string }> }> }).components[0]!.components;
  return { user, browserUrl: buttons.find((b) => b.label.endsWith('in the browser'))!.url! };
}

const SAME_ORIGIN = { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://bot.example', 'sec-fetch-site': 'same-origin' };
const get = (url: string, headers: Record<string, string> = {}) => exports.default.fetch(url, { headers, redirect: 'manual' });
const postStart = (browserUrl: string) =>
  exports.default.fetch(browserUrl.split('?')[0]!, {
    method: 'POST',
    body: new URLSearchParams({ t: new URL(browserUrl).searchParams.get('t')! }),
    headers: SAME_ORIGIN,
    redirect: 'manual',
  });

describe('the browser login past its session life, before the alarm has run', () => {
  it('the confirmation page refuses a ticket whose login is past its 15 minutes', async () => {
    const { browserUrl } = await login(bed.net());
    advanceClock(PAST_SESSION_LIFE_MS);
    // Today: 200 and the form (the ticket is still good); should be 409 "this login already finished".
    expect((await get(browserUrl)).status).toBe(409);
  });

  it('the start (POST) refuses it too and sets no cookie', async () => {
    const { browserUrl } = await login(bed.net());
    advanceClock(PAST_SESSION_LIFE_MS);
    const response = await postStart(browserUrl);
    // Today: 302 to Facebook with a fresh state and a cookie.
    expect(response.status).toBe(409);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('a callback arriving after the session life links nothing', async () => {
    const net = bed.net();
    const { user, browserUrl } = await login(net);
    const started = await postStart(browserUrl);
    expect(started.status).toBe(302);
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const cookie = started.headers.get('set-cookie')!.split(';')[0]!;
    advanceClock(PAST_SESSION_LIFE_MS);
    net.script(EXCHANGE, () => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer' }));
    net.script(ROUTES.me, facebook.profile);
    const response = await get(`https://bot.example/auth/facebook/callback?${new URLSearchParams({ code: 'c', state })}`, { cookie });
    // Today: 200 "Signed in as ...", the code exchanged and the account linked, 20 minutes after the /login.
    expect(response.status).toBe(409);
    expect(net.to(EXCHANGE)).toHaveLength(0);
    expect(await linkOf(user.id)).toBeNull();
  });
});
