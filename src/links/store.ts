/**
 * Linked accounts in D1 (table `linked_accounts`, see migrations/): which Facebook account each Discord user
 * logged in with. Every change is one D1 batch, i.e. one transaction, so two Discord users linking the same
 * Facebook account at once cannot both win, and what a call reports is what it did.
 */

export interface LinkedAccount {
  discordUserId: string;
  /** Facebook's app-scoped user id (ASID). */
  facebookUserId: string;
  /** The Facebook display name at the last login. */
  name: string;
  /** Permissions granted at the last login. */
  scopes: string[];
  /** When this Discord user was first linked to this Facebook account (Unix ms). */
  linkedAtMs: number;
}

export interface NewLink {
  discordUserId: string;
  facebookUserId: string;
  name: string;
  scopes: readonly string[];
  /** Unix ms, normally Date.now(). */
  now: number;
}

/** What {@link linkAccount} did, so that the login message can tell the user. */
export interface LinkResult {
  /**
   * `new`: this Discord user had no link. `refreshed`: it was already linked to this Facebook account (name and
   * scopes are updated, the link keeps its original time). `relinked`: it was linked to another Facebook account,
   * whose link is gone.
   */
  kind: 'new' | 'refreshed' | 'relinked';
  /** With `relinked`: the Facebook account this Discord user was linked to until now. */
  previousFacebookUserId?: string;
  /** Set when the Facebook account was linked to another Discord user: that user's id (their link is gone). */
  movedFromDiscordUserId?: string;
}

interface LinkedAccountRow {
  discord_user_id: string;
  facebook_user_id: string;
  facebook_name: string;
  granted_scopes: string;
  linked_at_ms: number;
}

const COLUMNS = 'discord_user_id, facebook_user_id, facebook_name, granted_scopes, linked_at_ms';

function fromRow(row: LinkedAccountRow): LinkedAccount {
  return {
    discordUserId: row.discord_user_id,
    facebookUserId: row.facebook_user_id,
    name: row.facebook_name,
    scopes: row.granted_scopes === '' ? [] : row.granted_scopes.split(','),
    linkedAtMs: row.linked_at_ms,
  };
}

/**
 * Links `discordUserId` to `facebookUserId`, replacing whatever link either of them had. One transaction: read
 * the Discord user's current link, take the Facebook account from any other Discord user, then upsert.
 */
export async function linkAccount(db: D1Database, link: NewLink): Promise<LinkResult> {
  const { discordUserId, facebookUserId, name, scopes, now } = link;
  const [before, taken] = await db.batch<{ facebook_user_id?: string; discord_user_id?: string }>([
    db.prepare('SELECT facebook_user_id FROM linked_accounts WHERE discord_user_id = ?1').bind(discordUserId),
    db
      .prepare('DELETE FROM linked_accounts WHERE facebook_user_id = ?1 AND discord_user_id <> ?2 RETURNING discord_user_id')
      .bind(facebookUserId, discordUserId),
    db
      .prepare(
        `INSERT INTO linked_accounts (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (discord_user_id) DO UPDATE SET
           linked_at_ms = CASE WHEN facebook_user_id = excluded.facebook_user_id THEN linked_at_ms ELSE excluded.linked_at_ms END,
           facebook_user_id = excluded.facebook_user_id,
           facebook_name = excluded.facebook_name,
           granted_scopes = excluded.granted_scopes`,
      )
      .bind(discordUserId, facebookUserId, name, scopes.join(','), now),
  ]);
  const previousFacebookUserId = before?.results[0]?.facebook_user_id;
  const movedFromDiscordUserId = taken?.results[0]?.discord_user_id;

  const result: LinkResult =
    previousFacebookUserId === undefined
      ? { kind: 'new' }
      : previousFacebookUserId === facebookUserId
        ? { kind: 'refreshed' }
        : { kind: 'relinked', previousFacebookUserId };
  if (movedFromDiscordUserId !== undefined) result.movedFromDiscordUserId = movedFromDiscordUserId;
  return result;
}

export async function findByDiscordUser(db: D1Database, discordUserId: string): Promise<LinkedAccount | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM linked_accounts WHERE discord_user_id = ?1`)
    .bind(discordUserId)
    .first<LinkedAccountRow>();
  return row ? fromRow(row) : null;
}

export async function findByFacebookUser(db: D1Database, facebookUserId: string): Promise<LinkedAccount | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM linked_accounts WHERE facebook_user_id = ?1`)
    .bind(facebookUserId)
    .first<LinkedAccountRow>();
  return row ? fromRow(row) : null;
}

/** Deletes the Discord user's link and returns it (null when there was none): one statement, so no race. */
export async function unlinkDiscordUser(db: D1Database, discordUserId: string): Promise<LinkedAccount | null> {
  const row = await db
    .prepare(`DELETE FROM linked_accounts WHERE discord_user_id = ?1 RETURNING ${COLUMNS}`)
    .bind(discordUserId)
    .first<LinkedAccountRow>();
  return row ? fromRow(row) : null;
}

/** Deletes the Facebook account's link and returns it (null when there was none). */
export async function unlinkFacebookUser(db: D1Database, facebookUserId: string): Promise<LinkedAccount | null> {
  const row = await db
    .prepare(`DELETE FROM linked_accounts WHERE facebook_user_id = ?1 RETURNING ${COLUMNS}`)
    .bind(facebookUserId)
    .first<LinkedAccountRow>();
  return row ? fromRow(row) : null;
}
