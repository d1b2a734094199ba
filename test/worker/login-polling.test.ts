import { describe, expect, it, vi } from 'vitest';
import { freshUser } from '../support/worker/discord.ts';
import { advanceClock, loginShowingCode, runAlarm, scheduledAlarm, sendLogin, storedState, T0, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, hang, json, ROUTES } from '../support/worker/network.ts';
import { POLL_TIMEOUT_MS } from '../../src/providers/oauth.ts';

const bed = useLoginTestbed();

describe('/login: polling Facebook', () => {
  it('never polls faster than the interval: an early alarm re-arms for the right moment instead of polling', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.pending);
    advanceClock(2_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
    expect(await scheduledAlarm(user)).toBe(T0 + 5_000);
    advanceClock(3_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    expect(await scheduledAlarm(user)).toBe(T0 + 10_000);
  });

  it('slow down: adds 5 s to the interval for this and every later poll', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.slowDown, facebook.pending, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user); // poll 1 at T0+5s: slow down
    expect(await scheduledAlarm(user)).toBe(T0 + 15_000);
    advanceClock(5_000);
    await runAlarm(user); // T0+10s: too early now
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    advanceClock(5_000);
    await runAlarm(user); // poll 2 at T0+15s
    expect(await scheduledAlarm(user)).toBe(T0 + 25_000);
    advanceClock(10_000);
    await runAlarm(user); // poll 3 at T0+25s
    expect(net.to(ROUTES.loginStatus)).toHaveLength(3);
    expect((await storedState(user))!.current!.device!.intervalMs).toBe(10_000);
  });

  it('declined: the message says so and the session ends with nothing stored and no alarm', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.declined);
    advanceClock(5_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login declined']);
    const final = net.to(ROUTES.editOriginal).at(-1)!.json as { components: unknown[]; embeds: Array<{ description: string }> };
    expect(final.components).toEqual([]);
    expect(await storedState(user)).toBeUndefined();
    expect(await scheduledAlarm(user)).toBeNull();
  });

  // The body of a declined login was never captured (PLATFORM.md §1.2): only its subcode is known. Whatever code
  // and status Facebook really sends with it, the login must end as declined.
  it.each([
    ['HTTP 400, code 31', 400, { code: 31 }],
    ['HTTP 400, code 190', 400, { code: 190 }],
    ['HTTP 200, no code', 200, {}],
    ['HTTP 403, code 10 and a user title', 403, { code: 10, error_user_title: 'Login declined' }],
  ])('declined with %s: still "Login declined"', async (_what, status, fields) => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, () => json(status, { error: { message: 'declined', type: 'OAuthException', error_subcode: 1349173, ...fields } }));
    advanceClock(5_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login declined']);
  });

  // What Facebook answers for a code it already redeemed is undocumented (assumed: error 100). If it is the expired
  // subcode instead, the login ends just as promptly, as expired.
  it.each([
    ['error 100 (assumed)', () => json(400, { error: { message: '(#100) Invalid device login code', type: 'OAuthException', code: 100 } }), 'Login failed'],
    ['the expired subcode', () => facebook.expired(), 'Code expired'],
  ])('a redeemed code answered with %s ends the login at once, without another poll', async (_what, answer, title) => {
    const net = bed.net();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, answer);
    advanceClock(5_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', title]);
    advanceClock(60_000);
    expect(await runAlarm(user)).toBe(false);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    error.mockRestore();
  });

  it('expired (1349152): the message says the code expired and that /login starts a new one', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.expired);
    advanceClock(5_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Code expired']);
    const final = net.to(ROUTES.editOriginal).at(-1)!.json as { embeds: Array<{ description: string }> };
    expect(final.embeds[0]!.description).toContain('/login');
    expect(await storedState(user)).toBeUndefined();
  });

  it('the code\'s lifetime passing ends the login as expired without another poll', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net, () => facebook.deviceCode({ expires_in: 12 }));
    net.always(ROUTES.loginStatus, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user);
    advanceClock(5_000);
    await runAlarm(user);
    expect(await scheduledAlarm(user)).toBe(T0 + 12_000);
    advanceClock(2_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(2);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Code expired']);
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it.each([
    ['a 500', () => json(500, { error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1, is_transient: true } })],
    ['a body that is not JSON', () => new Response('<!doctype html><title>502</title>', { status: 502 })],
    ['an unknown Graph error', () => json(400, { error: { message: 'Something new', type: 'OAuthException', code: 2 } })],
  ])('%s is transient: the login goes on, the next poll backs off, then succeeds', async (_, failure) => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, failure, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(user);
    expect(await scheduledAlarm(user)).toBe(T0 + 15_000);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook']);
    advanceClock(10_000);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
  });

  it('a login_status request that hangs is cut off after POLL_TIMEOUT_MS and treated as transient', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, hang);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    advanceClock(5_000);
    const started = performance.now();
    await runAlarm(user); // real time: the runtime's timers cannot be faked across the Durable Object boundary
    expect(performance.now() - started).toBeGreaterThanOrEqual(POLL_TIMEOUT_MS - 50);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    expect(warn.mock.calls.flat().join(' ')).toContain(`timed out after ${POLL_TIMEOUT_MS} ms`);
    expect(await scheduledAlarm(user)).toBe(T0 + 15_000);
    expect((await storedState(user))!.current!.failures).toBe(1);
    warn.mockRestore();
  }, POLL_TIMEOUT_MS + 10_000);

  it('a code Facebook no longer knows (error 100, e.g. already redeemed) ends the login at once instead of polling on', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, () =>
      json(400, { error: { message: '(#100) Invalid device login code', type: 'OAuthException', code: 100, fbtrace_id: 'A1' } }),
    );
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login failed']);
    const final = net.to(ROUTES.editOriginal).at(-1)!.json as { embeds: Array<{ description: string }> };
    expect(final.embeds[0]!.description).toContain('no longer accepts');
    expect(await storedState(user)).toBeUndefined();
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it('repeated failures end the login with a clear message inside the code\'s lifetime', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    net.always(ROUTES.loginStatus, () => json(503, { error: { message: 'Service unavailable', code: 2 } }));
    let runs = 0;
    while ((await scheduledAlarm(user)) !== null && runs++ < 20) {
      vi.setSystemTime((await scheduledAlarm(user))!);
      await runAlarm(user);
    }
    expect(net.to(ROUTES.loginStatus)).toHaveLength(5);
    expect(Date.now()).toBeLessThan(T0 + 420_000);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Login failed']);
  });

  it('a device/login that Facebook rejects (bad client token) ends at once with a clear failure', async () => {
    const net = bed.net();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const user = freshUser();
    const { interaction } = await sendLogin(user);
    net.script(ROUTES.deviceLogin, () =>
      json(400, { error: { message: '(#190) This method must be called with a client access token', type: 'OAuthException', code: 190 } }),
    );
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Login failed']);
    expect(await storedState(user)).toBeUndefined();
    expect(error.mock.calls.flat().join(' ')).toContain('code 190');
    error.mockRestore();
  });
});
