/**
 * /logout: the link is deleted whatever happens at Facebook; the app's permissions are revoked with
 * DELETE {graph}/{user-id}/permissions and the app token; the answer says exactly what happened. Facebook is faked
 * at the HTTP edge (a globalThis.fetch spy).
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REVOKE_TIMEOUT_MS } from '../../src/handlers/logout.ts';
import { findByDiscordUser, linkAccount } from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { alice, bob, commandInteraction, postInteraction } from '../support/worker/discord.ts';
import { fakeGraph, graphJson, neverAnswers } from '../support/worker/facebook.ts';

const FACEBOOK_ID = '1070000000000001';
const SETTINGS = '<https://www.facebook.com/settings?tab=applications>';
const UNLINKED = 'Logged out: your link to the Facebook account **Alice Liddell** is deleted here.';

async function logout(user = alice, inGuild = false) {
  const response = await postInteraction(commandInteraction('logout', user, { inGuild }));
  expect(response.status).toBe(200);
  const answer = await response.json<{ type: number; data: { content: string; flags: number } }>();
  expect(answer.type).toBe(4);
  expect(answer.data.flags).toBe(64);
  return answer.data.content;
}

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, { discordUserId: alice.id, facebookUserId: FACEBOOK_ID, name: 'Alice Liddell', scopes: ['public_profile'], now: 1 });
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => vi.restoreAllMocks());

describe('/logout', () => {
  it('sends exactly DELETE {graph}/{id}/permissions?access_token=APP_ID|APP_SECRET, then reports the revocation', async () => {
    const graph = fakeGraph(() => graphJson(200, { success: true }));
    const content = await logout();
    expect(graph.calls).toHaveLength(1);
    const [call] = graph.calls;
    expect(call!.method).toBe('DELETE');
    expect(`${call!.url.origin}${call!.url.pathname}`).toBe(`https://graph.facebook.test/v25.0/${FACEBOOK_ID}/permissions`);
    expect([...call!.url.searchParams]).toEqual([['access_token', `${env.FACEBOOK_APP_ID}|${env.FACEBOOK_APP_SECRET}`]]);
    expect(call!.body).toBeNull();
    expect(content).toBe(`${UNLINKED}\nFacebook confirmed that this app no longer has access to your Facebook account.`);
    expect(await findByDiscordUser(env.DB, alice.id)).toBeNull();
  });

  it('accepts Graph\'s bare `true` answer as a revocation too', async () => {
    fakeGraph(() => new Response('true', { status: 200 }));
    expect(await logout()).toContain('Facebook confirmed');
  });

  it('400 invalid token: unlinked here, says Facebook refused, and where to remove the app', async () => {
    fakeGraph(() =>
      graphJson(400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'A1' } }),
    );
    expect(await logout()).toBe(
      `${UNLINKED}\nFacebook refused to remove this app's access (HTTP 400, Graph error 190), so please remove the app yourself at ${SETTINGS}.`,
    );
    expect(await findByDiscordUser(env.DB, alice.id)).toBeNull();
  });

  it('200 without success: treated as not revoked', async () => {
    fakeGraph(() => graphJson(200, { success: false }));
    expect(await logout()).toBe(`${UNLINKED}\nFacebook refused to remove this app's access (HTTP 200), so please remove the app yourself at ${SETTINGS}.`);
  });

  it('500: unlinked here, says Facebook answered with an error', async () => {
    fakeGraph(() => graphJson(500, { error: { message: 'An unexpected error has occurred.', type: 'OAuthException', code: 1, is_transient: true } }));
    expect(await logout()).toBe(
      `${UNLINKED}\nFacebook answered with an error (HTTP 500), so it may still give this app access; please remove the app yourself at ${SETTINGS}.`,
    );
    expect(await findByDiscordUser(env.DB, alice.id)).toBeNull();
  });

  it('a 502 HTML page from a proxy counts as a Facebook error too', async () => {
    fakeGraph(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    expect(await logout()).toContain('Facebook answered with an error (HTTP 502)');
  });

  it(`timeout: gives up after ${REVOKE_TIMEOUT_MS} ms, well inside Discord's 3 s, and says the outcome is unknown`, async () => {
    const graph = fakeGraph(neverAnswers);
    const started = Date.now();
    const content = await logout();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(graph.calls).toHaveLength(1);
    expect(content).toBe(
      `${UNLINKED}\nFacebook did not answer within 1.5 s, so it is unknown whether it removed this app's access; ` +
        `to be sure, please remove the app yourself at ${SETTINGS}.`,
    );
    expect(await findByDiscordUser(env.DB, alice.id)).toBeNull();
  });

  it('network failure: unlinked here, says Facebook could not be reached', async () => {
    fakeGraph(() => {
      throw new TypeError('Network connection lost.');
    });
    expect(await logout()).toBe(`${UNLINKED}\nFacebook could not be reached, so please remove the app yourself at ${SETTINGS}.`);
    expect(await findByDiscordUser(env.DB, alice.id)).toBeNull();
  });

  it('is idempotent: a second /logout finds nothing, says so, and does not call Facebook', async () => {
    fakeGraph(() => graphJson(200, { success: true }));
    await logout();
    const graph = fakeGraph(() => graphJson(200, { success: true }));
    expect(await logout()).toBe(
      'You are not logged in: no Facebook account is linked to your Discord account, so there was nothing to remove. ' +
        `If Facebook still lists this app, you can remove it at ${SETTINGS}.`,
    );
    expect(graph.calls).toHaveLength(0);
  });

  it('removes only the caller\'s link, also when used in a server', async () => {
    await linkAccount(env.DB, { discordUserId: bob.id, facebookUserId: '1070000000000002', name: 'Bob', scopes: [], now: 1 });
    const graph = fakeGraph(() => graphJson(200, { success: true }));
    await logout(bob, true);
    expect(graph.calls[0]!.url.pathname).toBe('/v25.0/1070000000000002/permissions');
    expect(await findByDiscordUser(env.DB, bob.id)).toBeNull();
    expect(await findByDiscordUser(env.DB, alice.id)).not.toBeNull();
  });
});
