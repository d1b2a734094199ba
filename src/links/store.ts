/**
 * Linked accounts in D1 (table `links`, see migrations/): which account at each provider a Discord user logged
 * in with. A Discord user has at most one link per provider, and an account at a provider is linked to at most
 * one Discord user. Every change is one D1 batch, i.e. one transaction, so two Discord users linking the same
 * account at once cannot both win, and what a call reports is what it did.
 */
import type { ProviderId } from '../providers/types.ts';

export interface Link {
  discordUserId: string;
  provider: ProviderId;
  /** The account's stable id at the provider. */
  subject: string;
  /** The display name at the last login. */
  name: string;
  /** Permissions granted at the last login. */
  scopes: string[];
  /** When this Discord user was first linked to this account (Unix ms). */
  linkedAtMs: number;
}

export interface NewLink {
  discordUserId: string;
  provider: ProviderId;
  subject: string;
  name: string;
  scopes: readonly string[];
  /** Unix ms, normally Date.now(). */
  now: number;
}

/** What {@link linkAccount} did, so that the login message can tell the user. */
export interface LinkResult {
  /**
   * `new`: this Discord user had no link at this provider. `refreshed`: it was already linked to this account
   * (name and scopes are updated, the link keeps its original time). `relinked`: it was linked to another
   * account at this provider, whose link is gone.
   */
  kind: 'new' | 'refreshed' | 'relinked';
  /** Set when the account was linked to another Discord user: that user's id (their link is gone). */
  movedFromDiscordUserId?: string;
}

interface LinkRow {
  discord_user_id: string;
  provider: ProviderId;
  subject: string;
  name: string;
  granted_scopes: string;
  linked_at_ms: number;
}

const COLUMNS = 'discord_user_id, provider, subject, name, granted_scopes, linked_at_ms';

function fromRow(row: LinkRow): Link {
  return {
    discordUserId: row.discord_user_id,
    provider: row.provider,
    subject: row.subject,
    name: row.name,
    scopes: row.granted_scopes === '' ? [] : row.granted_scopes.split(','),
    linkedAtMs: row.linked_at_ms,
  };
}

/**
 * Links `discordUserId` to `subject` at `provider`, replacing whatever link either of them had there. One
 * transaction: read the Discord user's current link, take the account from any other Discord user, then upsert.
 */
export async function linkAccount(db: D1Database, link: NewLink): Promise<LinkResult> {
  const { discordUserId, provider, subject, name, scopes, now } = link;
  const [before, taken] = await db.batch<{ subject?: string; discord_user_id?: string }>([
    db.prepare('SELECT subject FROM links WHERE discord_user_id = ?1 AND provider = ?2').bind(discordUserId, provider),
    db
      .prepare('DELETE FROM links WHERE provider = ?1 AND subject = ?2 AND discord_user_id <> ?3 RETURNING discord_user_id')
      .bind(provider, subject, discordUserId),
    db
      .prepare(
        `INSERT INTO links (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (discord_user_id, provider) DO UPDATE SET
           linked_at_ms = CASE WHEN subject = excluded.subject THEN linked_at_ms ELSE excluded.linked_at_ms END,
           subject = excluded.subject,
           name = excluded.name,
           granted_scopes = excluded.granted_scopes`,
      )
      .bind(discordUserId, provider, subject, name, scopes.join(','), now),
  ]);
  const previous = before?.results[0]?.subject;
  const movedFromDiscordUserId = taken?.results[0]?.discord_user_id;
  const result: LinkResult = { kind: previous === undefined ? 'new' : previous === subject ? 'refreshed' : 'relinked' };
  if (movedFromDiscordUserId !== undefined) result.movedFromDiscordUserId = movedFromDiscordUserId;
  return result;
}

/** Every link of a Discord user, oldest first. */
export async function findLinks(db: D1Database, discordUserId: string): Promise<Link[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM links WHERE discord_user_id = ?1 ORDER BY linked_at_ms, provider`)
    .bind(discordUserId)
    .all<LinkRow>();
  return results.map(fromRow);
}

/** Deletes the Discord user's link at `provider` and returns it (null when there was none): one statement. */
export async function unlink(db: D1Database, discordUserId: string, provider: ProviderId): Promise<Link | null> {
  const row = await db
    .prepare(`DELETE FROM links WHERE discord_user_id = ?1 AND provider = ?2 RETURNING ${COLUMNS}`)
    .bind(discordUserId, provider)
    .first<LinkRow>();
  return row ? fromRow(row) : null;
}
