/**
 * Signed but malformed interactions are refused at the edge (400, or an ephemeral explanation where Discord
 * expects an answer): no handler runs on a bad shape, no Durable Object is called, nothing is sent anywhere.
 * Then a seeded fuzz run of 1,500 mutated interactions: never a 5xx, never a handler failure.
 */
import { listDurableObjectIds } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandInteraction, componentInteraction, freshUser, postInteraction } from '../support/worker/discord.ts';
import { useLoginTestbed } from '../support/worker/login.ts';

const bed = useLoginTestbed();
let logs: string[];
beforeEach(() => {
  logs = [];
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
  }
});
afterEach(() => vi.restoreAllMocks());

const objects = async () => (await listDurableObjectIds(env.LOGIN_SESSIONS)).length;

/** Posts `payload` and checks that it was refused with 400 and started nothing. */
async function expectRefused(payload: unknown) {
  const before = await objects();
  const response = await postInteraction(payload);
  expect(response.status).toBe(400);
  expect(await response.text()).toMatch(/^malformed interaction: /);
  expect(await objects()).toBe(before);
  expect(bed.net().requests).toHaveLength(0);
}

describe('malformed interactions start nothing', () => {
  const login = () => commandInteraction('login', freshUser());

  it.each([
    ['without application_id', (i: Record<string, unknown>) => ({ ...i, application_id: undefined })],
    ['with an application_id that is not a snowflake', (i: Record<string, unknown>) => ({ ...i, application_id: 'undefined' })],
    ['for another application', (i: Record<string, unknown>) => ({ ...i, application_id: '999999999999999999' })],
    ['with an empty token', (i: Record<string, unknown>) => ({ ...i, token: '' })],
    ['with a token holding a slash', (i: Record<string, unknown>) => ({ ...i, token: 'a'.repeat(30) + '/../x' })],
    ['with a 13,023-character user id', (i: Record<string, unknown>) => ({ ...i, user: { id: '1'.repeat(13_023), username: 'x' } })],
    ['with a user id that is an object', (i: Record<string, unknown>) => ({ ...i, user: { id: { toString: 1 } } })],
    ['with neither user nor member.user', (i: Record<string, unknown>) => ({ ...i, user: undefined })],
    ['with member but no member.user', (i: Record<string, unknown>) => ({ ...i, user: undefined, member: {} })],
    ['without data', (i: Record<string, unknown>) => ({ ...i, data: undefined })],
    ['with an id that is a number', (i: Record<string, unknown>) => ({ ...i, id: 12 })],
    ['with a locale that is an object', (i: Record<string, unknown>) => ({ ...i, locale: {} })],
    ['with an option value that is an object', (i: Record<string, unknown>) => ({ ...i, data: { name: 'login', options: [{ name: 'provider', type: 3, value: {} }] } })],
  ])('/login %s: 400, no Durable Object, no outbound call', async (_what, mutate) => {
    await expectRefused(mutate(login()));
  });

  it('a button whose custom_id is over 100 characters: 400', async () => {
    await expectRefused(componentInteraction(`login-cancel:${'1'.repeat(95)}`, freshUser()));
  });

  it('an interaction type the bot does not handle (modal submit): 400', async () => {
    await expectRefused({ ...commandInteraction('login', freshUser()), type: 5 });
  });

  it('an option the command does not declare: an ephemeral explanation, and nothing started', async () => {
    const before = await objects();
    const response = await postInteraction({ ...login(), data: { name: 'login', options: [{ name: 'everyone', type: 3, value: 'x' }] } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining('could not be read') } });
    expect(await objects()).toBe(before);
  });

  it('the refusal is logged with the rule broken, never the token or the value', async () => {
    const interaction = { ...login(), user: { id: 'x'.repeat(50) } };
    await postInteraction(interaction);
    expect(logs.join('\n')).toContain('malformed interaction refused: user.id');
    expect(logs.join('\n')).not.toContain(interaction.token);
    expect(logs.join('\n')).not.toContain('x'.repeat(50));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Fuzz

/** A small seeded generator (mulberry32): the same run every time. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD_VALUES: unknown[] = [
  undefined, null, 0, -1, 1e308, true, '', ' ', 'x'.repeat(13_023), '../../x', '0', [], [1, 2], {}, { id: 1 }, 'login-cancel:1:2', '\u0000', 'ﬀ',
];

/** Every path (as keys) of plain-object/array members in `value`. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  return out;
}

function mutate(template: Record<string, unknown>, next: () => number): unknown {
  const copy = structuredClone(template);
  const all = paths(copy);
  const mutations = 1 + Math.floor(next() * 3);
  for (let m = 0; m < mutations; m++) {
    const path = all[Math.floor(next() * all.length)]!;
    let parent: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const child = parent[key];
      if (child === null || typeof child !== 'object') break;
      parent = child as Record<string, unknown>;
    }
    const last = path.at(-1)!;
    const value = WEIRD_VALUES[Math.floor(next() * WEIRD_VALUES.length)];
    if (value === undefined && next() < 0.5) delete parent[last];
    else parent[last] = value;
  }
  return copy;
}

describe('fuzz: 1,500 signed, mutated interactions', () => {
  it('never a 5xx, never a handler failure, and every 400 started nothing', { timeout: 120_000 }, async () => {
    const next = random(20261201);
    const templates = () => {
      const user = freshUser();
      return [
        { type: 1, id: '1100000000000000001', application_id: env.DISCORD_APPLICATION_ID, token: 'interaction-token-ping-000000', version: 1 },
        commandInteraction('login', user),
        commandInteraction('login', user, { inGuild: true }),
        commandInteraction('logout', user),
        commandInteraction('whoami', user),
        commandInteraction('ping', user),
        componentInteraction(`login-cancel:${user.id}:abcdefabcdefabcdefabcd`, user),
      ] as Array<Record<string, unknown>>;
    };
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 1_500; i++) {
      const list = templates();
      const payload = mutate(list[Math.floor(next() * list.length)]!, next);
      const before = await objects();
      const response = await postInteraction(payload);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      expect(response.status, JSON.stringify(payload).slice(0, 300)).toBeLessThan(500);
      if (response.status === 400) expect(await objects()).toBe(before);
      await response.arrayBuffer();
    }
    expect(logs.filter((line) => line.startsWith('handler for') || line.startsWith('unhandled error'))).toEqual([]);
    // The run exercises both sides: many refusals and some interactions that were still valid.
    expect(statuses[400]).toBeGreaterThan(500);
    expect(statuses[200]).toBeGreaterThan(100);
  });
});
