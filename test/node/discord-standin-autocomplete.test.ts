/**
 * The Discord stand-in's autocomplete and command options, against a fake bot: a user typing in an option is
 * delivered as a signed type 4 interaction with every option filled so far (the one being typed `focused`), the
 * bot's type 8 answer is what Discord shows (checked against Discord's limits), and an autocomplete interaction
 * never makes a message nor lets its token edit one. Commands carry their options as Discord sends them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, discordWithBot, webhookUrl } from '../support/node/discord-harness.ts';
import type { BotAnswer } from '../support/node/fake-bot.ts';

let setup: Awaited<ReturnType<typeof discordWithBot>>;
let answer: (interaction: any) => BotAnswer;

beforeEach(async () => {
  answer = () => ({ body: { type: 8, data: { choices: [{ name: 'GitHub', value: 'github' }] } } });
  setup = await discordWithBot((interaction) => answer(interaction));
});
afterEach(() => setup.close());

const typing = (typed: string) => setup.discord.sendAutocomplete({ name: 'login', user: alice, options: { provider: typed }, focused: 'provider' });

describe('Discord stand-in: autocomplete', () => {
  it('delivers a signed type 4 interaction with the focused option, and records the choices the bot answered', async () => {
    const result = await typing('gi');
    const [delivery] = setup.bot.deliveries;
    expect(delivery).toMatchObject({
      signatureValid: true,
      interaction: { type: 4, data: { name: 'login', type: 1, options: [{ name: 'provider', type: 3, value: 'gi', focused: true }] } },
    });
    expect(result).toMatchObject({ status: 200, choices: [{ name: 'GitHub', value: 'github' }] });
    expect(result.failure).toBeUndefined();
    expect(result.message).toBeUndefined();
    const summary = setup.discord.interaction(delivery!.interaction.id)!;
    expect(summary).toMatchObject({ type: 4, name: 'login', state: 'answered', responseType: 8, focused: { name: 'provider', value: 'gi' } });
    expect(summary.choices).toEqual([{ name: 'GitHub', value: 'github' }]);
    expect(setup.discord.messages()).toEqual([]);
  });

  it('sends the other options as filled in, only the typed one focused', async () => {
    await setup.discord.sendAutocomplete({ name: 'pick', user: alice, options: { kind: 'fruit', count: 3, name: 'ap' }, focused: 'name' });
    expect(setup.bot.deliveries[0]!.interaction.data.options).toEqual([
      { name: 'kind', type: 3, value: 'fruit' },
      { name: 'count', type: 4, value: 3 },
      { name: 'name', type: 3, value: 'ap', focused: true },
    ]);
    await expect(setup.discord.sendAutocomplete({ name: 'pick', user: alice, options: { kind: 'x' }, focused: 'name' })).rejects.toThrow(/focused option/);
  });

  it('refuses answers Discord would refuse: another type, too many choices, bad names or values', async () => {
    const refusals: Array<[unknown, RegExp]> = [
      [{ type: 4, data: { content: 'hi' } }, /must be answered with type 8, not 4/],
      [{ type: 5 }, /must be answered with type 8, not 5/],
      [{ type: 8, data: {} }, /needs data\.choices/],
      [{ type: 8, data: { choices: Array.from({ length: 26 }, (_, i) => ({ name: `n${i}`, value: `v${i}` })) } }, /26 entries \(at most 25\)/],
      [{ type: 8, data: { choices: [{ name: '', value: 'x' }] } }, /choices\.0\.name must be 1-100 characters/],
      [{ type: 8, data: { choices: [{ name: 'x'.repeat(101), value: 'x' }] } }, /choices\.0\.name/],
      [{ type: 8, data: { choices: [{ name: 'ok', value: 'x'.repeat(101) }] } }, /choices\.0\.value/],
      [{ type: 8, data: { choices: [{ name: 'ok', value: true }] } }, /choices\.0\.value/],
    ];
    for (const [body, reason] of refusals) {
      answer = () => ({ body });
      const result = await typing('x');
      expect({ body, failure: result.failure }).toEqual({ body, failure: expect.stringMatching(reason) });
      expect(result.choices).toBeUndefined();
    }
    answer = () => ({ body: { type: 8, data: { choices: Array.from({ length: 25 }, (_, i) => ({ name: `n${i}`, value: i })) } } });
    expect((await typing('x')).choices).toHaveLength(25);
  });

  it('type 8 answers only autocomplete: a command answered with it fails', async () => {
    const result = await setup.discord.sendCommand({ name: 'login', user: alice });
    expect(result.failure).toBe('answer type 8 is only for autocomplete interactions');
  });

  it("an autocomplete interaction's token edits nothing: Unknown Webhook", async () => {
    const result = await typing('gi');
    const response = await fetch(webhookUrl(setup.discord, result.interaction.token), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'user-agent': 'DiscordBot (https://example.test, 1.0)' },
      body: JSON.stringify({ content: 'hello' }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { code: number }).code).toBe(10015);
  });
});

describe('Discord stand-in: command options', () => {
  it('sends options given by name as Discord does, typed by their value', async () => {
    answer = () => ({ body: { type: 4, data: { content: 'ok', flags: 64 } } });
    await setup.discord.sendCommand({ name: 'login', user: alice, options: { provider: 'github' } });
    await setup.discord.sendCommand({ name: 'roll', user: alice, options: { sides: 6, weight: 0.5, loud: true } });
    await setup.discord.sendCommand({ name: 'login', user: alice, options: {} });
    const [first, second, third] = setup.bot.deliveries;
    expect(first!.interaction.data.options).toEqual([{ name: 'provider', type: 3, value: 'github' }]);
    expect(second!.interaction.data.options).toEqual([
      { name: 'sides', type: 4, value: 6 },
      { name: 'weight', type: 10, value: 0.5 },
      { name: 'loud', type: 5, value: true },
    ]);
    expect(third!.interaction.data).not.toHaveProperty('options');
  });
});
