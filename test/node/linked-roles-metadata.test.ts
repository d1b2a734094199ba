/**
 * The Linked Roles schema and values (src/linked-roles/metadata.ts), judged by the Discord stand-in's own rules:
 * for 0..5 enabled providers the schema stays within Discord's limits (5 records, key pattern, name ≤ 100,
 * description ≤ 200), the values are the strings Discord wants ("1"/"0", ISO 8601), and a server's requirement
 * on them is met exactly when it should be.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../scripts/lib/clock.ts';
import { RoleConnections, validateMetadata } from '../../scripts/standins/discord-role-connections.ts';
import { LIMITS, LINKED_SINCE_KEY, metadataFor, metadataRecords, roleConnectionFor, type ProviderFacts } from '../../src/linked-roles/metadata.ts';

const ALL: ProviderFacts[] = [
  { id: 'facebook', name: 'Facebook' },
  { id: 'github', name: 'GitHub' },
  { id: 'google', name: 'Google' },
  { id: 'microsoft', name: 'Microsoft' },
  // OIDC_NAME may be 40 characters.
  { id: 'oidc', name: 'A Very Long Single Sign-On Name, Inc. 40' },
];
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 20, 12);

describe('the metadata schema', () => {
  it.each([0, 1, 2, 3, 4, 5])('with %i enabled providers: within Discord\'s limits, the stand-in accepts it', (count) => {
    const records = metadataRecords(ALL.slice(0, count));
    expect(validateMetadata(records)).toBeUndefined();
    expect(records.length).toBeLessThanOrEqual(LIMITS.records);
    expect(records.map((record) => record.key)).toEqual([...ALL.slice(0, Math.min(count, 4)).map((provider) => provider.id), LINKED_SINCE_KEY]);
    for (const record of records) {
      expect(record.key).toMatch(LIMITS.key);
      expect([...record.name].length).toBeLessThanOrEqual(LIMITS.name);
      expect([...record.description].length).toBeLessThanOrEqual(LIMITS.description);
    }
  });

  it('one BOOLEAN_EQUAL per provider named "<Provider> account linked", and linked_since as DATETIME_LESS_THAN_OR_EQUAL', () => {
    const [facebook, , , , since] = metadataRecords(ALL);
    expect(facebook).toEqual({ type: 7, key: 'facebook', name: 'Facebook account linked', description: "Has linked a Facebook account to Discord with this bot's /login" });
    expect(since).toMatchObject({ type: 5, key: 'linked_since' });
    expect(since!.description).toContain('Linked for at least N days');
  });

  it('keeps names within limits even for a provider name far longer than OIDC_NAME allows', () => {
    const records = metadataRecords([{ id: 'oidc', name: 'x'.repeat(300) }]);
    expect(validateMetadata(records)).toBeUndefined();
    expect(records[0]!.name.endsWith('…')).toBe(true);
  });
});

describe('a user\'s metadata values', () => {
  it('no link: every boolean "0", and no linked_since', () => {
    expect(metadataFor([], ALL)).toEqual({ facebook: '0', github: '0', google: '0', microsoft: '0' });
  });

  it('one link: its boolean "1" and linked_since its time in ISO 8601', () => {
    expect(metadataFor([{ provider: 'github', linkedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }], ALL)).toEqual({
      facebook: '0',
      github: '1',
      google: '0',
      microsoft: '0',
      linked_since: '2026-01-02T03:04:05.006Z',
    });
  });

  it('several links: each boolean, and linked_since the earliest (the fifth provider counts there only)', () => {
    const links = [
      { provider: 'facebook', linkedAtMs: Date.UTC(2026, 5, 1) },
      { provider: 'microsoft', linkedAtMs: Date.UTC(2026, 3, 1) },
      { provider: 'oidc', linkedAtMs: Date.UTC(2025, 11, 24) },
    ];
    expect(metadataFor(links, ALL)).toEqual({ facebook: '1', github: '0', google: '0', microsoft: '1', linked_since: '2025-12-24T00:00:00.000Z' });
  });

  it('a link at a provider that is no longer enabled counts for nothing', () => {
    expect(metadataFor([{ provider: 'google', linkedAtMs: 1 }], ALL.filter((provider) => provider.id !== 'google'))).toEqual({ facebook: '0', github: '0', microsoft: '0', oidc: '0' });
  });

  it('the role connection names the linked providers (never an outside account name) within Discord\'s limits', () => {
    const connection = roleConnectionFor([{ provider: 'github', linkedAtMs: 1 }, { provider: 'facebook', linkedAtMs: 2 }], ALL);
    expect(connection.platform_name).toBe('Linked accounts');
    expect(connection.platform_username).toBe('Facebook, GitHub');
    expect([...connection.platform_name].length).toBeLessThanOrEqual(LIMITS.platformName);
    expect(roleConnectionFor([], ALL)).toEqual({ platform_name: 'Linked accounts', metadata: { facebook: '0', github: '0', google: '0', microsoft: '0' } });
  });

  it('the stand-in accepts the values under the schema, and judges requirements on them as a server would', () => {
    const clock = manualClock(NOW);
    const roles = new RoleConnections({ now: clock.now, onChange: () => {} });
    expect(roles.putMetadata(metadataRecords(ALL)).status).toBe(200);
    const links = [
      { provider: 'facebook', linkedAtMs: NOW - 40 * DAY },
      { provider: 'oidc', linkedAtMs: NOW - 100 * DAY },
    ];
    expect(roles.putConnection('u1', { ...roleConnectionFor(links, ALL) }).status).toBe(200);
    expect(roles.meetsRequirement('u1', { key: 'facebook' })).toBe(true);
    expect(roles.meetsRequirement('u1', { key: 'github' })).toBe(false);
    expect(roles.meetsRequirement('u1', { key: LINKED_SINCE_KEY, value: 100 })).toBe(true);
    expect(roles.meetsRequirement('u1', { key: LINKED_SINCE_KEY, value: 101 })).toBe(false);

    expect(roles.putConnection('u1', { ...roleConnectionFor([], ALL) }).status).toBe(200);
    expect(roles.meetsRequirement('u1', { key: 'facebook' })).toBe(false);
    expect(roles.meetsRequirement('u1', { key: LINKED_SINCE_KEY, value: 0 })).toBe(false);
  });
});
