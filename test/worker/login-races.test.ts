/**
 * Races between a login's outside calls and what a user (or Facebook) does meanwhile. Each test holds one outside
 * call open, acts, then lets the call finish, and checks that what the bot did and what it says agree.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clearDatabase, linkOf, linkOfAccount } from '../support/worker/database.ts';
import { facebookPayload, postSignedRequest, signedRequest } from '../support/worker/facebook.ts';
import { advanceClock, clickButton, loginShowingCode, runAlarm, scheduledAlarm, sendLogin, sessionOf, storedState, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, held, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const ADA_ID = '10229876543210987';

beforeEach(() => clearDatabase());

/** A login approved on Facebook whose /me call is held open by the test. */
async function loginHoldingProfile() {
  const net = bed.net();
  const login = await loginShowingCode(net);
  const me = held();
  net.script(ROUTES.loginStatus, facebook.token);
  net.script(ROUTES.me, me.responder);
  advanceClock(5_000);
  const alarm = runAlarm(login.user);
  await me.arrived;
  return { ...login, me, alarm };
}

describe('races in the login', () => {
  it('Cancel while /me is in flight: nothing is linked, and the message stays "cancelled"', async () => {
    const { user, interaction, cancelId, me, alarm } = await loginHoldingProfile();
    const answer = await clickButton(cancelId, user);
    expect(answer).toMatchObject({ type: 7, data: { embeds: [{ title: 'Login cancelled' }] } });
    me.release(facebook.profile);
    await alarm;
    expect(await linkOf(user.id)).toBeNull();
    expect(await linkOfAccount('facebook', ADA_ID)).toBeNull();
    expect(titlesFor(bed.net(), interaction.token)).toEqual(['Log in with Facebook']);
    expect(await storedState(user)).toBeUndefined();
  });

  it('a newer /login while /me is in flight: the old login links nothing and says "replaced"', async () => {
    const { user, interaction, me, alarm } = await loginHoldingProfile();
    const { interaction: second } = await sendLogin(user);
    bed.net().script(ROUTES.deviceLogin, () => facebook.deviceCode({ code: 'SECOND-DEVICE-CODE', user_code: 'ZXCV7890' }));
    me.release(facebook.profile);
    await alarm;
    await runAlarm(user);
    expect(await linkOf(user.id)).toBeNull();
    expect(titlesFor(bed.net(), interaction.token)).toEqual(['Log in with Facebook', 'Login replaced']);
    expect(titlesFor(bed.net(), second.token)).toEqual(['Log in with Facebook']);
  });

  it("a newer /login drops the superseded login's access token from memory at once", async () => {
    const { user, me, alarm } = await loginHoldingProfile();
    const tokensHeld = () =>
      runInDurableObject(sessionOf(user), (instance) => (instance as unknown as { accessTokens: Map<string, string> }).accessTokens.size);
    expect(await tokensHeld()).toBe(1);
    await sendLogin(user);
    expect(await tokensHeld()).toBe(0);
    bed.net().script(ROUTES.deviceLogin, () => facebook.deviceCode());
    me.release(facebook.profile);
    await alarm;
  });

  it('deauthorize while the "Logged in as" edit is in flight: the erased message is still sent afterwards', async () => {
    const net = bed.net();
    const { user, interaction } = await loginShowingCode(net);
    const edit = held();
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    net.script(ROUTES.editOriginal, edit.responder);
    advanceClock(5_000);
    const alarm = runAlarm(user);
    await edit.arrived;
    expect((await postSignedRequest('deauthorize', await signedRequest(facebookPayload(ADA_ID)))).status).toBe(200);
    edit.release(() => json(200, { id: '1' }));
    await alarm;
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace', 'Facebook link removed']);
    expect(await linkOf(user.id)).toBeNull();
    expect(await storedState(user)).toBeUndefined();
  });
});

describe('the code message', () => {
  const invalidFormBody = () =>
    json(400, { code: 50035, message: 'Invalid Form Body', errors: { embeds: { 0: { description: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 4096 or fewer in length.' }] } } } } });

  it('refused by Discord with a 4xx other than 10015: the code and link are sent as plain text, logged, and the login goes on', async () => {
    const net = bed.net();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const user = (await import('../support/worker/discord.ts')).freshUser();
    const { interaction } = await sendLogin(user);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    net.script(ROUTES.editOriginal, invalidFormBody);
    await runAlarm(user);
    const edits = net.to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`));
    expect(edits).toHaveLength(2);
    expect(edits[1]!.json).toEqual({
      content: 'Log in with Facebook: open https://www.facebook.com/device?user_code=CMWAW3TM and enter the code CMWAW3TM',
      allowed_mentions: { parse: [] },
      embeds: [],
      components: [],
    });
    expect(error.mock.calls.flat().join(' ')).toContain('Discord refused the code message');
    net.script(ROUTES.loginStatus, facebook.pending);
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(1);
  });

  it('refused again as plain text: the login ends, is logged, and leaves nothing behind', async () => {
    const net = bed.net();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const user = (await import('../support/worker/discord.ts')).freshUser();
    await sendLogin(user);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    net.script(ROUTES.editOriginal, invalidFormBody, invalidFormBody);
    await runAlarm(user);
    expect(error.mock.calls.flat().join(' ')).toContain('refused the plain code message too');
    expect(await storedState(user)).toBeUndefined();
    expect(await scheduledAlarm(user)).toBeNull();
  });
});
