/**
 * The browser login's ticket, state and cookie expire with the login (issue 13) by the clock, not only once the
 * object's alarm has dropped the login: an alarm can be late (a platform delay, a crash loop re-arming, an
 * eviction). These tests move the clock past the login's 15 minutes without running the alarm.
 */
import { describe, expect, it } from 'vitest';
import { freshBrowserTestbed, get, loginWithBrowserButton, postStart } from '../support/worker/browser.ts';
import { linkOf } from '../support/worker/database.ts';
import { advanceClock, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, facebook, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const EXCHANGE = 'POST graph:/oauth/access_token';
/** Past the login's 15 minutes (TOKEN_LIFETIME_MS), with room to spare. */
const PAST_SESSION_LIFE_MS = 20 * 60_000;

freshBrowserTestbed(bed);

describe('the browser login past its session life, before the alarm has run', () => {
  it('the confirmation page refuses a ticket whose login is past its 15 minutes', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net());
    advanceClock(PAST_SESSION_LIFE_MS);
    expect((await get(browserUrl)).status).toBe(409);
  });

  it('the start (POST) refuses it too and sets no cookie', async () => {
    const { browserUrl } = await loginWithBrowserButton(bed.net());
    advanceClock(PAST_SESSION_LIFE_MS);
    const response = await postStart(browserUrl);
    expect(response.status).toBe(409);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('a callback arriving after the session life links nothing', async () => {
    const net = bed.net();
    const { user, browserUrl } = await loginWithBrowserButton(net);
    const started = await postStart(browserUrl);
    expect(started.status).toBe(302);
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const cookie = started.headers.get('set-cookie')!.split(';')[0]!;
    advanceClock(PAST_SESSION_LIFE_MS);
    net.script(EXCHANGE, () => json(200, { access_token: ACCESS_TOKEN, token_type: 'bearer' }));
    net.script(ROUTES.me, facebook.profile);
    const response = await get(`https://bot.example/auth/facebook/callback?${new URLSearchParams({ code: 'c', state })}`, { cookie });
    expect(response.status).toBe(409);
    expect(net.to(EXCHANGE)).toHaveLength(0);
    expect(await linkOf(user.id)).toBeNull();
  });
});
