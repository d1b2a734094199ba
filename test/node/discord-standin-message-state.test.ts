import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiscordChange } from '../../scripts/standins/discord.ts';
import { alice, bob, deferEphemeral, discordWithBot, ephemeral, webhookUrl } from '../support/node/discord-harness.ts';
import type { Answerer } from '../support/node/fake-bot.ts';
import { discordCall } from '../support/node/http.ts';

let setup: Awaited<ReturnType<typeof discordWithBot>>;
let answer: Answerer;

beforeEach(async () => {
  answer = () => ({ body: deferEphemeral });
  // A roomy bucket: these tests are about message state, not rate limits.
  setup = await discordWithBot((interaction) => answer(interaction), { rateLimit: { limit: 1000, windowMs: 1000 } });
});
afterEach(() => setup.close());

const cancelRow = { type: 1, components: [{ type: 2, style: 4, label: 'Cancel', custom_id: 'login:cancel' }] };
const login = () => setup.discord.sendCommand({ name: 'login', user: alice });
const patchOriginal = (token: string, body: unknown) => discordCall(webhookUrl(setup.discord, token), 'PATCH', body);

describe('Discord stand-in: the answer to an interaction becomes its original message', () => {
  it('type 4 creates the message with its flags', async () => {
    answer = () => ({ body: ephemeral('Pong!') });
    const result = await setup.discord.sendCommand({ name: 'ping', user: alice });
    expect(result.failure).toBeUndefined();
    expect(result.message).toMatchObject({
      content: 'Pong!',
      flags: 64,
      type: 20,
      author: { id: setup.discord.applicationId, bot: true },
      interaction_metadata: { id: result.interaction.id, type: 2, user: { id: alice.id }, name: 'ping' },
    });
    expect(setup.discord.interaction(result.interaction.token)).toMatchObject({ state: 'answered', responseType: 4, originalMessageId: result.message!.id });
  });

  it('type 5 leaves a "thinking…" placeholder (LOADING) until the first edit fills it in', async () => {
    const result = await login();
    expect(result.message).toMatchObject({ content: '', flags: 64 | 128, edited_timestamp: null });
    const seen = await discordCall(webhookUrl(setup.discord, result.interaction.token), 'GET');
    expect(seen.json).toMatchObject({ id: result.message!.id, flags: 64 | 128 });

    const edited = await patchOriginal(result.interaction.token, { content: 'Open the link and enter ABCD2345', components: [cancelRow] });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ id: result.message!.id, content: 'Open the link and enter ABCD2345', flags: 64 });
    expect(edited.json.edited_timestamp).toEqual(expect.any(String));
    expect(setup.discord.message(result.message!.id)!.components).toEqual([cancelRow]);
    expect(setup.discord.interaction(result.interaction.id)!.edits).toBe(1);
  });

  it('a deferred answer may carry no flag but EPHEMERAL; anything else fails the interaction', async () => {
    answer = () => ({ body: { type: 5, data: { flags: 64 | 32768 } } });
    const result = await login();
    expect(result.failure).toMatch(/only carry the EPHEMERAL flag/);
    expect(result.message).toBeUndefined();
    expect((await patchOriginal(result.interaction.token, { content: 'x' })).json.code).toBe(10015);
  });

  it('an answer Discord would refuse fails the interaction, leaving no message and no usable token', async () => {
    answer = () => ({ body: { type: 4, data: { content: 'x'.repeat(2001) } } });
    const result = await login();
    expect(result.failure).toMatch(/Invalid Form Body.*BASE_TYPE_MAX_LENGTH/);
    expect(setup.discord.messages()).toEqual([]);
    expect((await patchOriginal(result.interaction.token, { content: 'x' })).status).toBe(404);

    answer = () => ({ status: 500, body: 'oops' });
    expect((await login()).failure).toBe('the bot answered HTTP 500');
  });
});

describe('Discord stand-in: edits keep Discord\'s rules', () => {
  it('EPHEMERAL cannot be removed by an edit', async () => {
    const { interaction } = await login();
    const edited = await patchOriginal(interaction.token, { content: 'now public?', flags: 0 });
    expect(edited.json.flags & 64).toBe(64);
  });

  it('IS_COMPONENTS_V2 can be added by an edit, and then not removed', async () => {
    const { interaction } = await login();
    const v2 = await patchOriginal(interaction.token, { flags: 32768, components: [{ type: 10, content: 'Logged in as Alice' }] });
    expect(v2.status).toBe(200);
    expect(v2.json.flags).toBe(64 | 32768);
    const back = await patchOriginal(interaction.token, { flags: 0, components: [{ type: 10, content: 'still v2' }] });
    expect(back.json.flags).toBe(64 | 32768);
  });

  it('an absent field stays, null clears it, and a message left empty is refused (50006)', async () => {
    const { interaction } = await login();
    await patchOriginal(interaction.token, { content: 'hello', components: [cancelRow] });
    expect((await patchOriginal(interaction.token, { components: null })).json).toMatchObject({ content: 'hello', components: [] });
    const empty = await patchOriginal(interaction.token, { content: '' });
    expect(empty.status).toBe(400);
    expect(empty.json).toEqual({ message: 'Cannot send an empty message', code: 50006 });
  });
});

describe('Discord stand-in: follow-ups', () => {
  it('right after a defer, a follow-up fills in the placeholder instead of adding a message', async () => {
    const { interaction, message } = await login();
    const followup = await discordCall(webhookUrl(setup.discord, interaction.token, ''), 'POST', { content: 'done' });
    expect(followup.status).toBe(200);
    expect(followup.json).toMatchObject({ id: message!.id, content: 'done', flags: 64 });
    expect(setup.discord.messages()).toHaveLength(1);
  });

  it('after that, a follow-up is a new message that can be read, edited and deleted by id', async () => {
    const { interaction } = await login();
    await patchOriginal(interaction.token, { content: 'first' });
    const created = await discordCall(webhookUrl(setup.discord, interaction.token, ''), 'POST', { content: 'second', flags: 64 });
    const id = created.json.id as string;
    expect(setup.discord.messages().map((m) => m.content)).toEqual(['first', 'second']);
    const url = webhookUrl(setup.discord, interaction.token, `/messages/${id}`);
    expect((await discordCall(url, 'PATCH', { content: 'second, edited' })).json.content).toBe('second, edited');
    expect((await discordCall(url, 'GET')).json.content).toBe('second, edited');
    expect((await discordCall(url, 'DELETE')).status).toBe(204);
    expect((await discordCall(url, 'GET')).json).toEqual({ message: 'Unknown Message', code: 10008 });
    expect(setup.discord.interaction(interaction.id)).toMatchObject({ followupIds: [id], edits: 2 });
  });

  it('DELETE @original removes the message; afterwards it is an Unknown Message', async () => {
    const { interaction } = await login();
    expect((await discordCall(webhookUrl(setup.discord, interaction.token), 'DELETE')).status).toBe(204);
    expect(setup.discord.messages()).toEqual([]);
    const after = await patchOriginal(interaction.token, { content: 'x' });
    expect([after.status, after.json.code]).toEqual([404, 10008]);
  });
});

describe('Discord stand-in: buttons', () => {
  async function messageWithButton() {
    answer = () => ({ body: { type: 4, data: { content: 'Enter the code', flags: 64, components: [cancelRow] } } });
    return login();
  }

  it('type 7 updates the message the button was on, which is then the click\'s @original', async () => {
    const command = await messageWithButton();
    answer = () => ({ body: { type: 7, data: { content: 'Cancelled.', components: [] } } });
    const click = await setup.discord.clickButton({ messageId: command.message!.id, customId: 'login:cancel' });
    expect(click.failure).toBeUndefined();
    expect(click.message).toMatchObject({ id: command.message!.id, content: 'Cancelled.', components: [], flags: 64 });
    expect(setup.discord.messages()).toHaveLength(1);
    const viaClick = await discordCall(webhookUrl(setup.discord, click.interaction.token), 'GET');
    expect(viaClick.json.id).toBe(command.message!.id);
  });

  it('type 6 acknowledges without changing anything', async () => {
    const command = await messageWithButton();
    answer = () => ({ body: { type: 6 } });
    const click = await setup.discord.clickButton({ interaction: command.interaction, customId: 'login:cancel' });
    expect(click.failure).toBeUndefined();
    expect(setup.discord.message(command.message!.id)).toEqual(command.message);
  });

  it('type 4 on a click adds a new message; 6 and 7 are refused for a slash command', async () => {
    const command = await messageWithButton();
    answer = () => ({ body: ephemeral('another one') });
    const click = await setup.discord.clickButton({ interaction: command.interaction, customId: 'login:cancel' });
    expect(click.message!.id).not.toBe(command.message!.id);
    answer = () => ({ body: { type: 7, data: { content: 'x' } } });
    expect((await login()).failure).toMatch(/only for message components/);
  });

  it('only the user who ran the command can click on its ephemeral message, and only real buttons', async () => {
    const command = await messageWithButton();
    await expect(setup.discord.clickButton({ interaction: command.interaction, customId: 'login:cancel', user: bob })).rejects.toThrow(/ephemeral/);
    await expect(setup.discord.clickButton({ interaction: command.interaction, customId: 'login:nope' })).rejects.toThrow(/no button/);
    await expect(setup.discord.clickButton({ messageId: '1', customId: 'login:cancel' })).rejects.toThrow(/no such message/);
    expect(setup.bot.deliveries).toHaveLength(1);
  });
});

describe('Discord stand-in: change events', () => {
  it('emits every message change, and waitForMessage resolves on the edit that matches', async () => {
    const changes: DiscordChange[] = [];
    setup.discord.events.on('change', (change) => changes.push(change));
    const { interaction } = await login();
    const waiting = setup.discord.waitForMessage((message) => message.content.startsWith('Logged in as'), 2_000);
    await patchOriginal(interaction.token, { content: 'Open the link' });
    await patchOriginal(interaction.token, { content: 'Logged in as Alice Example' });
    expect((await waiting).content).toBe('Logged in as Alice Example');
    const messageChanges = changes.filter((change) => change.kind === 'message');
    expect(messageChanges.map((change) => change.kind === 'message' && change.action)).toEqual(['created', 'updated', 'updated']);
    expect(changes.filter((change) => change.kind === 'interaction').length).toBeGreaterThanOrEqual(2);
  });

  it('waitForMessage gives up after its timeout with a clear error', async () => {
    await expect(setup.discord.waitForMessage(() => false, 50)).rejects.toThrow(/timed out after 50 ms/);
  });
});
