/**
 * /logout: answered at once with a deferred ephemeral reply; the user's LoginSession object then deletes the link
 * (whatever happens at Facebook), revokes the app's permissions with DELETE {graph}/{user-id}/permissions and the
 * app token in the Authorization header, and edits the reply with exactly what happened. Facebook and Discord are
 * faked at the HTTP edge; the object's alarm runs when the test drives it.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runInDurableObject } from 'cloudflare:test';
import { linkAccount, unlink } from '../../src/links/store.ts';
import { emptyState } from '../../src/login/session.ts';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { runAlarm, scheduledAlarm, sessionOf, T0, useLoginTestbed } from '../support/worker/login.ts';
import { graphBase, hang, json, ROUTES } from '../support/worker/network.ts';

const FACEBOOK_ID = '1070000000000001';
const REVOKE = `DELETE graph:/${FACEBOOK_ID}/permissions`;
const SETTINGS = '<https://www.facebook.com/settings?tab=applications>';
const UNLINKED = 'Logged out: your link to the Facebook account **Alice Liddell** is deleted here.';

const bed = useLoginTestbed();
let user: TestUser;

beforeEach(async () => {
  await clearDatabase();
  user = freshUser('alice');
  await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: FACEBOOK_ID, name: 'Alice Liddell', scopes: ['public_profile'], now: 1 });
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

/** Sends /logout, checks the deferred answer, runs the object's alarm, and returns the reply's final content. */
async function logout(who = user, inGuild = false): Promise<string> {
  const interaction = commandInteraction('logout', who, { inGuild });
  const response = await postInteraction(interaction);
  expect(await response.json()).toEqual({ type: 5, data: { flags: 64 } });
  expect(bed.net().requests).toHaveLength(0);
  expect(await scheduledAlarm(who)).toBe(T0);
  await runAlarm(who);
  const edits = bed.net().to(ROUTES.editOriginal).filter((edit) => edit.url.pathname.includes(`/${interaction.token}/`));
  expect(edits).toHaveLength(1);
  return (edits[0]!.json as { content: string }).content;
}

describe('/logout', () => {
  it('answers before touching D1 or Facebook, then sends exactly DELETE {graph}/{id}/permissions with the app token as Bearer', async () => {
    bed.net().always(REVOKE, () => json(200, { success: true }));
    const content = await logout();
    const [call] = bed.net().to(REVOKE);
    expect(call!.url.href).toBe(`${graphBase()}/${FACEBOOK_ID}/permissions`);
    expect(call!.headers.get('authorization')).toBe(`Bearer ${env.FACEBOOK_APP_ID}|${env.FACEBOOK_APP_SECRET}`);
    expect(call!.body).toBe('');
    expect(content).toBe(`${UNLINKED}\nFacebook confirmed that this app no longer has access to your Facebook account.`);
    expect(await linkOf(user.id)).toBeNull();
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it("accepts Graph's bare `true` answer as a revocation too", async () => {
    bed.net().always(REVOKE, () => new Response('true', { status: 200 }));
    expect(await logout()).toContain('Facebook confirmed');
  });

  it('400 invalid token: unlinked here, says Facebook refused, and where to remove the app', async () => {
    bed.net().always(REVOKE, () => json(400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'A1' } }));
    expect(await logout()).toBe(
      `${UNLINKED}\nFacebook refused to remove this app's access (HTTP 400, error 190), so please remove the app yourself at ${SETTINGS}.`,
    );
    expect(await linkOf(user.id)).toBeNull();
  });

  it('200 without success: treated as not revoked', async () => {
    bed.net().always(REVOKE, () => json(200, { success: false }));
    expect(await logout()).toBe(`${UNLINKED}\nFacebook refused to remove this app's access (HTTP 200), so please remove the app yourself at ${SETTINGS}.`);
  });

  it('500, or a 502 HTML page from a proxy: unlinked here, says Facebook answered with an error', async () => {
    bed.net().script(REVOKE, () => json(500, { error: { message: 'An unexpected error has occurred.', type: 'OAuthException', code: 1, is_transient: true } }));
    expect(await logout()).toBe(
      `${UNLINKED}\nFacebook answered with an error (HTTP 500), so it may still give this app access; please remove the app yourself at ${SETTINGS}.`,
    );
    const other = freshUser('other');
    await linkAccount(env.DB, { discordUserId: other.id, provider: 'facebook', subject: FACEBOOK_ID, name: 'Alice Liddell', scopes: [], now: 1 });
    bed.net().script(REVOKE, () => new Response('<html>Bad Gateway</html>', { status: 502 }));
    bed.net().requests.length = 0;
    expect(await logout(other)).toContain('Facebook answered with an error (HTTP 502)');
  });

  it('Facebook never answering: the reply still comes, after the Graph timeout, and says the outcome is unknown', async () => {
    bed.net().always(REVOKE, hang);
    const content = await logout();
    expect(content).toBe(
      `${UNLINKED}\nFacebook did not answer within 5 seconds, so it is unknown whether it removed this app's access; ` +
        `to be sure, please remove the app yourself at ${SETTINGS}.`,
    );
    expect(await linkOf(user.id)).toBeNull();
  }, 15_000);

  it('network failure: unlinked here, says Facebook could not be reached', async () => {
    bed.net().always(REVOKE, () => {
      throw new TypeError('Network connection lost.');
    });
    expect(await logout()).toBe(`${UNLINKED}\nFacebook could not be reached, so please remove the app yourself at ${SETTINGS}.`);
  });

  it('is idempotent: a second /logout finds nothing, says so at once, and starts nothing', async () => {
    bed.net().always(REVOKE, () => json(200, { success: true }));
    await logout();
    expect(bed.net().to(REVOKE)).toHaveLength(1);
    bed.net().requests.length = 0;
    const response = await postInteraction(commandInteraction('logout', user));
    expect(await response.json()).toEqual({
      type: 4,
      data: { content: 'You are not logged in: no account is linked to your Discord account, so there is nothing to remove.', flags: 64 },
    });
    expect(await scheduledAlarm(user)).toBeNull();
    expect(bed.net().requests).toHaveLength(0);
  });

  it('with several links and no provider named, it lists them and asks, removing nothing', async () => {
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: 2 });
    const response = await postInteraction(commandInteraction('logout', user));
    expect(await response.json()).toEqual({
      type: 4,
      data: {
        content: 'You have 2 linked accounts: `facebook` (Facebook: **Alice Liddell**) and `github` (GitHub: **octocat**). Use `/logout provider:` with the one to remove.',
        flags: 64,
      },
    });
    expect(await scheduledAlarm(user)).toBeNull();
    expect(await linkOf(user.id, 'github')).not.toBeNull();
  });

  it('with a provider named, removes that link only; a provider the user has no link at is refused with their links', async () => {
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: 2 });
    const none = await postInteraction(commandInteraction('logout', user, { options: { provider: 'google' } }));
    expect((await none.json<{ data: { content: string } }>()).data.content).toBe(
      'You have no link called "google". Your links: `facebook` (Facebook: **Alice Liddell**) and `github` (GitHub: **octocat**).',
    );
    const interaction = commandInteraction('logout', user, { options: { provider: 'github' } });
    expect(await (await postInteraction(interaction)).json()).toEqual({ type: 5, data: { flags: 64 } });
    await runAlarm(user);
    expect(await linkOf(user.id, 'github')).toBeNull();
    expect(await linkOf(user.id)).not.toBeNull();
    const edit = bed.net().to(ROUTES.editOriginal).at(-1)!;
    // GitHub's app cannot be removed without a token of the user's, which the bot does not keep: the user is told where.
    expect((edit.json as { content: string }).content).toBe(
      'Logged out: your link to the GitHub account **octocat** is deleted here.\n' +
        'This bot keeps no access to your GitHub account; if GitHub still lists this app, please remove the app yourself at <https://github.test/settings/applications>.',
    );
  });

  it("removes only the caller's link, also when used in a server", async () => {
    const bob = freshUser('bob');
    await linkAccount(env.DB, { discordUserId: bob.id, provider: 'facebook', subject: '1070000000000002', name: 'Bob', scopes: [], now: 1 });
    bed.net().always('DELETE graph:/1070000000000002/permissions', () => json(200, { success: true }));
    await logout(bob, true);
    expect(await linkOf(bob.id)).toBeNull();
    expect(await linkOf(user.id)).not.toBeNull();
  });

  it('an alarm re-run after a restart between the unlink and the revocation still names the unlinked account', async () => {
    bed.net().always(REVOKE, () => json(200, { success: true }));
    await unlink(env.DB, user.id, 'facebook');
    // What the object stored right after the unlink, before it went down.
    await runInDurableObject(sessionOf(user), async (_instance, state) => {
      await state.storage.put('state', {
        ...emptyState(),
        logouts: [{ id: 'job1', provider: 'facebook', discordUserId: user.id, applicationId: env.DISCORD_APPLICATION_ID, interactionToken: 'interaction-token-restart-0001', locale: 'en', startedAt: T0, unlinked: { subject: FACEBOOK_ID, name: 'Alice Liddell' } }],
      });
      await state.storage.setAlarm(T0);
    });
    await runAlarm(user);
    const edit = bed.net().to(ROUTES.editOriginal).at(-1)!;
    expect(edit.url.pathname).toContain('/interaction-token-restart-0001/');
    expect((edit.json as { content: string }).content).toBe(`${UNLINKED}\nFacebook confirmed that this app no longer has access to your Facebook account.`);
  });
});
