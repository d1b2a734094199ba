/**
 * The whole login through the real Worker under `wrangler dev`, with alarms firing on their own, against the
 * Discord and Facebook stand-ins (interval 1 s): /login -> code -> approve -> "Logged in as"; decline; the
 * Cancel button; and a crash of wrangler dev in the middle of polling, after which the login carries on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordMessage, type DiscordStandin } from '../../scripts/standins/discord.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';

let discord: DiscordStandin;
let facebook: FacebookStandin;
let worker: WorkerHandle;
const persistTo = mkdtempSync(join(tmpdir(), 'login-e2e-'));
let nextUser = 1;
const newUser = () => ({ id: String(700_000_000_000_000_000n + BigInt(nextUser++)), username: `e2e${nextUser}` });

const start = () =>
  startWorker({ persistTo, vars: (url) => workerVarsFor({ discord, facebook, publicBaseUrl: url }) }).then((handle) => {
    discord.setInteractionsUrl(`${handle.url}/interactions`);
    return handle;
  });

beforeAll(async () => {
  discord = await startDiscordStandin();
  facebook = await startFacebookStandin({ intervalSeconds: 1 });
  worker = await start();
});

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await facebook?.close();
});

interface Embed {
  title?: string;
  description?: string;
  thumbnail?: { url: string };
}
const title = (message: DiscordMessage | undefined) => (message?.embeds[0] as Embed | undefined)?.title;

/** /login for a new user; resolves once the code message is showing. */
async function loginShowingCode() {
  const user = newUser();
  const sent = await discord.sendCommand({ name: 'login', user });
  expect(sent.status).toBe(200);
  expect(sent.body).toEqual({ type: 5, data: { flags: 64 } });
  const messageId = sent.message!.id;
  const shown = await discord.waitForMessage((m) => m.id === messageId && title(m) === 'Log in with Facebook', 15_000);
  const description = (shown.embeds[0] as Embed).description!;
  const userCode = /```\n(\S+)\n```/.exec(description)![1]!;
  return { user, messageId, userCode, shown };
}

const finalTitle = (messageId: string, expected: string, timeoutMs = 15_000) =>
  discord.waitForMessage((m) => m.id === messageId && title(m) === expected, timeoutMs);

describe('/login end to end through wrangler dev', () => {
  it('the code message appears, the user approves on Facebook, and the message turns into "Logged in as"', async () => {
    const { messageId, userCode, shown } = await loginShowingCode();
    expect(shown.flags & 64).toBe(64);
    expect(facebook.deviceLogin(userCode)).toMatchObject({ state: 'pending', scopes: ['public_profile'] });
    const link = (shown.components[0] as { components: Array<{ style: number; url?: string }> }).components.find((c) => c.style === 5)!;
    expect(link.url).toBe(`${facebook.url}/device?user_code=${userCode}`);

    // Let it poll a few times at the 1 s interval, then approve.
    await facebook.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 2, 10_000);
    const approvedAt = Date.now();
    facebook.approve(userCode, { name: 'Grace Hopper' });
    const done = await finalTitle(messageId, 'Logged in as Grace Hopper');
    expect(Date.now() - approvedAt).toBeLessThan(3_000);
    expect(done.components).toEqual([]);
    expect((done.embeds[0] as Embed).thumbnail?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    const login = facebook.deviceLogin(userCode)!;
    expect(login.state).toBe('redeemed');
    expect(login.tooFastPolls).toBe(0);
    for (let i = 1; i < login.polls.length; i++) expect(login.polls[i]! - login.polls[i - 1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('a login declined on Facebook says so', async () => {
    const { messageId, userCode } = await loginShowingCode();
    facebook.decline(userCode);
    await finalTitle(messageId, 'Login declined');
    expect(facebook.deviceLogin(userCode)!.tooFastPolls).toBe(0);
  });

  it('the Cancel button stops the login: the message says cancelled and no poll follows', async () => {
    const { user, messageId, userCode, shown } = await loginShowingCode();
    const cancel = (shown.components[0] as { components: Array<{ custom_id?: string }> }).components.find((c) => c.custom_id)!;
    const clicked = await discord.clickButton({ customId: cancel.custom_id!, messageId, user });
    expect((clicked.body as { type: number }).type).toBe(7);
    expect(title(discord.message(messageId))).toBe('Login cancelled');
    const polls = facebook.deviceLogin(userCode)!.polls.length;
    // A clock for "long enough": a login started after the cancel, polled twice, proves that two intervals went by
    // with the Worker's alarms running.
    const marker = await loginShowingCode();
    await facebook.waitForDeviceLogin((login) => login.userCode === marker.userCode && login.polls.length >= 2, 15_000);
    expect(facebook.deviceLogin(userCode)!.polls.length).toBe(polls);
    expect(facebook.deviceLogin(userCode)!.state).toBe('pending');
  });

  it('survives wrangler dev being killed mid-poll: after a restart the same login completes, never polling early', async () => {
    const { messageId, userCode } = await loginShowingCode();
    await facebook.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 1, 10_000);
    await worker.kill();
    worker = await start();
    const pollsBefore = facebook.deviceLogin(userCode)!.polls.length;
    await facebook.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length > pollsBefore, 15_000);
    facebook.approve(userCode, { name: 'Katherine Johnson' });
    await finalTitle(messageId, 'Logged in as Katherine Johnson');
    expect(facebook.deviceLogin(userCode)!.tooFastPolls).toBe(0);
  });
});
