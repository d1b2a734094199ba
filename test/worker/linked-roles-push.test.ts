/**
 * pushRoleConnection and forgetDiscordGrant, what the user's LoginSession calls after a login, a relink, a logout
 * or Facebook's callbacks: the metadata follows the links; an expired grant is refreshed first (exact form), a
 * refused one (invalid_grant) forgotten; 429 and 5xx are `retry` with Discord's delay; a refresh that loses a race
 * never deletes a newer grant; no token reaches a log line.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkAccount, unlink } from '../../src/links/store.ts';
import { forgetDiscordGrant, pushRoleConnection } from '../../src/linked-roles/push.ts';
import { writeGrant } from '../../src/linked-roles/grants.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { freshUser } from '../support/worker/discord.ts';
import { advanceClock, useLoginTestbed } from '../support/worker/login.ts';
import {
  APP,
  CLIENT_SECRET,
  connectionAnswer,
  LINKED_ROLES_ROUTES as R,
  newTokens,
  oauthError,
  storedGrant,
  storeGrant,
  tokenAnswer,
  unauthorized,
  workerKeys,
} from '../support/worker/linked-roles.ts';
import { hang, json } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const DAY = 86_400_000;
let logged: string[];
let secrets: string[];

beforeEach(async () => {
  await clearDatabase();
  logged = [];
  secrets = [CLIENT_SECRET];
  for (const level of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
});
afterEach(() => {
  for (const secret of secrets) expect(logged.join('\n')).not.toContain(secret);
  vi.restoreAllMocks();
});

/** A user with a valid grant (expires in a week). */
async function connectedUser() {
  const user = freshUser();
  const tokens = await storeGrant(user.id, Date.now() + 7 * DAY);
  secrets.push(tokens.access, tokens.refresh);
  return { user, tokens };
}

const link = (userId: string, provider: 'facebook' | 'github' | 'google' | 'microsoft' | 'oidc', now: number, subject = `${provider}-${userId}`) =>
  linkAccount(env.DB, { discordUserId: userId, provider, subject, name: 'Someone', scopes: [], now });

const pushedBodies = () => bed.net().to(R.putConnection).map((request) => request.json);

describe('pushRoleConnection', () => {
  it('with no stored grant does nothing: no-grant, no request', async () => {
    expect(await pushRoleConnection(env, freshUser().id)).toEqual({ kind: 'no-grant' });
    expect(bed.net().requests).toEqual([]);
  });

  it('with Linked Roles not set up does nothing: disabled', async () => {
    const { user } = await connectedUser();
    expect(await pushRoleConnection({ ...env, DISCORD_CLIENT_SECRET: undefined, TOKEN_ENCRYPTION_KEY: undefined }, user.id)).toEqual({ kind: 'disabled' });
    expect(bed.net().requests).toEqual([]);
  });

  it('puts the metadata of the links as they are, with the stored access token: after login, relink and logout', async () => {
    const { user, tokens } = await connectedUser();
    bed.net().always(R.putConnection, connectionAnswer);
    const t1 = Date.UTC(2026, 2, 1);
    await link(user.id, 'github', t1);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'pushed' });
    const [put] = bed.net().to(R.putConnection);
    expect(put!.url.href).toBe(`https://discord.test/api/v10/users/@me/applications/${APP}/role-connection`);
    expect(put!.headers.get('authorization')).toBe(`Bearer ${tokens.access}`);
    expect(put!.headers.get('user-agent')).toMatch(/^DiscordBot \(/);

    await link(user.id, 'facebook', t1 + DAY);
    await pushRoleConnection(env, user.id);
    // A relink to another account at the same provider: a new link time.
    await link(user.id, 'github', t1 + 2 * DAY, 'another-github-account');
    await pushRoleConnection(env, user.id);
    await unlink(env.DB, user.id, 'github');
    await unlink(env.DB, user.id, 'facebook');
    await pushRoleConnection(env, user.id);

    const zeros = { facebook: '0', github: '0', google: '0', microsoft: '0' };
    expect(pushedBodies()).toEqual([
      { platform_name: 'Linked accounts', platform_username: 'GitHub', metadata: { ...zeros, github: '1', linked_since: '2026-03-01T00:00:00.000Z' } },
      { platform_name: 'Linked accounts', platform_username: 'Facebook, GitHub', metadata: { ...zeros, github: '1', facebook: '1', linked_since: '2026-03-01T00:00:00.000Z' } },
      { platform_name: 'Linked accounts', platform_username: 'Facebook, GitHub', metadata: { ...zeros, github: '1', facebook: '1', linked_since: '2026-03-02T00:00:00.000Z' } },
      // The last link gone: every boolean false, no linked_since.
      { platform_name: 'Linked accounts', metadata: zeros },
    ]);
  });

  it('a link at the fifth provider counts toward linked_since only', async () => {
    const { user } = await connectedUser();
    bed.net().always(R.putConnection, connectionAnswer);
    await link(user.id, 'oidc', Date.UTC(2026, 0, 1));
    await pushRoleConnection(env, user.id);
    expect(pushedBodies()[0]).toEqual({
      platform_name: 'Linked accounts',
      platform_username: 'Example SSO',
      metadata: { facebook: '0', github: '0', google: '0', microsoft: '0', linked_since: '2026-01-01T00:00:00.000Z' },
    });
  });

  it('refreshes an expired grant first (exact form), stores the new one, and pushes with the new access token', async () => {
    const { user, tokens } = await connectedUser();
    advanceClock(7 * DAY);
    const fresh = newTokens();
    secrets.push(fresh.access, fresh.refresh);
    bed.net().script(R.token, tokenAnswer(fresh));
    bed.net().script(R.putConnection, connectionAnswer);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'pushed' });
    const [refresh] = bed.net().to(R.token);
    expect(refresh!.url.href).toBe('https://discord.test/api/v10/oauth2/token');
    expect(refresh!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(refresh!.params)).toEqual({ grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: APP, client_secret: CLIENT_SECRET });
    expect(bed.net().to(R.putConnection)[0]!.headers.get('authorization')).toBe(`Bearer ${fresh.access}`);
    expect(await storedGrant(user.id)).toEqual({ accessToken: fresh.access, refreshToken: fresh.refresh, expiresAtMs: Date.now() + 604_800_000, scope: 'identify role_connections.write' });
  });

  it('refreshes within 5 minutes of the expiry, not before', async () => {
    const { user } = await connectedUser();
    bed.net().always(R.putConnection, connectionAnswer);
    bed.net().always(R.token, tokenAnswer());
    advanceClock(7 * DAY - 5 * 60_000 - 1);
    await pushRoleConnection(env, user.id);
    expect(bed.net().to(R.token)).toHaveLength(0);
    advanceClock(1);
    await pushRoleConnection(env, user.id);
    expect(bed.net().to(R.token)).toHaveLength(1);
  });

  it('invalid_grant on the refresh (the user deauthorized the app): the grant is forgotten, nothing pushed', async () => {
    const { user } = await connectedUser();
    advanceClock(8 * DAY);
    bed.net().script(R.token, oauthError(400, 'invalid_grant'));
    expect(await pushRoleConnection(env, user.id)).toEqual({ kind: 'revoked' });
    expect(await storedGrant(user.id)).toBeUndefined();
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM discord_grants').first('n')).toBe(0);
    expect(bed.net().to(R.putConnection)).toEqual([]);
    expect(logged.join('\n')).toContain('Discord refused a stored grant (invalid_grant); it is deleted');
  });

  it('a 401 on the push (revoked in Discord meanwhile) refreshes to find out: invalid_grant forgets the grant', async () => {
    const { user } = await connectedUser();
    bed.net().script(R.putConnection, unauthorized);
    bed.net().script(R.token, oauthError(400, 'invalid_grant'));
    expect(await pushRoleConnection(env, user.id)).toEqual({ kind: 'revoked' });
    expect(await storedGrant(user.id)).toBeUndefined();
  });

  it('a 401 on the push, and the refresh works: pushed with the new token', async () => {
    const { user } = await connectedUser();
    const fresh = newTokens();
    secrets.push(fresh.access, fresh.refresh);
    bed.net().script(R.putConnection, unauthorized, connectionAnswer);
    bed.net().script(R.token, tokenAnswer(fresh));
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'pushed' });
    expect(bed.net().to(R.putConnection).map((request) => request.headers.get('authorization'))).toEqual([expect.any(String), `Bearer ${fresh.access}`]);
  });

  it("a 401 even with a freshly refreshed token fails (no loop)", async () => {
    const { user } = await connectedUser();
    bed.net().always(R.putConnection, unauthorized);
    bed.net().always(R.token, tokenAnswer());
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'failed' });
    expect(bed.net().to(R.token)).toHaveLength(1);
    expect(bed.net().to(R.putConnection)).toHaveLength(2);
  });

  it.each([
    ['429 with retry_after in the body', () => json(429, { message: 'You are being rate limited.', retry_after: 3.5, global: false }, { 'retry-after': '4' }), 3_500],
    ['429 with Retry-After only', () => new Response('', { status: 429, headers: { 'retry-after': '7' } }), 7_000],
    ['500', () => json(500, { message: '500: Internal Server Error', code: 0 }), 5_000],
    ['502 without a body', () => new Response('bad gateway', { status: 502 }), 5_000],
    ['a network error', () => Promise.reject(new TypeError('fetch failed')), 5_000],
  ])('the push meets %s: retry after Discord\'s delay (or 5 s), grant kept', async (_what, answer, afterMs) => {
    const { user } = await connectedUser();
    bed.net().script(R.putConnection, answer);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'retry', afterMs });
    expect(await storedGrant(user.id)).toBeDefined();
  });

  it('the push times out: retry', async () => {
    const { user } = await connectedUser();
    bed.net().script(R.putConnection, hang);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'retry', afterMs: 5_000, reason: expect.stringContaining('timed out') });
  }, 15_000);

  it('the refresh meets a 503 or a 429: retry, the old grant kept as it was', async () => {
    const { user, tokens } = await connectedUser();
    advanceClock(8 * DAY);
    bed.net().script(R.token, () => json(503, { message: 'unavailable' }), () => json(429, { retry_after: 1.25 }));
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'retry', afterMs: 5_000 });
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'retry', afterMs: 1_250 });
    expect((await storedGrant(user.id))!.refreshToken).toBe(tokens.refresh);
  });

  it("Discord refuses the body (an unregistered key): failed, with Discord's field errors logged and no token", async () => {
    const { user, tokens } = await connectedUser();
    bed.net().script(R.putConnection, () =>
      json(400, { message: `Invalid Form Body for ${tokens.access}`, code: 50035, errors: { metadata: { github: { _errors: [{ code: 'KEY_UNKNOWN', message: 'not a key' }] } } } }),
    );
    const result = await pushRoleConnection(env, user.id);
    expect(result).toMatchObject({ kind: 'failed', reason: expect.stringContaining('HTTP 400 (code 50035') });
    expect(logged.join('\n')).toContain('KEY_UNKNOWN');
    expect(JSON.stringify(result)).not.toContain(tokens.access);
  });

  it('a refresh that loses a race (invalid_grant, but a newer grant was stored meanwhile) deletes nothing and uses the newer grant', async () => {
    const { user } = await connectedUser();
    advanceClock(8 * DAY);
    const newer = newTokens();
    secrets.push(newer.access, newer.refresh);
    bed.net().script(R.token, async () => {
      // Meanwhile, the user connected again through the callback.
      await writeGrant(env.DB, await workerKeys(), user.id, { accessToken: newer.access, refreshToken: newer.refresh, expiresAtMs: Date.now() + 7 * DAY, scope: 'identify role_connections.write' }, Date.now());
      return json(400, { error: 'invalid_grant' });
    });
    bed.net().script(R.putConnection, connectionAnswer);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'pushed' });
    expect(bed.net().to(R.putConnection)[0]!.headers.get('authorization')).toBe(`Bearer ${newer.access}`);
    expect((await storedGrant(user.id))!.refreshToken).toBe(newer.refresh);
  });

  it('a refresh whose write loses a race keeps the newer grant stored', async () => {
    const { user } = await connectedUser();
    advanceClock(8 * DAY);
    const newer = newTokens();
    const refreshed = newTokens();
    secrets.push(newer.access, newer.refresh, refreshed.access, refreshed.refresh);
    bed.net().script(R.token, async () => {
      await writeGrant(env.DB, await workerKeys(), user.id, { accessToken: newer.access, refreshToken: newer.refresh, expiresAtMs: Date.now() + 7 * DAY, scope: 'identify role_connections.write' }, Date.now());
      return tokenAnswer(refreshed)();
    });
    bed.net().script(R.putConnection, connectionAnswer);
    expect(await pushRoleConnection(env, user.id)).toMatchObject({ kind: 'pushed' });
    expect((await storedGrant(user.id))!.refreshToken).toBe(newer.refresh);
    expect(bed.net().to(R.putConnection)[0]!.headers.get('authorization')).toBe(`Bearer ${newer.access}`);
  });

  it('key rotation: a grant written under the previous key is pushed and moved to the current key', async () => {
    const user = freshUser();
    const oldKey = env.TOKEN_ENCRYPTION_KEY!;
    const newKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const tokens = await storeGrant(user.id, Date.now() + 7 * DAY); // under the current test key
    secrets.push(tokens.access, tokens.refresh);
    const rotated = { ...env, TOKEN_ENCRYPTION_KEY: newKey, TOKEN_ENCRYPTION_KEY_PREVIOUS: oldKey };
    const before = await env.DB.prepare('SELECT ciphertext FROM discord_grants').first<string>('ciphertext');
    bed.net().always(R.putConnection, connectionAnswer);
    expect(await pushRoleConnection(rotated, user.id)).toMatchObject({ kind: 'pushed' });
    const after = await env.DB.prepare('SELECT ciphertext FROM discord_grants').first<string>('ciphertext');
    expect(after).not.toBe(before);
    // Readable with the new key alone now.
    expect(await pushRoleConnection({ ...env, TOKEN_ENCRYPTION_KEY: newKey }, user.id)).toMatchObject({ kind: 'pushed' });
    expect(await pushRoleConnection(env, user.id)).toEqual({ kind: 'no-grant' });
  });
});

describe('forgetDiscordGrant', () => {
  it('deletes the grant, removes the role connection and revokes the grant at Discord (exact form)', async () => {
    const { user, tokens } = await connectedUser();
    bed.net().script(R.deleteConnection, () => new Response(null, { status: 204 }));
    bed.net().script(R.revoke, () => json(200, {}));
    expect(await forgetDiscordGrant(env, user.id)).toEqual({ kind: 'forgotten', revoked: true });
    expect(await storedGrant(user.id)).toBeUndefined();
    expect(bed.net().to(R.deleteConnection)[0]!.headers.get('authorization')).toBe(`Bearer ${tokens.access}`);
    const [revoke] = bed.net().to(R.revoke);
    expect(revoke!.url.href).toBe('https://discord.test/api/v10/oauth2/token/revoke');
    expect(Object.fromEntries(revoke!.params)).toEqual({ token: tokens.refresh, token_type_hint: 'refresh_token', client_id: APP, client_secret: CLIENT_SECRET });
  });

  it('deletes the grant even when Discord cannot be reached, and says it could not revoke', async () => {
    const { user } = await connectedUser();
    bed.net().always(R.deleteConnection, () => json(503, {}));
    bed.net().always(R.revoke, () => json(500, {}));
    expect(await forgetDiscordGrant(env, user.id)).toEqual({ kind: 'forgotten', revoked: false });
    expect(await storedGrant(user.id)).toBeUndefined();
    expect(logged.join('\n')).toContain('revoking a Discord grant failed');
  });

  it('an expired access token is not used for the removal; the revocation still goes out', async () => {
    const { user } = await connectedUser();
    advanceClock(8 * DAY);
    bed.net().script(R.revoke, () => json(200, {}));
    expect(await forgetDiscordGrant(env, user.id)).toEqual({ kind: 'forgotten', revoked: true });
    expect(bed.net().to(R.deleteConnection)).toEqual([]);
  });

  it('with nothing stored, does nothing', async () => {
    expect(await forgetDiscordGrant(env, freshUser().id)).toEqual({ kind: 'nothing-stored' });
    expect(bed.net().requests).toEqual([]);
  });
});
