/**
 * Keeping a user's Linked Roles current without them coming back: read their stored Discord grant, refresh it
 * when it has expired, and PUT the role connection computed from their links. And forgetting the grant. No
 * Durable Object code here: the caller (the user's LoginSession after a login, a logout or a relink; the Linked
 * Roles callback) decides when, and retries a `retry` after `afterMs`.
 *
 * Races: the grant is read, refreshed and written back only if nobody wrote it meanwhile (grants.ts). A refresh
 * that loses (Discord already rotated the refresh token for a concurrent push, so it says invalid_grant) deletes
 * nothing unless the row is still the version it read; otherwise it reads again and uses the newer grant.
 */
import type { Env } from '../env.ts';
import { findLinks } from '../links/store.ts';
import { enabledProviders } from '../providers/registry.ts';
import { deleteRoleConnection, putRoleConnection, refreshGrant, revokeToken } from './discord-oauth.ts';
import { openGrant } from './grant-crypto.ts';
import { deleteGrant, readGrant, writeGrant } from './grants.ts';
import { roleConnectionFor, type RoleConnection } from './metadata.ts';
import { linkedRolesSetting, type LinkedRolesSettings } from './settings.ts';

export type PushResult =
  /** Discord has the user's current role connection. */
  | { kind: 'pushed'; connection: RoleConnection }
  /** Linked Roles are not set up (or misconfigured: logged once by name): nothing to do. */
  | { kind: 'disabled' }
  /** The user never opened Linked Roles (or their grant is unreadable): nothing to do until they do. */
  | { kind: 'no-grant' }
  /** Discord refused the grant (invalid_grant: the user deauthorized the app); it was deleted. */
  | { kind: 'revoked' }
  /** 429, 5xx, timeout or network: call again after `afterMs`. */
  | { kind: 'retry'; afterMs: number; reason: string }
  /** Anything else (e.g. a metadata key Discord does not know: run register-commands); logged. Not worth retrying. */
  | { kind: 'failed'; reason: string };

/** Refresh a little before the access token's expiry, so it does not expire on the way. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Reads after losing a race before giving up with `retry`. */
const MAX_ATTEMPTS = 3;
const RACE_RETRY_MS = 1_000;

/** Pushes the user's role connection as their links are now. */
export async function pushRoleConnection(env: Env, discordUserId: string): Promise<PushResult> {
  const setting = linkedRolesSetting(env);
  if (!setting?.ok) return { kind: 'disabled' };
  const result = await push(env, setting.value, discordUserId);
  if (result.kind === 'failed') console.error(`linked roles: pushing a role connection failed: ${result.reason}`);
  if (result.kind === 'revoked') console.warn('linked roles: Discord refused a stored grant (invalid_grant); it is deleted');
  return result;
}

async function push(env: Env, settings: LinkedRolesSettings, discordUserId: string): Promise<PushResult> {
  let forceRefresh = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await readGrant(env.DB, settings.keys, discordUserId);
    if (!stored) return { kind: 'no-grant' };
    let { grant } = stored;
    const now = Date.now();
    const refreshing = forceRefresh || grant.expiresAtMs - REFRESH_MARGIN_MS <= now;
    if (refreshing) {
      const refreshed = await refreshGrant(settings, grant.refreshToken, now);
      if (refreshed.kind === 'invalid_grant') {
        if ((await deleteGrant(env.DB, discordUserId, stored.version)) !== null) return { kind: 'revoked' };
        continue; // someone wrote a newer grant meanwhile: use that one
      }
      if (refreshed.kind !== 'ok') return refreshed;
      // The old refresh token is spent now; if someone wrote meanwhile, theirs is the newer grant: read again.
      if (!(await writeGrant(env.DB, settings.keys, discordUserId, refreshed.grant, now, stored.version))) continue;
      grant = refreshed.grant;
    } else if (stored.withPreviousKey) {
      // Key rotation: move the grant to the current key (a lost race just means someone else wrote it).
      await writeGrant(env.DB, settings.keys, discordUserId, grant, now, stored.version);
    }

    const connection = roleConnectionFor(await findLinks(env.DB, discordUserId), enabledProviders(env));
    const put = await putRoleConnection(settings, grant.accessToken, connection);
    if (put.kind === 'ok') return { kind: 'pushed', connection };
    if (put.kind !== 'unauthorized') return put;
    // 401 on an access token we believed valid: the user may have deauthorized; the refresh tells.
    if (refreshing) return { kind: 'failed', reason: 'Discord refused a freshly refreshed access token (401)' };
    forceRefresh = true;
  }
  return { kind: 'retry', afterMs: RACE_RETRY_MS, reason: 'the stored grant changed during every attempt' };
}

export type ForgetResult =
  | { kind: 'nothing-stored' }
  /** The grant is deleted; `revoked`: Discord confirmed the revocation (false: it could not be reached or refused). */
  | { kind: 'forgotten'; revoked: boolean };

/**
 * Deletes the user's Discord grant, then (best effort) removes their role connection and revokes the grant at
 * Discord, which ends the app's authorization. Deleting comes first: whatever Discord answers, nothing is kept.
 */
export async function forgetDiscordGrant(env: Env, discordUserId: string): Promise<ForgetResult> {
  const sealed = await deleteGrant(env.DB, discordUserId);
  if (sealed === null) return { kind: 'nothing-stored' };
  const setting = linkedRolesSetting(env);
  if (!setting?.ok) return { kind: 'forgotten', revoked: false };
  const opened = await openGrant(setting.value.keys, discordUserId, sealed);
  if (!opened.ok) return { kind: 'forgotten', revoked: false };
  const { grant } = opened;
  if (grant.expiresAtMs > Date.now()) {
    const removed = await deleteRoleConnection(setting.value, grant.accessToken);
    if (removed.kind === 'retry' || removed.kind === 'failed') console.warn(`linked roles: removing a role connection failed: ${removed.reason}`);
  }
  const revoked = await revokeToken(setting.value, grant.refreshToken, 'refresh_token');
  if (revoked.kind !== 'ok') console.warn(`linked roles: revoking a Discord grant failed: ${revoked.reason}`);
  return { kind: 'forgotten', revoked: revoked.kind === 'ok' };
}

export type LinkedRolesStatus = { kind: 'off' } | { kind: 'connected' } | { kind: 'not-connected'; startUrl: string };

/** For /whoami: whether Linked Roles are set up, and whether a readable grant is stored for the user. */
export async function linkedRolesStatus(env: Env, discordUserId: string): Promise<LinkedRolesStatus> {
  const setting = linkedRolesSetting(env);
  if (!setting?.ok) return { kind: 'off' };
  if (await readGrant(env.DB, setting.value.keys, discordUserId)) return { kind: 'connected' };
  return { kind: 'not-connected', startUrl: setting.value.redirectUri.replace(/\/callback$/, '') };
}
