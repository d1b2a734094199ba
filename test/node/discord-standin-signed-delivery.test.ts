import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../scripts/lib/clock.ts';
import { startDiscordStandin } from '../../scripts/standins/discord.ts';
import { alice, discordWithBot, ephemeral } from '../support/node/discord-harness.ts';
import { verifySignature } from '../support/node/fake-bot.ts';
import { discordCall } from '../support/node/http.ts';

const clock = manualClock(Date.UTC(2026, 9, 1, 12, 0, 0));
let setup: Awaited<ReturnType<typeof discordWithBot>>;

beforeEach(async () => {
  setup = await discordWithBot((interaction) => (interaction.type === 1 ? { body: { type: 1 } } : { body: ephemeral('ok') }), {
    now: clock.now,
  });
});
afterEach(() => setup.close());

describe('Discord stand-in: delivering interactions to the bot', () => {
  it('signs timestamp + body with Ed25519, verifiable with node:crypto against its public key', async () => {
    const { discord, bot } = setup;
    expect(discord.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    const result = await discord.sendCommand({ name: 'login', user: alice });
    expect(result.status).toBe(200);
    const [delivery] = bot.deliveries;
    expect(delivery!.signatureValid).toBe(true);
    expect(delivery!.headers['x-signature-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['user-agent']).toMatch(/^Discord-Interactions\//);
    // The signature covers exactly the bytes sent: one changed byte and it no longer verifies.
    const { body } = delivery!;
    const signature = String(delivery!.headers['x-signature-ed25519']);
    expect(verifySignature(discord.publicKeyHex, signature, String(delivery!.headers['x-signature-timestamp']), body.replace('login', 'logout'))).toBe(false);
  });

  it('sends a DM slash command the way Discord shapes it', async () => {
    const { discord, bot } = setup;
    const result = await discord.sendCommand({ name: 'login', user: alice });
    const interaction = bot.deliveries[0]!.interaction;
    expect(interaction).toMatchObject({
      id: expect.stringMatching(/^\d{17,20}$/),
      application_id: discord.applicationId,
      type: 2,
      version: 1,
      locale: 'en-US',
      context: 1,
      channel_id: expect.stringMatching(/^\d{17,20}$/),
      user: { id: alice.id, username: 'alice', global_name: 'Alice' },
      data: { id: expect.stringMatching(/^\d{17,20}$/), name: 'login', type: 1 },
      authorizing_integration_owners: { '1': alice.id },
    });
    expect(interaction.token).toMatch(/^[A-Za-z0-9_-]{150,}$/);
    expect(interaction.member).toBeUndefined();
    expect(interaction.guild_id).toBeUndefined();
    expect(result.interaction).toEqual(interaction);
  });

  it('in a server, puts the user under member.user with guild_id, guild_locale and the user\'s locale', async () => {
    const { discord, bot } = setup;
    await discord.sendCommand({ name: 'login', user: alice, locale: 'de', guild: { id: '333333333333333333', locale: 'fr' } });
    const interaction = bot.deliveries[0]!.interaction;
    expect(interaction).toMatchObject({
      guild_id: '333333333333333333',
      guild_locale: 'fr',
      locale: 'de',
      context: 0,
      member: { user: { id: alice.id }, roles: [], permissions: expect.any(String) },
    });
    expect(interaction.user).toBeUndefined();
  });

  it('uses the registered command\'s id in data.id', async () => {
    const { discord, bot } = setup;
    const registered = await discordCall(`${discord.apiUrl}/applications/${discord.applicationId}/commands`, 'PUT', [
      { name: 'login', description: 'Link your Facebook account.' },
    ], { authorization: `Bot ${discord.botToken}` });
    await discord.sendCommand({ name: 'login', user: alice });
    expect(bot.deliveries[0]!.interaction.data.id).toBe(registered.json[0].id);
  });

  it('sends a button click with the message it was on and component_type 2', async () => {
    const { discord, bot } = setup;
    bot.setAnswer(() => ({
      body: { type: 4, data: { content: 'pick', flags: 64, components: [{ type: 1, components: [{ type: 2, style: 4, label: 'Cancel', custom_id: 'login:cancel' }] }] } },
    }));
    const command = await discord.sendCommand({ name: 'login', user: alice, guild: '333333333333333333' });
    bot.setAnswer(() => ({ body: { type: 6 } }));
    await discord.clickButton({ interaction: command.interaction, customId: 'login:cancel' });
    const click = bot.deliveries[1]!;
    expect(click.signatureValid).toBe(true);
    expect(click.interaction).toMatchObject({
      type: 3,
      data: { custom_id: 'login:cancel', component_type: 2 },
      message: { id: command.message!.id, content: 'pick', flags: 64 },
      guild_id: '333333333333333333',
      member: { user: { id: alice.id } },
      channel_id: command.interaction.channel_id,
    });
    expect(click.interaction.token).not.toBe(command.interaction.token);
  });

  it('can send a deliberately wrong signature, or none, as Discord\'s security checks do', async () => {
    const { discord, bot } = setup;
    const wrong = await discord.deliverRaw('{"type":1}', { signature: 'invalid' });
    const missing = await discord.deliverRaw('{"type":1}', { signature: 'missing' });
    expect([wrong.status, missing.status]).toEqual([401, 401]);
    expect(bot.deliveries[0]!.headers['x-signature-ed25519']).toMatch(/^[0-9a-f]{128}$/);
    expect(bot.deliveries[0]!.signatureValid).toBe(false);
    expect(bot.deliveries[1]!.headers['x-signature-ed25519']).toBeUndefined();
  });

  it('sends PING and accepts PONG', async () => {
    const result = await setup.discord.sendPing();
    expect(setup.bot.deliveries[0]!.interaction).toMatchObject({ type: 1, version: 1, application_id: setup.discord.applicationId });
    expect(result).toMatchObject({ status: 200, body: { type: 1 } });
    expect(result.failure).toBeUndefined();
  });

  it('reports an interaction as failed when the bot does not answer within the answer timeout', async () => {
    await setup.close();
    let release = () => {};
    setup = await discordWithBot(() => new Promise((done) => (release = () => done({ body: ephemeral('late') }))), { answerTimeoutMs: 200 });
    const result = await setup.discord.sendCommand({ name: 'login', user: alice });
    release();
    expect(result.status).toBe(0);
    expect(result.failure).toMatch(/no answer within 200 ms/);
    expect(setup.discord.interaction(result.interaction.id)!.state).toBe('failed');
  });

  it('refuses to send anything until it knows the interactions URL', async () => {
    const discord = await startDiscordStandin();
    try {
      await expect(discord.sendCommand({ name: 'login', user: alice })).rejects.toThrow(/no interactions URL/);
      expect(discord.interactions()).toEqual([]);
    } finally {
      await discord.close();
    }
  });
});
