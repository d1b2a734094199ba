import { describe, expect, it, vi } from 'vitest';
import { freshUser, type TestUser } from '../support/worker/discord.ts';
import { advanceClock, runAlarm, scheduledAlarm, sendLogin, storedState, T0, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();

async function started() {
  const user = freshUser();
  const { interaction } = await sendLogin(user);
  bed.net().script(ROUTES.deviceLogin, () => facebook.deviceCode());
  return { user, interaction };
}

describe('/login: Discord answers the edits with errors', () => {
  it('a short 429 is waited out by the REST client and the edit goes through', async () => {
    const net = bed.net();
    const { user, interaction } = await started();
    net.script(ROUTES.editOriginal, () => json(429, { message: 'You are being rate limited.', retry_after: 0.05, global: false }, { 'retry-after': '1' }));
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Log in with Facebook']);
    expect(net.to(ROUTES.editOriginal).map((r) => r.json)).toEqual([net.to(ROUTES.editOriginal)[1]!.json, net.to(ROUTES.editOriginal)[1]!.json]);
    await expectCodeShownOnce(user);
  });

  it('a long 429 re-arms the alarm for after the Retry-After instead of sleeping, then the edit goes through', async () => {
    const net = bed.net();
    const { user, interaction } = await started();
    net.script(ROUTES.editOriginal, () => json(429, { message: 'You are being rate limited.', retry_after: 3.5, global: false }));
    net.always(ROUTES.loginStatus, facebook.pending);
    await runAlarm(user);
    expect((await storedState(user))!.current!.codeShown).toBe(false);
    expect(await scheduledAlarm(user)).toBe(T0 + 3_500);
    advanceClock(3_500);
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Log in with Facebook']);
    // The code's first poll is due 5 s after it was issued, so none happened while the edit waited.
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
    await expectCodeShownOnce(user);
  });

  it('404 Unknown Webhook right after the defer is retried briefly, then the edit goes through', async () => {
    const net = bed.net();
    const { user } = await started();
    net.script(ROUTES.editOriginal, () => json(404, { message: 'Unknown Webhook', code: 10015 }));
    await runAlarm(user);
    expect(await scheduledAlarm(user)).toBe(T0 + 1_500);
    advanceClock(1_500);
    await runAlarm(user);
    await expectCodeShownOnce(user);
  });

  it('404 Unknown Webhook later means the token is gone: stop and clean up', async () => {
    const net = bed.net();
    const { user } = await started();
    await runAlarm(user);
    net.script(ROUTES.loginStatus, facebook.declined);
    net.script(ROUTES.editOriginal, () => json(404, { message: 'Unknown Webhook', code: 10015 }));
    advanceClock(15_000);
    await runAlarm(user);
    expect(await storedState(user)).toBeUndefined();
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it('Discord 5xx on an edit is retried by the REST client and then by the alarm, boundedly', async () => {
    const net = bed.net();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { user } = await started();
    net.always(ROUTES.editOriginal, () => json(502, { message: 'Bad Gateway' }));
    net.always(ROUTES.loginStatus, facebook.pending);
    let runs = 0;
    while ((await scheduledAlarm(user)) !== null && runs++ < 50) {
      vi.setSystemTime((await scheduledAlarm(user))!);
      await runAlarm(user);
    }
    // 4 attempts by the alarm, each with the REST client's own 2 retries.
    expect(net.to(ROUTES.editOriginal)).toHaveLength(12);
    expect(await storedState(user)).toBeUndefined();
    error.mockRestore();
  }, 30_000);
});

/** The code message counts as shown: the next alarm polls and does not send it again. */
async function expectCodeShownOnce(user: TestUser) {
  const net = bed.net();
  const edits = net.to(ROUTES.editOriginal).length;
  net.script(ROUTES.loginStatus, facebook.pending);
  vi.setSystemTime((await scheduledAlarm(user))!);
  await runAlarm(user);
  expect(net.to(ROUTES.loginStatus).length).toBeGreaterThan(0);
  expect(net.to(ROUTES.editOriginal)).toHaveLength(edits);
}
