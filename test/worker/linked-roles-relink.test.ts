/**
 * A /logout of the last link owes a push that then forgets the Discord grant (deleted, and revoked at Discord). A
 * login that links again while that push is still owed (here Discord asked it to wait with a 429) must keep the
 * grant and the role connection: the grant is forgotten only if there is still no link when the push is done.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, expect, it, vi } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction } from '../support/worker/discord.ts';
import { LINKED_ROLES_ROUTES as R, connectionAnswer, storedGrant, storeGrant } from '../support/worker/linked-roles.ts';
import { advanceClock, runAlarm, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const DAY = 86_400_000;
const ADA_ID = '10229876543210987';

beforeEach(async () => {
  await clearDatabase();
  for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
  bed.net().always(R.putConnection, () => connectionAnswer());
});

it('a link made while the "forget" push of a /logout is still owed keeps the Discord grant and the role connection', async () => {
  const net = bed.net();
  const user = freshUser();
  await storeGrant(user.id, Date.now() + 7 * DAY);
  await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
  net.always(`DELETE graph:/${ADA_ID}/permissions`, () => json(200, { success: true }));
  net.always(R.revoke, () => new Response(null, { status: 200 }));
  net.always(R.deleteConnection, () => new Response(null, { status: 204 }));

  // /logout of the only link; Discord answers its push with a 429, so the push (with forget) stays owed.
  net.script(R.putConnection, () => json(429, { message: 'You are being rate limited.', retry_after: 30, global: false }));
  await postInteraction(commandInteraction('logout', user));
  await runAlarm(user);
  expect(await linkOf(user.id)).toBeNull();

  // Within those 30 s the user logs in again with Facebook, and it succeeds.
  await postInteraction(commandInteraction('login', user));
  net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
  await runAlarm(user);
  net.script(ROUTES.loginStatus, facebook.token);
  net.script(ROUTES.me, facebook.profile);
  advanceClock(5_000);
  await runAlarm(user);
  expect(await linkOf(user.id)).not.toBeNull();

  // The user has a link: the grant must stay, and the role connection must not be removed or the grant revoked.
  expect(net.to(R.deleteConnection)).toHaveLength(0);
  expect(net.to(R.revoke)).toHaveLength(0);
  expect(await storedGrant(user.id)).toBeDefined();
});
