/**
 * "Hold no access after the login": a token the provider issued for a login that is no longer the current one (a
 * Cancel or a newer /login came in while the poll was in flight) is given back at once (RFC 7009), not only
 * dropped from memory; and nothing is linked for it.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, expect, it, vi } from 'vitest';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction } from '../support/worker/discord.ts';
import { advanceClock, clickButton, runAlarm, useLoginTestbed } from '../support/worker/login.ts';
import { held, ROUTES } from '../support/worker/network.ts';
import { ACCESS, providers, serveMetadata } from '../support/worker/providers.ts';

const bed = useLoginTestbed();
beforeEach(async () => {
  await clearDatabase();
  serveMetadata(bed.net());
  for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
});

/** `/login provider:<id>` showing its code: the user, and the Cancel button's custom_id. */
async function loginShowingCode(provider: 'github' | 'google') {
  const net = bed.net();
  const user = freshUser(provider);
  await postInteraction(commandInteraction('login', user, { options: { provider } }));
  net.script(providers[provider].deviceCode(), providers[provider].device());
  await runAlarm(user);
  const edit = net.to(ROUTES.editOriginal).at(-1)!.json as { components: Array<{ components: Array<{ custom_id?: string }> }> };
  return { net, user, cancelId: edit.components[0]!.components.find((c) => c.custom_id)!.custom_id! };
}

/** A Google /login showing its code, then a poll held open by the test. */
async function googleLoginPolling() {
  const { net, user, cancelId } = await loginShowingCode('google');
  const poll = held();
  net.script(providers.google.token(), poll.responder);
  net.always(providers.google.revoke(), () => new Response(null, { status: 200 }));
  advanceClock(5_000);
  const alarm = runAlarm(user);
  await poll.arrived;
  return { net, user, cancelId, poll, alarm };
}

const revocations = (net: ReturnType<typeof bed.net>) => net.to(providers.google.revoke()).map((r) => Object.fromEntries(r.params));
const givenBack = { token: ACCESS, token_type_hint: 'access_token', client_id: env.GOOGLE_CLIENT_ID, client_secret: env.GOOGLE_CLIENT_SECRET };

it('a token issued to a poll that was in flight when the user pressed Cancel is revoked, and nothing is linked', async () => {
  const { net, user, cancelId, poll, alarm } = await googleLoginPolling();
  expect(await clickButton(cancelId, user)).toMatchObject({ data: { embeds: [{ title: 'Login cancelled' }] } });
  poll.release(providers.google.success());
  await alarm;
  expect(revocations(net)).toEqual([givenBack]);
  expect(await linkOf(user.id, 'google')).toBeNull();
});

it('a token issued to a poll that was in flight when a newer /login came in is revoked', async () => {
  const { net, user, poll, alarm } = await googleLoginPolling();
  await postInteraction(commandInteraction('login', user, { options: { provider: 'google' } }));
  poll.release(providers.google.success());
  await alarm;
  expect(revocations(net)).toEqual([givenBack]);
  expect(await linkOf(user.id, 'google')).toBeNull();
});

it('a Cancel while who logged in is being read gives the token back once, and links nothing', async () => {
  const { net, user, cancelId } = await loginShowingCode('github');
  const grantDeletion = `DELETE ${env.GITHUB_API_URL}/applications/${env.GITHUB_CLIENT_ID}/grant`;
  net.always(grantDeletion, () => new Response(null, { status: 204 }));
  net.script(providers.github.token(), providers.github.success());
  const profile = held();
  net.script(providers.github.user(), profile.responder);
  advanceClock(5_000);
  const alarm = runAlarm(user);
  await profile.arrived;
  await clickButton(cancelId, user);
  profile.release(providers.github.profile());
  await alarm;
  expect(net.to(grantDeletion).map((r) => r.json)).toEqual([{ access_token: ACCESS }]);
  expect(await linkOf(user.id, 'github')).toBeNull();
});
