/** /whoami: the caller's linked accounts, each with its provider, name, id and since when, or how to link one. Ephemeral. */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { alice, bob, commandInteraction, postInteraction } from '../support/worker/discord.ts';

const LINKED_AT = Date.UTC(2026, 9, 15, 8, 30, 0);

async function whoami(user = alice, inGuild = false) {
  const response = await postInteraction(commandInteraction('whoami', user, { inGuild }));
  expect(response.status).toBe(200);
  return response.json<{ type: number; data: { content: string; flags: number } }>();
}

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, {
    discordUserId: alice.id,
    provider: 'facebook', subject: '1060000000000001',
    name: 'Alice *Star* Liddell',
    scopes: ['public_profile', 'email'],
    now: LINKED_AT,
  });
});

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
        'Use `/logout` to remove a link.',
    );
  });

  it('lists every linked account, oldest first, each with its provider', async () => {
    await linkAccount(env.DB, { discordUserId: alice.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: LINKED_AT + 1_000 });
    const lines = (await whoami()).data.content.split('\n');
    expect(lines[0]).toBe('Your Discord account is linked to these accounts:');
    expect(lines[1]).toMatch(/^- \*\*Facebook\*\*: /);
    expect(lines[2]).toMatch(/^- \*\*GitHub\*\*: \*\*octocat\*\* \(id `583231`\).*permissions granted: none$/);
  });

  it('works the same from a server (member.user)', async () => {
    expect((await whoami(alice, true)).data.content).toContain('1060000000000001');
  });

  it('tells an unlinked user to use /login, ephemerally', async () => {
    const answer = await whoami(bob);
    expect(answer).toEqual({
      type: 4,
      data: { content: 'Your Discord account is not linked to any account. Use `/login` to link one.', flags: 64 },
    });
  });
});
