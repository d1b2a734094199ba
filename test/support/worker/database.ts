/** D1 helpers for tests: start each test from empty tables, and look at everything stored. */
import { env } from 'cloudflare:workers';

/** Every table a query can read (D1's own `_cf_` tables are not readable). */
async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  return results.map((row) => row.name);
}

/** Empties the tables the migrations created (storage is shared by the tests of one file). */
export async function clearDatabase(): Promise<void> {
  const data = (await tables()).filter((table) => table !== 'd1_migrations');
  await env.DB.batch(data.map((table) => env.DB.prepare(`DELETE FROM "${table}"`)));
}

/** Every row of every table, as one JSON text per table: to prove that a value is stored nowhere. */
export async function everythingStored(): Promise<Record<string, string>> {
  const dump: Record<string, string> = {};
  for (const table of await tables()) {
    dump[table] = JSON.stringify((await env.DB.prepare(`SELECT * FROM "${table}"`).all()).results);
  }
  return dump;
}

/** The Discord user's link at `provider` (Facebook by default), or null. */
export async function linkOf(discordUserId: string, provider: string = 'facebook') {
  const { findLinks } = await import('../../../src/links/store.ts');
  return (await findLinks(env.DB, discordUserId)).find((link) => link.provider === provider) ?? null;
}

/** Who holds the account `subject` at `provider`, as a link, or null. */
export async function linkOfAccount(provider: string, subject: string) {
  const row = await env.DB.prepare('SELECT discord_user_id FROM links WHERE provider = ?1 AND subject = ?2').bind(provider, subject).first<{ discord_user_id: string }>();
  return row ? linkOf(row.discord_user_id, provider) : null;
}
