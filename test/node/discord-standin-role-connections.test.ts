import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { MetadataType, startDiscordStandin, type DiscordStandin, type RoleConnectionChange } from '../../scripts/standins/discord.ts';
import { alice, bob } from '../support/node/discord-harness.ts';
import { bearerCall, linkUser, metadataUrl, REDIRECT_URI, roleConnectionUrl } from '../support/node/discord-oauth2.ts';
import { discordCall } from '../support/node/http.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let clock: ManualClock;
let discord: DiscordStandin;

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 9, 1, 12, 0, 0));
  discord = await startDiscordStandin({ now: clock.now, oauth2RedirectUris: [REDIRECT_URI] });
});
afterEach(() => discord.close());

const RECORDS = [
  { type: MetadataType.BooleanEqual, key: 'linked', name: 'Linked', description: 'Has linked a Facebook account' },
  { type: MetadataType.DatetimeLessThanOrEqual, key: 'linked_since', name: 'Linked since', description: 'Days since the account was linked' },
  { type: MetadataType.IntegerGreaterThanOrEqual, key: 'friends', name: 'Friends', description: 'Friends on Facebook' },
];

const putMetadata = (body: unknown, authorization = `Bot ${discord.botToken}`, url = metadataUrl(discord)) =>
  discordCall(url, 'PUT', body, { authorization });

async function registered() {
  const reply = await putMetadata(RECORDS);
  if (reply.status !== 200) throw new Error(reply.text);
}

const pushConnection = (token: string, body: unknown, url = roleConnectionUrl(discord)) => bearerCall(url, 'PUT', token, body);

describe('Discord stand-in: role connection metadata records', () => {
  it('PUT replaces the whole list and answers it; GET answers it too', async () => {
    const first = await putMetadata(RECORDS);
    expect(first.status).toBe(200);
    expect(first.json).toEqual(RECORDS);
    const localized = { ...RECORDS[0]!, name_localizations: { de: 'Verknüpft' } };
    expect((await putMetadata([localized])).json).toEqual([localized]);
    const get = await discordCall(metadataUrl(discord), 'GET', undefined, { authorization: `Bot ${discord.botToken}` });
    expect(get.json).toEqual([localized]);
    expect(discord.roleConnectionMetadata()).toEqual([localized]);
  });

  it('refuses a sixth record with 50035 on the list itself', async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ ...RECORDS[0]!, key: `key_${i}` }));
    const reply = await putMetadata(six);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 5 or fewer in length.' }] },
    });
    expect(discord.roleConnectionMetadata()).toEqual([]);
  });

  it('refuses bad keys, names, descriptions, types and localizations, each at its field', async () => {
    const reply = await putMetadata([
      { ...RECORDS[0]!, key: 'Linked-Since' },
      { ...RECORDS[1]!, name: 'n'.repeat(101) },
      RECORDS[2],
      { ...RECORDS[2]!, key: 'level', type: 9, description: '' },
      { ...RECORDS[2]!, key: 'k'.repeat(51), name_localizations: { de: '' }, description_localizations: { xx: 'bad locale' } },
    ]);
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe(50035);
    const errors = reply.json.errors;
    expect(errors['0'].key._errors[0].code).toBe('STRING_TYPE_REGEX');
    expect(errors['1'].name._errors[0]).toEqual({ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' });
    expect(errors['2']).toBeUndefined();
    expect(Object.keys(errors['3']).sort()).toEqual(['description', 'type']);
    expect(errors['4'].key._errors[0].code).toBe('BASE_TYPE_BAD_LENGTH');
    expect(errors['4'].name_localizations.de._errors[0].code).toBe('BASE_TYPE_REQUIRED');
    expect(errors['4'].description_localizations.xx._errors[0].code).toBe('ENUM_TYPE_COERCE');
  });

  it('refuses a duplicate key at the second record', async () => {
    const reply = await putMetadata([RECORDS[0], { ...RECORDS[2]!, key: 'linked' }]);
    expect(reply.status).toBe(400);
    expect(reply.json.errors).toEqual({ '1': { key: { _errors: [expect.objectContaining({ code: 'APPLICATION_ROLE_CONNECTION_METADATA_DUPLICATE_KEY' })] } } });
  });

  it('needs Authorization: Bot <token> of this application (401), and this application\'s id (403)', async () => {
    const tokens = await linkUser(discord, alice);
    for (const authorization of ['', 'Bot wrong-token', `Bearer ${tokens.access_token}`]) {
      const reply = await putMetadata(RECORDS, authorization);
      expect(reply.status, authorization).toBe(401);
      expect(reply.json).toEqual({ message: '401: Unauthorized', code: 0 });
    }
    const other = await putMetadata(RECORDS, undefined, metadataUrl(discord, '1999999999999999999'));
    expect(other.status).toBe(403);
    expect(other.json).toEqual({ message: 'Missing Access', code: 50001 });
    expect(discord.roleConnectionMetadata()).toEqual([]);
  });
});

describe('Discord stand-in: a user\'s role connection', () => {
  it('PUT stores it for the token\'s user, GET answers it, DELETE removes it', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    const body = { platform_name: 'Facebook', platform_username: 'Alice Example', metadata: { linked: '1', linked_since: '2026-09-01T10:00:00Z', friends: 1483 } };
    const put = await pushConnection(tokens.access_token, body);
    expect(put.status).toBe(200);
    const stored = { platform_name: 'Facebook', platform_username: 'Alice Example', metadata: { linked: '1', linked_since: '2026-09-01T10:00:00Z', friends: '1483' } };
    expect(put.json).toEqual(stored);
    expect((await bearerCall(roleConnectionUrl(discord), 'GET', tokens.access_token)).json).toEqual(stored);
    expect(discord.roleConnection(alice.id)).toEqual({ ...stored, updatedAt: clock.now() });
    expect(discord.roleConnection(bob.id)).toBeUndefined();

    const replaced = await pushConnection(tokens.access_token, { metadata: { linked: '0' } });
    expect(replaced.json).toEqual({ platform_name: null, platform_username: null, metadata: { linked: '0' } });

    const deleted = await bearerCall(roleConnectionUrl(discord), 'DELETE', tokens.access_token);
    expect(deleted.status).toBe(204);
    expect(discord.roleConnection(alice.id)).toBeUndefined();
    expect((await bearerCall(roleConnectionUrl(discord), 'GET', tokens.access_token)).json).toEqual({ platform_name: null, platform_username: null, metadata: {} });
  });

  it('refuses unknown keys, long or ill-typed values and long platform fields with 50035, storing nothing', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    const cases: [unknown, string[], string][] = [
      [{ metadata: { cookies: '1' } }, ['metadata', 'cookies'], 'APPLICATION_ROLE_CONNECTION_METADATA_KEY_UNKNOWN'],
      [{ metadata: { friends: '1'.repeat(101) } }, ['metadata', 'friends'], 'BASE_TYPE_MAX_LENGTH'],
      [{ metadata: { linked: 'true' } }, ['metadata', 'linked'], 'BASE_TYPE_CHOICES'],
      [{ metadata: { linked: true } }, ['metadata', 'linked'], 'BASE_TYPE_STRING'],
      [{ metadata: { friends: '12.5' } }, ['metadata', 'friends'], 'NUMBER_TYPE_COERCE'],
      [{ metadata: { linked_since: 'last tuesday' } }, ['metadata', 'linked_since'], 'DATE_TYPE_PARSE'],
      [{ metadata: { linked_since: '2026-02-30' } }, ['metadata', 'linked_since'], 'DATE_TYPE_PARSE'],
      [{ platform_name: 'p'.repeat(51) }, ['platform_name'], 'BASE_TYPE_MAX_LENGTH'],
      [{ platform_username: 'u'.repeat(101) }, ['platform_username'], 'BASE_TYPE_MAX_LENGTH'],
    ];
    for (const [body, path, code] of cases) {
      const reply = await pushConnection(tokens.access_token, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.json.code).toBe(50035);
      let node = reply.json.errors;
      for (const key of path) node = node?.[key];
      expect(node?._errors?.[0]?.code, JSON.stringify(body)).toBe(code);
    }
    expect(discord.roleConnection(alice.id)).toBeUndefined();
    // The boundaries themselves are fine.
    const edge = { platform_name: 'p'.repeat(50), platform_username: 'u'.repeat(100), metadata: { friends: '9'.repeat(18), linked_since: '2003-12-20' } };
    expect((await pushConnection(tokens.access_token, edge)).status).toBe(200);
  });

  it('needs a token with role_connections.write for this application (401 otherwise), unexpired and unrevoked', async () => {
    await registered();
    const identifyOnly = await linkUser(discord, bob, 'identify');
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const reply = await bearerCall(roleConnectionUrl(discord), method, identifyOnly.access_token, method === 'PUT' ? { metadata: { linked: '1' } } : undefined);
      expect(reply.status, method).toBe(401);
      expect(reply.json).toEqual({ message: '401: Unauthorized', code: 0 });
    }
    expect(discord.roleConnection(bob.id)).toBeUndefined();

    const tokens = await linkUser(discord, alice);
    expect((await pushConnection(tokens.access_token, { metadata: { linked: '1' } }, roleConnectionUrl(discord, '1999999999999999999'))).status).toBe(401);
    discord.expireAccessTokens(alice.id);
    expect((await pushConnection(tokens.access_token, { metadata: { linked: '1' } })).status).toBe(401);
    expect(discord.roleConnection(alice.id)).toBeUndefined();
  });

  it('goes away when the user\'s authorization ends (deauthorized or revoked)', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    await pushConnection(tokens.access_token, { metadata: { linked: '1' } });
    discord.revokeGrant(alice.id);
    expect(discord.roleConnection(alice.id)).toBeUndefined();
  });
});

describe('Discord stand-in: judging role requirements', () => {
  it('BOOLEAN_EQUAL: met when the value equals the server\'s 1 (or 0); never without a value', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    expect(discord.meetsRequirement(alice.id, { key: 'linked' })).toBe(false);
    await pushConnection(tokens.access_token, { metadata: { linked: '1' } });
    expect(discord.meetsRequirement(alice.id, { key: 'linked' })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'linked', value: 1 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'linked', value: 0 })).toBe(false);
    await pushConnection(tokens.access_token, { metadata: { linked: '0' } });
    expect(discord.meetsRequirement(alice.id, { key: 'linked', value: 1 })).toBe(false);
    expect(discord.meetsRequirement(alice.id, { key: 'linked', value: 0 })).toBe(true);
    expect(() => discord.meetsRequirement(alice.id, { key: 'unknown' })).toThrow(/no role connection metadata record/);
  });

  it('DATETIME_LESS_THAN_OR_EQUAL: met once the date is at least that many days before now (stand-in clock)', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    const tenDaysAgo = new Date(clock.now() - 10 * DAY_MS).toISOString();
    await pushConnection(tokens.access_token, { metadata: { linked_since: tenDaysAgo } });
    expect(discord.meetsRequirement(alice.id, { key: 'linked_since', value: 7 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'linked_since', value: 10 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'linked_since', value: 30 })).toBe(false);
    clock.advance(20 * DAY_MS);
    expect(discord.meetsRequirement(alice.id, { key: 'linked_since', value: 30 })).toBe(true);
    expect(() => discord.meetsRequirement(alice.id, { key: 'linked_since' })).toThrow(RangeError);
  });

  it('INTEGER and the other DATETIME comparison follow the record\'s type', async () => {
    await putMetadata([
      ...RECORDS,
      { type: MetadataType.DatetimeGreaterThanOrEqual, key: 'joined', name: 'Joined', description: 'Joined recently' },
      { type: MetadataType.IntegerNotEqual, key: 'level', name: 'Level', description: 'Level is not' },
    ]);
    const tokens = await linkUser(discord, alice);
    await pushConnection(tokens.access_token, { metadata: { friends: '150', joined: new Date(clock.now() - 3 * DAY_MS).toISOString(), level: '2' } });
    expect(discord.meetsRequirement(alice.id, { key: 'friends', value: 100 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'friends', value: 151 })).toBe(false);
    expect(discord.meetsRequirement(alice.id, { key: 'joined', value: 7 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'joined', value: 1 })).toBe(false);
    expect(discord.meetsRequirement(alice.id, { key: 'level', value: 3 })).toBe(true);
    expect(discord.meetsRequirement(alice.id, { key: 'level', value: 2 })).toBe(false);
  });
});

describe('Discord stand-in: role connection events', () => {
  it('tells about metadata and connection changes, so a test waits for "requirement met" without sleeping', async () => {
    const changes: RoleConnectionChange[] = [];
    discord.events.on('roleConnection', (change) => changes.push(change));
    const met = discord.waitForRequirement(alice.id, { key: 'linked' }, 5_000);
    await registered();
    const tokens = await linkUser(discord, alice);
    await pushConnection(tokens.access_token, { platform_name: 'Facebook', metadata: { linked: '0' } });
    let settled = false;
    void met.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await pushConnection(tokens.access_token, { platform_name: 'Facebook', metadata: { linked: '1' } });
    expect((await met).metadata).toEqual({ linked: '1' });
    await expect(discord.waitForRoleConnection(alice.id, (connection) => connection.platform_name === 'Facebook', 1_000)).resolves.toMatchObject({
      metadata: { linked: '1' },
    });

    discord.revokeGrant(alice.id);
    expect(changes.map((change) => (change.kind === 'metadata' ? 'metadata' : `${change.action}:${change.cause}`))).toEqual([
      'metadata',
      'updated:put',
      'updated:put',
      'deleted:deauthorized',
    ]);
    expect(changes[0]).toEqual({ kind: 'metadata', records: RECORDS });
  });

  it('a wait for a requirement that never comes true gives up after its bound', async () => {
    await registered();
    await expect(discord.waitForRequirement(bob.id, { key: 'linked' }, 50)).rejects.toThrow(/timed out after 50 ms/);
  });
});

describe('Discord stand-in: role connections in the traffic log', () => {
  it('logs the bodies (they hold no secret) but never the bearer or bot token', async () => {
    await registered();
    const tokens = await linkUser(discord, alice);
    await pushConnection(tokens.access_token, { platform_name: 'Facebook', metadata: { linked: '1' } });
    await bearerCall(roleConnectionUrl(discord), 'GET', 'not-a-token');
    const entries = discord.traffic.entries().filter((entry) => entry.route?.includes('RoleConnection'));
    expect(entries.map(({ method, route, status, body, note }) => ({ method, route, status, body, note }))).toEqual([
      { method: 'PUT', route: 'putRoleConnectionMetadata', status: 200, body: RECORDS, note: undefined },
      { method: 'PUT', route: 'putRoleConnection', status: 200, body: { platform_name: 'Facebook', metadata: { linked: '1' } }, note: undefined },
      { method: 'GET', route: 'getRoleConnection', status: 401, body: undefined, note: 'unknown token' },
    ]);
    const text = JSON.stringify(discord.traffic.entries());
    for (const secret of [tokens.access_token, tokens.refresh_token, discord.botToken, discord.clientSecret]) expect(text).not.toContain(secret);
  });
});
