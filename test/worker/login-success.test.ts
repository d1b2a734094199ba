import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { MAX_PROFILE_TRIES } from '../../src/login/session.ts';
import { freshUser } from '../support/worker/discord.ts';
import { advanceClock, loginShowingCode, runAlarm, scheduledAlarm, sendLogin, sessionOf, storedState, T0, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { ACCESS_TOKEN, DEVICE_CODE, discordBase, facebook, graphBase, hang, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();

describe('/login: start', () => {
  it('answers at once with a deferred ephemeral reply, makes no outbound call, and sets the alarm for now', async () => {
    const user = freshUser();
    const { response } = await sendLogin(user);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: 5, data: { flags: 64 } });
    expect(bed.net().requests).toHaveLength(0);
    expect(await scheduledAlarm(user)).toBe(T0);
    const state = await storedState(user);
    expect(state?.current).toMatchObject({ discordUserId: user.id, applicationId: env.DISCORD_APPLICATION_ID, locale: 'en', startedAt: T0 });
  });

  it('the first alarm asks Facebook for a code (exact form body) and edits the reply into the code message', async () => {
    const net = bed.net();
    const { user, interaction, message } = await loginShowingCode(net);
    const [start] = net.to(ROUTES.deviceLogin);
    expect(start!.url.href).toBe(`${graphBase()}/device/login`);
    expect(start!.method).toBe('POST');
    expect(start!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(start!.body).toBe(`access_token=${env.FACEBOOK_APP_ID}%7C${env.FACEBOOK_CLIENT_TOKEN}&scope=public_profile`);

    const [edit] = net.to(ROUTES.editOriginal);
    expect(edit!.url.href).toBe(`${discordBase()}/webhooks/${env.DISCORD_APPLICATION_ID}/${interaction.token}/messages/@original`);
    expect(edit!.headers.get('user-agent')).toMatch(/^DiscordBot \(/);
    const embed = message.embeds[0]!;
    expect(embed.title).toBe('Log in with Facebook');
    expect(embed.color).toBe(0x1877f2);
    expect(embed.description).toBe('On your phone or computer, go to **facebook.com/device** and enter this code:\n```\nCMWAW3TM\n```');
    expect(embed.fields).toEqual([{ name: 'Code expires', value: `<t:${(T0 + 420_000) / 1000}:R>`, inline: true }]);
    const [link, browser, cancel] = message.components[0]!.components;
    expect(link).toEqual({ type: 2, style: 5, label: 'Open facebook.com/device', url: 'https://www.facebook.com/device?user_code=CMWAW3TM' });
    expect(browser).toMatchObject({ type: 2, style: 5, label: 'Sign in with Facebook in the browser' });
    expect(browser!.url).toMatch(/^https:\/\/bot\.example\/auth\/facebook\/start\?t=[0-9a-f]{64}\.[A-Za-z0-9_-]{22}$/);
    expect(cancel).toMatchObject({ type: 2, style: 2, label: 'Cancel' });
    expect(cancel!.custom_id).toMatch(new RegExp(`^login-cancel:${user.id}:[A-Za-z0-9_-]+$`));
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
    expect(await scheduledAlarm(user)).toBe(T0 + 5_000);
  });
});

describe('/login: success', () => {
  it('pending -> pending -> success: polls at the interval with the exact form, reads the profile, says "Logged in as"', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.pending, facebook.pending, facebook.token);
    net.script(ROUTES.me, facebook.profile);

    for (let poll = 1; poll <= 3; poll++) {
      advanceClock(5_000);
      expect(await runAlarm(user)).toBe(true);
      expect(net.to(ROUTES.loginStatus)).toHaveLength(poll);
    }
    for (const poll of net.to(ROUTES.loginStatus)) {
      expect(poll.url.href).toBe(`${graphBase()}/device/login_status`);
      expect(poll.body).toBe(`access_token=${env.FACEBOOK_APP_ID}%7C${env.FACEBOOK_CLIENT_TOKEN}&code=${DEVICE_CODE}`);
    }
    const [me] = net.to(ROUTES.me);
    expect(me!.url.origin + me!.url.pathname).toBe(`${graphBase()}/me`);
    expect(me!.params.get('fields')).toBe('id,name,picture,permissions');
    // The user's token travels in the Authorization header, never in the URL.
    expect(me!.headers.get('authorization')).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(me!.url.href).not.toContain(ACCESS_TOKEN);
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(env.FACEBOOK_APP_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const proof = [...new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(ACCESS_TOKEN)))]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    expect(me!.params.get('appsecret_proof')).toBe(proof);

    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
    const final = net.to(ROUTES.editOriginal).at(-1)!.json as { embeds: Array<{ thumbnail?: { url: string }; description: string }>; components: unknown[] };
    expect(final.embeds[0]!.thumbnail).toEqual({ url: 'https://platform-lookaside.fbsbx.com/ada.jpg' });
    expect(final.components).toEqual([]);

    expect(await storedState(user)).toBeUndefined();
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it('an alarm run again after success does nothing: no poll, no second message', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(user);
    const before = net.requests.length;
    expect(await runAlarm(user)).toBe(false);
    await runInDurableObject(sessionOf(user), (instance) => instance.alarm());
    advanceClock(60_000);
    await runInDurableObject(sessionOf(user), (instance) => instance.alarm());
    expect(net.requests.length).toBe(before);
  });

  it('eviction in the middle of polling: the restarted object resumes from storage with the same code, a full interval after the restart', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.pending, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(user);
    await evictDurableObject(sessionOf(user));
    advanceClock(5_000);
    // The restarted object cannot know whether a poll was in flight when it went down: it waits an interval.
    expect(await runAlarm(user)).toBe(true);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    expect(await scheduledAlarm(user)).toBe(Date.now() + 5_000);
    advanceClock(5_000);
    expect(await runAlarm(user)).toBe(true);
    expect(net.to(ROUTES.loginStatus).map((r) => r.params.get('code'))).toEqual([DEVICE_CODE, DEVICE_CODE]);
    // The restarted object shows the same code again (whether it was shown is not worth a write of its own).
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Log in with Facebook', 'Logged in as Ada Lovelace']);
  });

  it('the access token is never stored: an eviction between approval and the profile call ends with a clear failure', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    // /me fails once (worth a retry), so the approved login waits with its token in memory only.
    net.script(ROUTES.me, () => json(503, { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } }));
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    advanceClock(5_000);
    await runAlarm(user);
    const stored = await storedState(user);
    expect(stored?.current?.authorizedAt).toBe(T0 + 5_000);
    expect(JSON.stringify(stored)).not.toContain(ACCESS_TOKEN);
    // The object restarts: the token is gone with its memory, so the login ends without another /me.
    await evictDurableObject(sessionOf(user));
    advanceClock(1_000);
    await runAlarm(user);
    expect(net.to(ROUTES.me)).toHaveLength(1);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login failed']);
    expect(await storedState(user)).toBeUndefined();
    error.mockRestore();
  });

  it('a profile call that keeps failing after approval is tried MAX_PROFILE_TRIES times, backing off, then ends with a clear failure', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.always(ROUTES.me, () => new Response('<html>oops</html>', { status: 502 }));
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.me)).toHaveLength(1);
    expect(await scheduledAlarm(user)).toBe(T0 + 6_000);
    advanceClock(1_000);
    await runAlarm(user);
    expect(net.to(ROUTES.me)).toHaveLength(2);
    expect(await scheduledAlarm(user)).toBe(T0 + 8_000);
    advanceClock(2_000);
    await runAlarm(user);
    expect(net.to(ROUTES.me)).toHaveLength(MAX_PROFILE_TRIES);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login failed']);
    expect(await scheduledAlarm(user)).toBeNull();
    expect(await storedState(user)).toBeUndefined();
    error.mockRestore();
  });

  it('a profile call answered 503 once is retried with the same token, and the login succeeds', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, () => json(503, { error: { message: 'Service temporarily unavailable', code: 2, is_transient: true } }), facebook.profile);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    advanceClock(5_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook']);
    advanceClock(1_000);
    await runAlarm(user);
    const calls = net.to(ROUTES.me);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers.get('authorization')).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
    expect(JSON.stringify(error.mock.calls)).not.toContain(ACCESS_TOKEN);
    error.mockRestore();
  });

  it('a profile call that times out once is retried with the same token, and the login succeeds', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, hang, facebook.profile);
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    advanceClock(5_000);
    await runAlarm(user);
    // The first /me was cut off by the Graph client's timeout (real time), not answered.
    expect(error.mock.calls.flat().join(' ')).toMatch(/who logged in could not be read \(facebook\): ProviderError: GraphTimeoutError/);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook']);
    advanceClock(1_000);
    await runAlarm(user);
    const calls = net.to(ROUTES.me);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers.get('authorization')).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
    error.mockRestore();
  }, 15_000);
});
