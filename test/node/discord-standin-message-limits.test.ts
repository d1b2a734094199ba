import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, deferEphemeral, discordWithBot, webhookUrl } from '../support/node/discord-harness.ts';
import { discordCall } from '../support/node/http.ts';

let setup: Awaited<ReturnType<typeof discordWithBot>>;
let token: string;

beforeAll(async () => {
  setup = await discordWithBot(() => ({ body: deferEphemeral }), { rateLimit: { limit: 10_000, windowMs: 1000 } });
  token = (await setup.discord.sendCommand({ name: 'login', user: alice })).interaction.token;
});
afterAll(() => setup.close());

const edit = (body: unknown) => discordCall(webhookUrl(setup.discord, token), 'PATCH', body);
const x = (n: number) => 'x'.repeat(n);
const button = (id: string, extra: Record<string, unknown> = {}) => ({ type: 2, style: 1, label: 'Go', custom_id: id, ...extra });
const row = (...components: unknown[]) => ({ type: 1, components });
const link = (url: string, extra: Record<string, unknown> = {}) => ({ type: 2, style: 5, label: 'Open', url, ...extra });
const embed = (extra: Record<string, unknown>) => ({ ...extra });

/** Each case: a body Discord refuses, and the path in `errors` plus the `_errors` code it reports there. */
const refused: [string, unknown, (string | number)[], string][] = [
  ['content over 2000 characters', { content: x(2001) }, ['content'], 'BASE_TYPE_MAX_LENGTH'],
  ['more than 10 embeds', { embeds: Array.from({ length: 11 }, () => embed({ title: 't' })) }, ['embeds'], 'BASE_TYPE_MAX_LENGTH'],
  ['an embed title over 256', { embeds: [embed({ title: x(257) })] }, ['embeds', 0, 'title'], 'BASE_TYPE_MAX_LENGTH'],
  ['an embed description over 4096', { embeds: [embed({ description: x(4097) })] }, ['embeds', 0, 'description'], 'BASE_TYPE_MAX_LENGTH'],
  ['more than 25 fields', { embeds: [embed({ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) })] }, ['embeds', 0, 'fields'], 'BASE_TYPE_MAX_LENGTH'],
  ['a field name over 256', { embeds: [embed({ fields: [{ name: x(257), value: 'v' }] })] }, ['embeds', 0, 'fields', 0, 'name'], 'BASE_TYPE_MAX_LENGTH'],
  ['a field value over 1024', { embeds: [embed({ fields: [{ name: 'n', value: x(1025) }] })] }, ['embeds', 0, 'fields', 0, 'value'], 'BASE_TYPE_MAX_LENGTH'],
  ['a footer over 2048', { embeds: [embed({ footer: { text: x(2049) } })] }, ['embeds', 0, 'footer', 'text'], 'BASE_TYPE_MAX_LENGTH'],
  ['an author name over 256', { embeds: [embed({ author: { name: x(257) } })] }, ['embeds', 0, 'author', 'name'], 'BASE_TYPE_MAX_LENGTH'],
  ['embeds totalling over 6000', { embeds: [embed({ description: x(4000) }), embed({ description: x(2001) })] }, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED'],
  ['more than 5 action rows', { components: Array.from({ length: 6 }, (_, i) => row(button(`b${i}`))) }, ['components'], 'BASE_TYPE_MAX_LENGTH'],
  ['more than 5 buttons in a row', { components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] }, ['components', 0, 'components'], 'BASE_TYPE_MAX_LENGTH'],
  ['an empty action row', { components: [row()] }, ['components', 0, 'components'], 'BASE_TYPE_MIN_LENGTH'],
  ['a button outside an action row', { components: [button('a')] }, ['components', 0, 'type'], 'UNION_TYPE_CHOICES'],
  ['a label over 80', { components: [row(button('a', { label: x(81) }))] }, ['components', 0, 'components', 0, 'label'], 'BASE_TYPE_MAX_LENGTH'],
  ['a custom_id over 100', { components: [row(button(x(101)))] }, ['components', 0, 'components', 0, 'custom_id'], 'BASE_TYPE_BAD_LENGTH'],
  ['an empty custom_id', { components: [row(button(''))] }, ['components', 0, 'components', 0, 'custom_id'], 'BASE_TYPE_BAD_LENGTH'],
  ['a button without custom_id', { components: [row({ type: 2, style: 1, label: 'Go' })] }, ['components', 0, 'components', 0, 'custom_id'], 'BASE_TYPE_BAD_LENGTH'],
  ['a duplicated custom_id', { components: [row(button('same')), row(button('same'))] }, ['components', 1, 'components', 0, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED'],
  ['a link button with a custom_id', { components: [row(link('https://example.test', { custom_id: 'x' }))] }, ['components', 0, 'components', 0, 'custom_id'], 'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED'],
  ['a link button without url', { components: [row({ type: 2, style: 5, label: 'Open' })] }, ['components', 0, 'components', 0, 'url'], 'BASE_TYPE_REQUIRED'],
  ['a link url over 512', { components: [row(link(`https://example.test/${x(492)}`))] }, ['components', 0, 'components', 0, 'url'], 'BASE_TYPE_MAX_LENGTH'],
  ['a link url with another scheme', { components: [row(link('ftp://example.test/file'))] }, ['components', 0, 'components', 0, 'url'], 'URL_TYPE_INVALID_SCHEME'],
  ['a button style that does not exist', { components: [row(button('a', { style: 7 }))] }, ['components', 0, 'components', 0, 'style'], 'BASE_TYPE_CHOICES'],
  ['IS_COMPONENTS_V2 with content', { flags: 32768, content: 'hi', components: [{ type: 10, content: 'x' }] }, ['content'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2'],
  ['IS_COMPONENTS_V2 with more than 40 components', { flags: 32768, content: '', components: Array.from({ length: 41 }, () => ({ type: 10, content: 'x' })) }, ['components'], 'BASE_TYPE_MAX_LENGTH'],
];

function errorAt(errors: any, path: (string | number)[]) {
  let node = errors;
  for (const key of path) node = node?.[String(key)];
  return node?._errors as { code: string; message: string }[] | undefined;
}

describe('Discord stand-in: message limits give 400 Invalid Form Body (50035), nested as Discord does', () => {
  it.each(refused)('refuses %s', async (_what, body, path, code) => {
    const reply = await edit(body);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ message: 'Invalid Form Body', code: 50035 });
    expect(errorAt(reply.json.errors, path)).toEqual([{ code, message: expect.any(String) }]);
  });

  it('accepts everything exactly at the limits', async () => {
    const body = {
      content: x(2000),
      embeds: [
        embed({ title: x(256), description: x(3000), fields: Array.from({ length: 25 }, () => ({ name: 'n', value: 'v' })) }),
        embed({ description: x(2694) }),
      ],
      components: [
        row(...Array.from({ length: 4 }, (_, i) => button(`${i}${x(99)}`, { label: x(80) })), link(`https://example.test/${x(491)}`)),
        ...Array.from({ length: 4 }, (_, i) => row(button(`row${i}`))),
      ],
    };
    const reply = await edit(body);
    expect(reply.status).toBe(200);
    expect(reply.json.content).toHaveLength(2000);
  });

  it('accepts a components-v2 message of 40 components', async () => {
    const reply = await edit({ flags: 32768, content: '', embeds: [], components: Array.from({ length: 40 }, () => ({ type: 10, content: 'x' })) });
    expect(reply.status).toBe(200);
  });

  it('leaves the message unchanged after a refused edit', async () => {
    const before = (await discordCall(webhookUrl(setup.discord, token), 'GET')).json;
    await edit({ content: x(2001) });
    expect((await discordCall(webhookUrl(setup.discord, token), 'GET')).json).toEqual(before);
  });
});
