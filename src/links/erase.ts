/**
 * Forgetting a Facebook user: the one module that knows every place the bot keeps something about one. The
 * deauthorize and data-deletion callbacks call it; /logout removes only the caller's own link (src/links/store.ts).
 */
import type { Env } from '../env.ts';
import { loginSession } from '../login/stub.ts';
import { newConfirmationCode, recordDeletionRequestStatements, type DeletionRequest } from './deletion-requests.ts';

/**
 * Statements deleting every D1 row that holds this Facebook user's id or name; the first one returns the
 * Discord users whose link went.
 * A new table that holds Facebook data needs its DELETE here: the callback tests (test/worker/facebook-*.test.ts)
 * search every table for leftovers.
 */
function eraseStatements(db: D1Database, facebookUserId: string): D1PreparedStatement[] {
  return [db.prepare("DELETE FROM links WHERE provider = 'facebook' AND subject = ?1 RETURNING discord_user_id").bind(facebookUserId)];
}

/**
 * Tells a Discord user's LoginSession Durable Object to drop what it still holds about their Facebook account
 * (a "Logged in as" reply not yet delivered). The object erases its own storage whenever a login ends, so this
 * matters only in the seconds between a login's success and its final edit.
 */
export async function forgetLoginSession(env: Env, discordUserId: string): Promise<void> {
  await loginSession(env, discordUserId).forgetAccount('facebook', discordUserId);
}

async function erase(env: Env, facebookUserId: string, alsoInTransaction: D1PreparedStatement[]): Promise<void> {
  const [deleted] = await env.DB.batch<{ discord_user_id: string }>([
    ...eraseStatements(env.DB, facebookUserId),
    ...alsoInTransaction,
  ]);
  for (const { discord_user_id } of deleted?.results ?? []) {
    // The D1 rows are gone either way; a login object that cannot be reached now erases its own storage within
    // 15 minutes, when its interaction token expires.
    await forgetLoginSession(env, discord_user_id).catch((error: unknown) =>
      console.error(`could not reach the login session to erase it: ${error instanceof Error ? error.message : 'unknown error'}`),
    );
  }
}

/** For the deauthorize callback: the user removed the app, so the bot forgets them. */
export async function eraseFacebookUser(env: Env, facebookUserId: string): Promise<void> {
  await erase(env, facebookUserId, []);
}

/**
 * For the data-deletion callback: forgets the user and, in the same transaction, records the request under a new
 * confirmation code (so the status page can never say "completed" for data that is still there).
 */
export async function eraseFacebookUserOnRequest(env: Env, facebookUserId: string, now: number): Promise<DeletionRequest> {
  const request: DeletionRequest = { confirmationCode: newConfirmationCode(), requestedAtMs: now, status: 'completed' };
  await erase(env, facebookUserId, recordDeletionRequestStatements(env.DB, request));
  return request;
}
