/**
 * The Discord grant of each user in D1 (table `discord_grants`, see migrations/0003), sealed by grant-crypto.ts.
 * The sealed text doubles as the row's version: it changes on every write (fresh IV), so an update or delete can
 * say "only if nobody wrote since I read" and a refresh racing a new authorization never undoes it.
 */
import { openGrant, sealGrant, type DiscordGrant } from './grant-crypto.ts';
import type { GrantKeys } from './settings.ts';

export interface StoredGrant {
  grant: DiscordGrant;
  /** The row's sealed text: pass it back as `expected` to write or delete only that version. */
  version: string;
  /** Opened with TOKEN_ENCRYPTION_KEY_PREVIOUS: write it again to move it to the current key. */
  withPreviousKey: boolean;
}

/** The sealed text stored for the user, or null. */
export async function readSealedGrant(db: D1Database, discordUserId: string): Promise<string | null> {
  const row = await db.prepare('SELECT ciphertext FROM discord_grants WHERE discord_user_id = ?1').bind(discordUserId).first<{ ciphertext: string }>();
  return row?.ciphertext ?? null;
}

/**
 * The user's grant, or undefined when none is stored or none of the keys opens it. An unreadable grant (tampered,
 * or written under a key that is no longer configured) is logged without user id or contents and left in place:
 * the user's next authorization replaces it.
 */
export async function readGrant(db: D1Database, keys: GrantKeys, discordUserId: string): Promise<StoredGrant | undefined> {
  const sealed = await readSealedGrant(db, discordUserId);
  if (sealed === null) return undefined;
  const opened = await openGrant(keys, discordUserId, sealed);
  if (!opened.ok) {
    console.error(`linked roles: a stored Discord grant could not be read (${opened.problem}); treated as no grant`);
    return undefined;
  }
  return { grant: opened.grant, version: sealed, withPreviousKey: opened.withPreviousKey };
}

/**
 * Stores the user's grant, sealed under the current key. With `expected`, only if the stored version is still
 * that one; returns whether it was written.
 */
export async function writeGrant(
  db: D1Database,
  keys: GrantKeys,
  discordUserId: string,
  grant: DiscordGrant,
  now: number,
  expected?: string,
): Promise<boolean> {
  const sealed = await sealGrant(keys, discordUserId, grant);
  if (expected === undefined) {
    await db
      .prepare(
        `INSERT INTO discord_grants (discord_user_id, ciphertext, updated_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (discord_user_id) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at_ms = excluded.updated_at_ms`,
      )
      .bind(discordUserId, sealed, now)
      .run();
    return true;
  }
  const result = await db
    .prepare('UPDATE discord_grants SET ciphertext = ?2, updated_at_ms = ?3 WHERE discord_user_id = ?1 AND ciphertext = ?4')
    .bind(discordUserId, sealed, now, expected)
    .run();
  return result.meta.changes === 1;
}

/** Deletes the user's grant (with `expected`, only that version) and returns the sealed text deleted, or null. */
export async function deleteGrant(db: D1Database, discordUserId: string, expected?: string): Promise<string | null> {
  const statement =
    expected === undefined
      ? db.prepare('DELETE FROM discord_grants WHERE discord_user_id = ?1 RETURNING ciphertext').bind(discordUserId)
      : db.prepare('DELETE FROM discord_grants WHERE discord_user_id = ?1 AND ciphertext = ?2 RETURNING ciphertext').bind(discordUserId, expected);
  const row = await statement.first<{ ciphertext: string }>();
  return row?.ciphertext ?? null;
}
