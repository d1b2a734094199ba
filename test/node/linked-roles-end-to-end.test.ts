/**
 * Linked Roles through the real Worker under `wrangler dev`, against the Discord and Facebook stand-ins: the
 * metadata registered by `npm run register-commands`; a member who linked Facebook with /login opens the Linked
 * Roles Verification URL, authorizes on Discord's consent page, comes back to the callback, and the stand-in then
 * holds their role connection with the right metadata, so a "Facebook account linked" requirement is met. Also:
 * Cancel on the consent page, a callback without the cookie, and a replayed callback change nothing.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordStandin } from '../../scripts/standins/discord.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';

let discord: DiscordStandin;
let facebook: FacebookStandin;
let worker: WorkerHandle;
let vars: Record<string, string>;
let nextUser = 1;
const newUser = () => ({ id: String(710_000_000_000_000_000n + BigInt(nextUser++)), username: `roles${nextUser}` });

beforeAll(async () => {
  discord = await startDiscordStandin();
  facebook = await startFacebookStandin({ intervalSeconds: 1 });
  worker = await startWorker({ vars: (url) => (vars = workerVarsFor({ discord, facebook, publicBaseUrl: url })) });
  discord.setInteractionsUrl(`${worker.url}/interactions`);
  // As the operator does once in the Developer Portal (OAuth2 › Redirects).
  discord.allowRedirectUri(`${worker.url}/linked-roles/callback`);
});

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await facebook?.close();
});

/** `npm run register-commands` with the Worker's own settings plus the bot token. */
function registerCommands(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('scripts/register-commands.ts')], { env: { PATH: process.env.PATH, ...vars, DISCORD_BOT_TOKEN: discord.botToken }, timeout: 30_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** The browser opens the Linked Roles Verification URL: Discord's consent page URL and the cookie it got. */
async function openLinkedRoles() {
  const response = await fetch(`${worker.url}/linked-roles`, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const cookie = response.headers.get('set-cookie')!;
  expect(cookie).toMatch(/^linked_roles_state=[^;]+; Max-Age=600; Path=\/linked-roles\/callback; HttpOnly; SameSite=Lax$/);
  return { authorizeUrl: response.headers.get('location')!, cookie: cookie.split(';')[0]! };
}

const visit = (url: string, cookie?: string) => fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

/** /login with Facebook, approved: the member is linked. */
async function linkFacebook(user: { id: string; username: string }) {
  const sent = await discord.sendCommand({ name: 'login', user });
  expect(sent.status).toBe(200);
  const messageId = sent.message!.id;
  const title = (id: string) => ((discord.message(id)?.embeds[0] as { title?: string } | undefined)?.title);
  const shown = await discord.waitForMessage((m) => m.id === messageId && title(m.id) === 'Log in with Facebook', 15_000);
  const userCode = /```\n(\S+)\n```/.exec((shown.embeds[0] as { description: string }).description)![1]!;
  facebook.approve(userCode, { name: 'Grace Hopper' });
  await discord.waitForMessage((m) => m.id === messageId && title(m.id) === 'Logged in as Grace Hopper', 15_000);
}

describe('Linked Roles end to end through wrangler dev', () => {
  it('register-commands registers the metadata for the Worker\'s providers', async () => {
    const result = await registerCommands();
    expect(result.code).toBe(0);
    expect(discord.roleConnectionMetadata().map((record) => record.key)).toEqual(['facebook', 'linked_since']);
  });

  it('a member linked with /login connects Linked Roles and meets "Facebook account linked" and "linked for at least 0 days"', async () => {
    const user = newUser();
    await linkFacebook(user);
    const { authorizeUrl, cookie } = await openLinkedRoles();
    expect(authorizeUrl.startsWith(`${discord.webUrl}/oauth2/authorize?`)).toBe(true);
    const callbackUrl = await discord.authorize(authorizeUrl, user);
    expect(callbackUrl.startsWith(`${worker.url}/linked-roles/callback?code=`)).toBe(true);

    const page = await visit(callbackUrl, cookie);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('<title>Verified</title>');
    expect(text).toContain(`@${user.username}`);
    expect(text).toContain('<li>Facebook account linked: <strong>yes</strong></li>');

    const connection = discord.roleConnection(user.id)!;
    expect(connection).toMatchObject({ platform_name: 'Linked accounts', platform_username: 'Facebook', metadata: { facebook: '1' } });
    expect(Date.now() - Date.parse(connection.metadata.linked_since!)).toBeLessThan(120_000);
    expect(discord.meetsRequirement(user.id, { key: 'facebook' })).toBe(true);
    expect(discord.meetsRequirement(user.id, { key: 'linked_since', value: 0 })).toBe(true);
    expect(discord.meetsRequirement(user.id, { key: 'linked_since', value: 1 })).toBe(false);
    expect(discord.grants().filter((grant) => grant.userId === user.id)).toHaveLength(1);

    // The callback cannot be used twice.
    const replay = await visit(callbackUrl, cookie);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('This link was already used');
  });

  it('a member with no link yet is connected with every boolean "0" and told to run /login', async () => {
    const user = newUser();
    const { authorizeUrl, cookie } = await openLinkedRoles();
    const page = await visit(await discord.authorize(authorizeUrl, user), cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Run /login in Discord; your roles update by themselves when it succeeds.');
    expect(discord.roleConnection(user.id)!.metadata).toEqual({ facebook: '0' });
    expect(discord.meetsRequirement(user.id, { key: 'facebook' })).toBe(false);
  });

  it('Cancel on the consent page, or coming back without the cookie, changes nothing', async () => {
    const user = newUser();
    const cancelled = await openLinkedRoles();
    const denied = await visit(await discord.authorize(cancelled.authorizeUrl, user, 'cancel'), cancelled.cookie);
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain('You cancelled');

    const other = await openLinkedRoles();
    const cookieless = await visit(await discord.authorize(other.authorizeUrl, user));
    expect(cookieless.status).toBe(400);
    expect(discord.roleConnection(user.id)).toBeUndefined();
    expect(discord.grants().filter((grant) => grant.userId === user.id)).toEqual([]);
  });

  it('the traffic the Worker caused holds no code, token or secret in the stand-in\'s log', () => {
    const log = JSON.stringify(discord.traffic.entries());
    expect(log).not.toContain(discord.clientSecret);
    expect(log).not.toContain(vars.TOKEN_ENCRYPTION_KEY);
    expect(worker.output()).not.toContain(vars.TOKEN_ENCRYPTION_KEY);
  });
});
