/** Helpers for driving a LoginSession Durable Object through a login in tests. */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, vi } from 'vitest';
import type { State } from '../../../src/login/session.ts';
import { commandInteraction, componentInteraction, freshUser, postInteraction, type TestUser } from './discord.ts';
import { facebook, fakeNetwork, json, ROUTES, type FakeNetwork } from './network.ts';

/**
 * Tests run a day ahead of the real clock: every alarm the code sets is then in the runtime's future, so none
 * fires by itself, and each runs only when a test drives it.
 */
export const T0 = Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000;

/** Installs the fake clock (Date only) and the fake network for every test of the file. */
export function useLoginTestbed(): { net: () => FakeNetwork } {
  let net: FakeNetwork;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    net = fakeNetwork();
    net.always(ROUTES.editOriginal, () => json(200, { id: '1' }));
  });
  afterEach(() => {
    net.restore();
    vi.useRealTimers();
  });
  return { net: () => net };
}

export const sessionOf = (user: TestUser) => env.LOGIN_SESSIONS.get(env.LOGIN_SESSIONS.idFromName(user.id));
export const advanceClock = (ms: number) => vi.setSystemTime(Date.now() + ms);

export const storedState = (user: TestUser) =>
  runInDurableObject(sessionOf(user), (_instance, state) => state.storage.get<State>('state'));
export const scheduledAlarm = (user: TestUser) =>
  runInDurableObject(sessionOf(user), (_instance, state) => state.storage.getAlarm());
/** Runs the user's alarm now if one is set; true if it ran. */
export const runAlarm = (user: TestUser) => runDurableObjectAlarm(sessionOf(user));

export async function sendLogin(user: TestUser) {
  const interaction = commandInteraction('login', user);
  const response = await postInteraction(interaction);
  return { interaction, response };
}

export async function clickButton(customId: string, user: TestUser) {
  const response = await postInteraction(componentInteraction(customId, user));
  return response.json<{ type: number; data: Record<string, unknown> }>();
}

interface CodeMessage {
  embeds: Array<{ title: string; color: number; description: string; fields: Array<{ name: string; value: string }>; footer?: { text: string } }>;
  components: Array<{ components: Array<{ style: number; url?: string; custom_id?: string; label: string }> }>;
}

/** Starts a login for a new user and runs the first alarm: the code is issued and shown. */
export async function loginShowingCode(net: FakeNetwork, deviceCode: () => Response = () => facebook.deviceCode()) {
  const user = freshUser();
  const { interaction } = await sendLogin(user);
  net.script(ROUTES.deviceLogin, deviceCode);
  await runAlarm(user);
  const edit = net.to(ROUTES.editOriginal).at(-1)!;
  const message = edit.json as CodeMessage;
  const cancelId = message.components[0]!.components.find((c) => c.custom_id)!.custom_id!;
  return { user, interaction, message, cancelId };
}

/** The titles of every edit sent with this interaction token, in order. */
export function titlesFor(net: FakeNetwork, token: string): string[] {
  return net
    .to(ROUTES.editOriginal)
    .filter((r) => r.url.pathname.includes(`/${token}/`))
    .map((r) => (r.json as { embeds: Array<{ title: string }> }).embeds[0]!.title);
}
