import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkNote } from '../../src/links/link-note.ts';
import {
  findByDiscordUser,
  findByFacebookUser,
  linkAccount,
  unlinkDiscordUser,
  unlinkFacebookUser,
} from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';

const ALICE = '111111111111111111';
const BOB = '222222222222222222';
const FB_1 = '10001';
const FB_2 = '10002';
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const T1 = T0 + 60_000;

const link = (discordUserId: string, facebookUserId: string, now = T0, name = `Name of ${facebookUserId}`) =>
  linkAccount(env.DB, { discordUserId, facebookUserId, name, scopes: ['public_profile', 'email'], now });

async function rowCount(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM linked_accounts').first<{ n: number }>())!.n;
}

beforeEach(clearDatabase);

describe('linked accounts store (D1)', () => {
  it('links a new pair and finds it from either side', async () => {
    expect(await link(ALICE, FB_1)).toEqual({ kind: 'new' });
    const expected = {
      discordUserId: ALICE,
      facebookUserId: FB_1,
      name: 'Name of 10001',
      scopes: ['public_profile', 'email'],
      linkedAtMs: T0,
    };
    expect(await findByDiscordUser(env.DB, ALICE)).toEqual(expected);
    expect(await findByFacebookUser(env.DB, FB_1)).toEqual(expected);
    expect(await findByDiscordUser(env.DB, BOB)).toBeNull();
    expect(await findByFacebookUser(env.DB, FB_2)).toBeNull();
  });

  it('logging in again with the same account refreshes name and scopes but keeps the original link time', async () => {
    await link(ALICE, FB_1, T0);
    const result = await linkAccount(env.DB, { discordUserId: ALICE, facebookUserId: FB_1, name: 'New Name', scopes: ['public_profile'], now: T1 });
    expect(result).toEqual({ kind: 'refreshed' });
    expect(await findByDiscordUser(env.DB, ALICE)).toEqual({
      discordUserId: ALICE,
      facebookUserId: FB_1,
      name: 'New Name',
      scopes: ['public_profile'],
      linkedAtMs: T0,
    });
    expect(await rowCount()).toBe(1);
  });

  it('relinking a Discord user to another Facebook account replaces the old link and reports it', async () => {
    await link(ALICE, FB_1, T0);
    expect(await link(ALICE, FB_2, T1)).toEqual({ kind: 'relinked', previousFacebookUserId: FB_1 });
    expect(await findByFacebookUser(env.DB, FB_1)).toBeNull();
    expect(await findByDiscordUser(env.DB, ALICE)).toMatchObject({ facebookUserId: FB_2, linkedAtMs: T1 });
    expect(await rowCount()).toBe(1);
  });

  it('a Facebook account moves to the Discord user who logged in last, naming the one it was taken from', async () => {
    await link(ALICE, FB_1);
    expect(await link(BOB, FB_1, T1)).toEqual({ kind: 'new', movedFromDiscordUserId: ALICE });
    expect(await findByDiscordUser(env.DB, ALICE)).toBeNull();
    expect(await findByFacebookUser(env.DB, FB_1)).toMatchObject({ discordUserId: BOB, linkedAtMs: T1 });
    expect(await rowCount()).toBe(1);
  });

  it('relink and move at once: both are reported', async () => {
    await link(ALICE, FB_1);
    await link(BOB, FB_2);
    expect(await link(BOB, FB_1, T1)).toEqual({ kind: 'relinked', previousFacebookUserId: FB_2, movedFromDiscordUserId: ALICE });
    expect(await findByFacebookUser(env.DB, FB_1)).toMatchObject({ discordUserId: BOB });
    expect(await findByFacebookUser(env.DB, FB_2)).toBeNull();
    expect(await findByDiscordUser(env.DB, ALICE)).toBeNull();
    expect(await rowCount()).toBe(1);
  });

  it('two Discord users linking the same Facebook account at once: one ends up with it, and the other\'s loss is reported', async () => {
    const [alice, bob] = await Promise.all([link(ALICE, FB_1), link(BOB, FB_1)]);
    const holder = (await findByFacebookUser(env.DB, FB_1))!.discordUserId;
    expect(await rowCount()).toBe(1);
    const [winner, loser] = holder === ALICE ? [alice, bob] : [bob, alice];
    expect(winner).toEqual({ kind: 'new', movedFromDiscordUserId: holder === ALICE ? BOB : ALICE });
    expect(loser).toEqual({ kind: 'new' });
  });

  it('unlinkDiscordUser deletes the link, returns it, and returns null the second time', async () => {
    await link(ALICE, FB_1);
    await link(BOB, FB_2);
    expect(await unlinkDiscordUser(env.DB, ALICE)).toMatchObject({ discordUserId: ALICE, facebookUserId: FB_1 });
    expect(await findByDiscordUser(env.DB, ALICE)).toBeNull();
    expect(await findByFacebookUser(env.DB, FB_1)).toBeNull();
    expect(await unlinkDiscordUser(env.DB, ALICE)).toBeNull();
    expect(await findByDiscordUser(env.DB, BOB)).not.toBeNull();
  });

  it('unlinkFacebookUser deletes the link by Facebook id and leaves the others', async () => {
    await link(ALICE, FB_1);
    await link(BOB, FB_2);
    expect(await unlinkFacebookUser(env.DB, FB_2)).toMatchObject({ discordUserId: BOB, facebookUserId: FB_2 });
    expect(await findByDiscordUser(env.DB, BOB)).toBeNull();
    expect(await unlinkFacebookUser(env.DB, FB_2)).toBeNull();
    expect(await findByDiscordUser(env.DB, ALICE)).toMatchObject({ facebookUserId: FB_1 });
  });

  it('the schema itself refuses a second row for the same Discord user or Facebook account', async () => {
    await link(ALICE, FB_1);
    const insert = (discordUserId: string, facebookUserId: string) =>
      env.DB.prepare(
        'INSERT INTO linked_accounts (discord_user_id, facebook_user_id, facebook_name, granted_scopes, linked_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)',
      )
        .bind(discordUserId, facebookUserId, 'x', '', 0)
        .run();
    await expect(insert(ALICE, FB_2)).rejects.toThrow(/UNIQUE/);
    await expect(insert(BOB, FB_1)).rejects.toThrow(/UNIQUE/);
  });
});

describe('linkNote: the line the login message adds', () => {
  it('says nothing for a first link or a refresh', () => {
    expect(linkNote({ kind: 'new' })).toBeUndefined();
    expect(linkNote({ kind: 'refreshed' })).toBeUndefined();
  });

  it('mentions a replaced Facebook account and the Discord user an account was taken from', () => {
    expect(linkNote({ kind: 'relinked', previousFacebookUserId: FB_1 })).toBe('This replaces the Facebook account you had linked before.');
    expect(linkNote({ kind: 'new', movedFromDiscordUserId: ALICE })).toBe(
      `This Facebook account was linked to another Discord account (<@${ALICE}>); that link is removed.`,
    );
    expect(linkNote({ kind: 'relinked', previousFacebookUserId: FB_2, movedFromDiscordUserId: ALICE })?.split('\n')).toHaveLength(2);
  });
});
