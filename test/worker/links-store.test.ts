/**
 * Linked accounts in D1: one link per Discord user and provider, an account at a provider linked to at most one
 * Discord user, every change one transaction; and the migration that carried the Facebook-only rows over.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { translatorFor } from '../../src/i18n/locales.ts';
import { linkNote } from '../../src/links/link-note.ts';

const en = translatorFor('en');
import { findLinks, linkAccount, unlink } from '../../src/links/store.ts';
import type { ProviderId } from '../../src/providers/types.ts';
import { clearDatabase, linkOf, linkOfAccount } from '../support/worker/database.ts';

const ALICE = '111111111111111111';
const BOB = '222222222222222222';
const FB_1 = '10001';
const FB_2 = '10002';
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const T1 = T0 + 60_000;

const link = (discordUserId: string, subject: string, now = T0, provider: ProviderId = 'facebook', name = `Name of ${subject}`) =>
  linkAccount(env.DB, { discordUserId, provider, subject, name, scopes: ['public_profile', 'email'], now });

async function rowCount(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM links').first<{ n: number }>())!.n;
}

beforeEach(clearDatabase);

describe('linked accounts store (D1)', () => {
  it('links a new pair and finds it from either side', async () => {
    expect(await link(ALICE, FB_1)).toEqual({ kind: 'new' });
    const expected = { discordUserId: ALICE, provider: 'facebook', subject: FB_1, name: 'Name of 10001', scopes: ['public_profile', 'email'], linkedAtMs: T0 };
    expect(await findLinks(env.DB, ALICE)).toEqual([expected]);
    expect(await linkOfAccount('facebook', FB_1)).toEqual(expected);
    expect(await findLinks(env.DB, BOB)).toEqual([]);
  });

  it('one link per provider: the same Discord user links a Facebook and a GitHub account side by side, listed oldest first', async () => {
    await link(ALICE, '42', T1, 'github');
    await link(ALICE, FB_1, T0);
    expect((await findLinks(env.DB, ALICE)).map((l) => [l.provider, l.subject])).toEqual([
      ['facebook', FB_1],
      ['github', '42'],
    ]);
  });

  it('the same subject at two providers are two different accounts', async () => {
    await link(ALICE, '42', T0, 'github');
    expect(await link(BOB, '42', T0, 'oidc')).toEqual({ kind: 'new' });
    expect((await linkOfAccount('github', '42'))!.discordUserId).toBe(ALICE);
    expect((await linkOfAccount('oidc', '42'))!.discordUserId).toBe(BOB);
  });

  it('logging in again with the same account refreshes name and scopes but keeps the original link time', async () => {
    await link(ALICE, FB_1, T0);
    const result = await linkAccount(env.DB, { discordUserId: ALICE, provider: 'facebook', subject: FB_1, name: 'New Name', scopes: ['public_profile'], now: T1 });
    expect(result).toEqual({ kind: 'refreshed' });
    expect(await linkOf(ALICE)).toMatchObject({ name: 'New Name', scopes: ['public_profile'], linkedAtMs: T0 });
    expect(await rowCount()).toBe(1);
  });

  it('relinking a Discord user to another account at the same provider replaces the old link and reports it', async () => {
    await link(ALICE, FB_1, T0);
    expect(await link(ALICE, FB_2, T1)).toEqual({ kind: 'relinked' });
    expect(await linkOfAccount('facebook', FB_1)).toBeNull();
    expect(await linkOf(ALICE)).toMatchObject({ subject: FB_2, linkedAtMs: T1 });
    expect(await rowCount()).toBe(1);
  });

  it('an account moves to the Discord user who logged in last, naming the one it was taken from', async () => {
    await link(ALICE, FB_1);
    expect(await link(BOB, FB_1, T1)).toEqual({ kind: 'new', movedFromDiscordUserId: ALICE });
    expect(await linkOf(ALICE)).toBeNull();
    expect(await linkOfAccount('facebook', FB_1)).toMatchObject({ discordUserId: BOB, linkedAtMs: T1 });
    expect(await rowCount()).toBe(1);
  });

  it('relink and move at once: both are reported', async () => {
    await link(ALICE, FB_1);
    await link(BOB, FB_2);
    expect(await link(BOB, FB_1, T1)).toEqual({ kind: 'relinked', movedFromDiscordUserId: ALICE });
    expect(await linkOfAccount('facebook', FB_1)).toMatchObject({ discordUserId: BOB });
    expect(await linkOfAccount('facebook', FB_2)).toBeNull();
    expect(await linkOf(ALICE)).toBeNull();
    expect(await rowCount()).toBe(1);
  });

  it("two Discord users linking the same account at once: one ends up with it, and the other's loss is reported", async () => {
    const [alice, bob] = await Promise.all([link(ALICE, FB_1), link(BOB, FB_1)]);
    const holder = (await linkOfAccount('facebook', FB_1))!.discordUserId;
    expect(await rowCount()).toBe(1);
    const [winner, loser] = holder === ALICE ? [alice, bob] : [bob, alice];
    expect(winner).toEqual({ kind: 'new', movedFromDiscordUserId: holder === ALICE ? BOB : ALICE });
    expect(loser).toEqual({ kind: 'new' });
  });

  it('unlink deletes the link at one provider, returns it, and returns null the second time', async () => {
    await link(ALICE, FB_1);
    await link(ALICE, '42', T0, 'github');
    await link(BOB, FB_2);
    expect(await unlink(env.DB, ALICE, 'facebook')).toMatchObject({ discordUserId: ALICE, subject: FB_1 });
    expect(await linkOf(ALICE)).toBeNull();
    expect(await linkOf(ALICE, 'github')).not.toBeNull();
    expect(await unlink(env.DB, ALICE, 'facebook')).toBeNull();
    expect(await linkOf(BOB)).not.toBeNull();
  });

  it('the schema itself refuses a second row for the same Discord user and provider, or the same account', async () => {
    await link(ALICE, FB_1);
    const insert = (discordUserId: string, provider: string, subject: string) =>
      env.DB.prepare('INSERT INTO links (discord_user_id, provider, subject, name, granted_scopes, linked_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)')
        .bind(discordUserId, provider, subject, 'x', '', 0)
        .run();
    await expect(insert(ALICE, 'facebook', FB_2)).rejects.toThrow(/UNIQUE|PRIMARY/);
    await expect(insert(BOB, 'facebook', FB_1)).rejects.toThrow(/UNIQUE/);
    await expect(insert(ALICE, 'github', FB_1)).resolves.toBeTruthy();
  });
});

describe('the migration from Facebook-only links', () => {
  it("carries a database holding rows in the old schema over unchanged, as Facebook links", async () => {
    // Rebuild the old schema (migration 0001's table) with rows in it, then run migration 0002 on it.
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith('0002'))!;
    await env.DB.batch([
      env.DB.prepare('DROP TABLE links'),
      env.DB.prepare(`CREATE TABLE linked_accounts (
        discord_user_id TEXT NOT NULL PRIMARY KEY, facebook_user_id TEXT NOT NULL UNIQUE, facebook_name TEXT NOT NULL,
        granted_scopes TEXT NOT NULL, linked_at_ms INTEGER NOT NULL) STRICT`),
      env.DB.prepare('INSERT INTO linked_accounts VALUES (?1, ?2, ?3, ?4, ?5)').bind(ALICE, FB_1, 'Alice Liddell', 'public_profile,email', T0),
      env.DB.prepare('INSERT INTO linked_accounts VALUES (?1, ?2, ?3, ?4, ?5)').bind(BOB, FB_2, 'Bob', '', T1),
    ]);
    await env.DB.batch(migration.queries.map((query) => env.DB.prepare(query)));
    expect(await findLinks(env.DB, ALICE)).toEqual([
      { discordUserId: ALICE, provider: 'facebook', subject: FB_1, name: 'Alice Liddell', scopes: ['public_profile', 'email'], linkedAtMs: T0 },
    ]);
    expect(await findLinks(env.DB, BOB)).toEqual([{ discordUserId: BOB, provider: 'facebook', subject: FB_2, name: 'Bob', scopes: [], linkedAtMs: T1 }]);
    const old = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'linked_accounts'").first<{ n: number }>();
    expect(old!.n).toBe(0);
  });
});

describe('linkNote: the line the login message adds', () => {
  it('says nothing for a first link or a refresh', () => {
    expect(linkNote(en, 'Facebook', { kind: 'new' })).toBeUndefined();
    expect(linkNote(en, 'Facebook', { kind: 'refreshed' })).toBeUndefined();
  });

  it('mentions a replaced account and the Discord user an account was taken from', () => {
    expect(linkNote(en, 'Facebook', { kind: 'relinked' })).toBe('This replaces the Facebook account you had linked before.');
    expect(linkNote(en, 'GitHub', { kind: 'new', movedFromDiscordUserId: ALICE })).toBe(
      `This GitHub account was linked to another Discord account (<@${ALICE}>); that link is removed.`,
    );
    expect(linkNote(en, 'Facebook', { kind: 'relinked', movedFromDiscordUserId: ALICE })?.split('\n')).toHaveLength(2);
  });
});
