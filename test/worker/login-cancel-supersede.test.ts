import { describe, expect, it } from 'vitest';
import { bob, freshUser } from '../support/worker/discord.ts';
import { advanceClock, clickButton, loginShowingCode, runAlarm, scheduledAlarm, sendLogin, storedState, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();

describe('/login: Cancel button', () => {
  it('the owner\'s click updates the message to "cancelled" (type 7), deletes the alarm, and no poll follows', async () => {
    const net = bed.net();
    const { user, cancelId } = await loginShowingCode(net);
    const answer = await clickButton(cancelId, user);
    expect(answer.type).toBe(7);
    expect(answer.data).toMatchObject({ embeds: [{ title: 'Login cancelled' }], components: [] });
    expect(await scheduledAlarm(user)).toBeNull();
    expect(await storedState(user)).toBeUndefined();
    advanceClock(60_000);
    expect(await runAlarm(user)).toBe(false);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
  });

  it('someone else\'s click gets an ephemeral refusal and the login goes on', async () => {
    const net = bed.net();
    const { user, cancelId } = await loginShowingCode(net);
    const answer = await clickButton(cancelId, bob);
    expect(answer).toEqual({ type: 4, data: { content: 'Only the person who started this login can cancel it.', flags: 64 } });
    net.script(ROUTES.loginStatus, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
  });

  it('a click on the button of a login that already ended says so', async () => {
    const net = bed.net();
    const { user, cancelId } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.declined);
    advanceClock(5_000);
    await runAlarm(user);
    const answer = await clickButton(cancelId, user);
    expect(answer).toEqual({ type: 4, data: { content: 'This login has already ended.', flags: 64 } });
  });

  it('a forged or malformed custom_id is refused without touching any session', async () => {
    const user = freshUser();
    expect(await clickButton('login-cancel:not-a-user:x', user)).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(await clickButton(`login-cancel:${user.id}:nosuchsession`, user)).toMatchObject({ type: 4, data: { content: 'This login has already ended.' } });
  });
});

describe('/login twice', () => {
  it('a second /login supersedes the first: the old message says it was replaced and only the new code is polled', async () => {
    const net = bed.net();
    const { user, interaction: first } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user);

    const { interaction: second } = await sendLogin(user);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode({ code: 'SECOND-DEVICE-CODE', user_code: 'ZXCV7890' }));
    await runAlarm(user);
    expect(titlesFor(net, first.token)).toEqual(['Log in with Facebook', 'Login replaced']);
    expect(titlesFor(net, second.token)).toEqual(['Log in with Facebook']);
    expect(JSON.stringify(await storedState(user))).not.toContain(first.token);

    net.always(ROUTES.loginStatus, facebook.pending);
    for (let i = 0; i < 3; i++) {
      advanceClock(5_000);
      await runAlarm(user);
    }
    const codes = net.to(ROUTES.loginStatus).map((r) => r.params.get('code'));
    expect(codes.slice(1)).toEqual(['SECOND-DEVICE-CODE', 'SECOND-DEVICE-CODE', 'SECOND-DEVICE-CODE']);
  });

  it('the first login\'s Cancel button no longer cancels the second', async () => {
    const net = bed.net();
    const { user, cancelId } = await loginShowingCode(net);
    await sendLogin(user);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode({ code: 'SECOND' }));
    await runAlarm(user);
    expect(await clickButton(cancelId, user)).toMatchObject({ type: 4, data: { content: 'This login has already ended.' } });
    expect((await storedState(user))!.current).toBeDefined();
  });

  it('different users have independent sessions', async () => {
    const net = bed.net();
    const a = await loginShowingCode(net);
    const b = await loginShowingCode(net);
    net.always(ROUTES.loginStatus, facebook.declined);
    advanceClock(5_000);
    await runAlarm(a.user);
    expect(titlesFor(net, a.interaction.token)).toEqual(['Log in with Facebook', 'Login declined']);
    expect(titlesFor(net, b.interaction.token)).toEqual(['Log in with Facebook']);
    expect((await storedState(b.user))!.current).toBeDefined();
  });
});
