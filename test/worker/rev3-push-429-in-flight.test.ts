/**
 * Review (rev3): Discord's 429 wait must also hold for a push requested while the attempt that got the 429 was in
 * flight. pushAttempted ignores the answer of an attempt whose seq is no longer the owed one, so the newer push
 * goes out at once, inside Discord's retry_after.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, expect, it, vi } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { freshUser } from '../support/worker/discord.ts';
import { LINKED_ROLES_ROUTES as R, connectionAnswer, storeGrant } from '../support/worker/linked-roles.ts';
import { advanceClock, runAlarm, sessionOf, useLoginTestbed } from '../support/worker/login.ts';
import { held, json } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const DAY = 86_400_000;

beforeEach(async () => {
  await clearDatabase();
  for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
});

it('a push requested while the attempt that gets a 429 is in flight still waits for retry_after', async () => {
  const net = bed.net();
  const user = freshUser();
  await storeGrant(user.id, Date.now() + 7 * DAY);
  await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: '10229876543210987', name: 'Ada', scopes: [], now: 1 });
  const put = held();
  net.script(R.putConnection, put.responder);
  net.always(R.putConnection, () => connectionAnswer());

  await sessionOf(user).forgetAccount('facebook', user.id);
  const alarm = runAlarm(user);
  await put.arrived;
  // Another change of the links while Discord is being asked.
  await sessionOf(user).forgetAccount('facebook', user.id);
  put.release(() => json(429, { message: 'You are being rate limited.', retry_after: 30, global: false }));
  await alarm;
  expect(net.to(R.putConnection)).toHaveLength(1);

  advanceClock(1_000);
  await runAlarm(user);
  expect(net.to(R.putConnection)).toHaveLength(1);
});
