/** /whoami: the caller's linked accounts, each with its provider, name, id and since when, or how to link one. Ephemeral. */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index.ts';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { alice, bob, commandInteraction, nowSeconds, postInteraction, sign } from '../support/worker/discord.ts';
import { storeGrant } from '../support/worker/linked-roles.ts';

const LINKED_AT = Date.UTC(2026, 9, 15, 8, 30, 0);
const NOT_CONNECTED =
  "Linked Roles: not connected, so the bot cannot update your role requirements. Open **Linked Roles** in a server's menu, or <https://bot.example/linked-roles>.";

async function whoami(user = alice, inGuild = false) {
  const response = await postInteraction(commandInteraction('whoami', user, { inGuild }));
  expect(response.status).toBe(200);
  return response.json<{ type: number; data: { content: string; flags: number } }>();
}

async function signedInteraction(body: unknown): Promise<Request> {
  const text = JSON.stringify(body);
  const timestamp = nowSeconds();
  return new Request('https://bot.example/interactions', {
    method: 'POST',
    headers: { 'x-signature-ed25519': await sign(timestamp, text), 'x-signature-timestamp': timestamp },
    body: text,
  });
}

beforeEach(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
  await clearDatabase();
  await linkAccount(env.DB, {
    discordUserId: alice.id,
    provider: 'facebook', subject: '1060000000000001',
    name: 'Alice *Star* Liddell',
    scopes: ['public_profile', 'email'],
    now: LINKED_AT,
  });
});

afterEach(() => vi.restoreAllMocks());

describe('/whoami', () => {
  it('shows the linked Facebook name (markdown escaped), id, since when, and the granted permissions, to the caller only', async () => {
    const answer = await whoami();
    expect(answer.type).toBe(4);
    expect(answer.data.flags).toBe(64);
    const seconds = LINKED_AT / 1000;
    expect(answer.data.content).toBe(
      'Your Discord account is linked to this account:\n' +
        '- **Facebook**: **Alice \\*Star\\* Liddell** (id `1060000000000001`), ' +
        `since <t:${seconds}:f> (<t:${seconds}:R>); permissions granted: \`public_profile\`, \`email\`\n` +
        'Use `/logout` to remove a link.\n' +
        NOT_CONNECTED,
    );
  });

  it('lists every linked account, oldest first, each with its provider', async () => {
    await linkAccount(env.DB, { discordUserId: alice.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: LINKED_AT + 1_000 });
    const lines = (await whoami()).data.content.split('\n');
    expect(lines[0]).toBe('Your Discord account is linked to these accounts:');
    expect(lines[1]).toMatch(/^- \*\*Facebook\*\*: /);
    expect(lines[2]).toMatch(/^- \*\*GitHub\*\*: \*\*octocat\*\* \(id `583231`\).*permissions granted: none$/);
  });

  it('shows an id exactly as the provider gave it (no escapes inside the code span, which Discord would show)', async () => {
    await linkAccount(env.DB, { discordUserId: alice.id, provider: 'microsoft', subject: 'AAAA_bb-cc*dd', name: 'Ada', scopes: [], now: LINKED_AT + 1 });
    expect((await whoami()).data.content).toContain('(id `AAAA_bb-cc*dd`)');
  });

  it('works the same from a server (member.user)', async () => {
    expect((await whoami(alice, true)).data.content).toContain('1060000000000001');
  });

  it('tells an unlinked user to use /login, ephemerally', async () => {
    const answer = await whoami(bob);
    expect(answer).toEqual({
      type: 4,
      data: { content: `Your Discord account is not linked to any account. Use \`/login\` to link one.\n${NOT_CONNECTED}`, flags: 64 },
    });
  });

  it('with Linked Roles off or misconfigured, says nothing about them and still answers', async () => {
    for (const vars of [{ DISCORD_CLIENT_SECRET: '', TOKEN_ENCRYPTION_KEY: '' }, { TOKEN_ENCRYPTION_KEY: 'c2hvcnQ=' }]) {
      const response = await worker.fetch((await signedInteraction(commandInteraction('whoami'))) as never, { ...env, ...vars } as never, createExecutionContext());
      const content = ((await response.json()) as { data: { content: string } }).data.content;
      expect(content).toMatch(/^Your Discord account is linked to this account:/);
      expect(content).not.toContain('Linked Roles');
    }
  });

  it('says whether the bot can update the Linked Roles: yes once a Discord grant is stored', async () => {
    await storeGrant(alice.id, Date.now() + 86_400_000);
    const lines = (await whoami()).data.content.split('\n');
    expect(lines.at(-1)).toBe('Linked Roles: connected; the bot updates your role requirements whenever your links change.');
  });
});
