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

describe('/login rate limit', () => {
  it('a fourth /login within a minute gets an ephemeral "please wait N s" and causes no Facebook call', async () => {
    const net = bed.net();
    const user = freshUser();
    for (let i = 0; i < 3; i++) {
      const { response } = await sendLogin(user);
      expect(await response.json()).toEqual({ type: 5, data: { flags: 64 } });
      advanceClock(10_000);
    }
    const before = net.requests.length;
    const { response } = await sendLogin(user);
    expect(await response.json()).toEqual({
      type: 4,
      data: { content: 'You started several logins in the last minute. Please wait 30 seconds, then use `/login` again.', flags: 64 },
    });
    await runAlarm(user);
    // Only the third login's device code is asked for: the refused start changed nothing.
    expect(net.to(ROUTES.deviceLogin)).toHaveLength(net.requests.length > before ? 1 : 0);
    advanceClock(30_000);
    const { response: later } = await sendLogin(user);
    expect(await later.json()).toEqual({ type: 5, data: { flags: 64 } });
  });

  it('the limit holds across logins that ended (storage erased) while the object stays alive', async () => {
    const user = freshUser();
    for (let i = 0; i < 3; i++) {
      const { cancelId } = await (async () => {
        const { interaction } = await sendLogin(user);
        bed.net().script(ROUTES.deviceLogin, () => facebook.deviceCode());
        await runAlarm(user);
        const edit = bed.net().to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`)).at(-1)!;
        const message = edit.json as { components: Array<{ components: Array<{ custom_id?: string }> }> };
        return { cancelId: message.components[0]!.components.find((c) => c.custom_id)!.custom_id! };
      })();
      expect((await clickButton(cancelId, user)).type).toBe(7);
      expect(await storedState(user)).toBeUndefined();
    }
    const { response } = await sendLogin(user);
    expect((await response.json<{ type: number }>()).type).toBe(4);
  });
});

