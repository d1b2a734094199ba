import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrafficEntry } from '../../scripts/lib/traffic-log.ts';
import { alice, deferEphemeral, discordWithBot, webhookUrl } from '../support/node/discord-harness.ts';
import { discordCall } from '../support/node/http.ts';

let setup: Awaited<ReturnType<typeof discordWithBot>>;
beforeEach(async () => {
  setup = await discordWithBot(() => ({ body: deferEphemeral }));
});
afterEach(() => setup.close());

describe('Discord stand-in: traffic log', () => {
  it('logs deliveries and the bot\'s requests live, with interaction tokens masked in paths', async () => {
    const { discord } = setup;
    const live: TrafficEntry[] = [];
    discord.traffic.on('entry', (entry) => live.push(entry));
    const { interaction } = await discord.sendCommand({ name: 'login', user: alice });
    await discordCall(webhookUrl(discord, interaction.token), 'PATCH', { content: 'Logged in as Alice Example' });
    await discordCall(`${discord.apiUrl}/applications/${discord.applicationId}/commands`, 'PUT', [], { authorization: `Bot ${discord.botToken}` });
    await discord.deliverRaw('{"type":1}', { signature: 'missing' });

    const entries = discord.traffic.entries();
    expect(live).toEqual(entries);
    expect(entries.map(({ direction, method, path, route, status, note }) => ({ direction, method, path, route, status, note }))).toEqual([
      { direction: 'out', method: 'POST', path: '/interactions', route: 'interaction', status: 200, note: '/login' },
      { direction: 'in', method: 'PATCH', path: `/api/v10/webhooks/${discord.applicationId}/***/messages/@original`, route: 'editOriginal', status: 200, note: undefined },
      { direction: 'in', method: 'PUT', path: `/api/v10/applications/${discord.applicationId}/commands`, route: 'putCommands', status: 200, note: undefined },
      { direction: 'out', method: 'POST', path: '/interactions', route: 'interaction', status: 401, note: 'raw (missing signature)' },
    ]);
    expect(entries[1]!.body).toEqual({ content: 'Logged in as Alice Example' });

    const text = JSON.stringify(entries);
    expect(text).not.toContain(interaction.token);
    expect(text).not.toContain(discord.botToken);
  });

  it('masks the token even when the request was refused', async () => {
    const token = 'aW50ZXJhY3Rpb246c2VjcmV0LXRva2Vu';
    await discordCall(webhookUrl(setup.discord, token), 'PATCH', { content: 'x' }, { 'user-agent': 'curl/8' });
    await discordCall(webhookUrl(setup.discord, token), 'PATCH', { content: 'x' });
    expect(setup.discord.traffic.entries().map((entry) => entry.status)).toEqual([403, 404]);
    expect(JSON.stringify(setup.discord.traffic.entries())).not.toContain(token);
  });
});
