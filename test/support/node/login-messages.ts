/**
 * Reading the Worker's login messages as the Discord stand-in holds them, and driving `/login` until its code
 * shows: shared by the end-to-end tests (the real Worker under wrangler dev).
 */
import type { DiscordMessage, DiscordStandin, DiscordUser } from '../../../scripts/standins/discord.ts';

interface Embed {
  title?: string;
  description?: string;
  color?: number;
  thumbnail?: { url: string };
}
interface Button {
  type: number;
  style: number;
  label?: string;
  url?: string;
  custom_id?: string;
}

export const embedOf = (message: DiscordMessage | undefined) => message?.embeds[0] as Embed | undefined;
export const titleOf = (message: DiscordMessage | undefined) => embedOf(message)?.title;
const buttons = (message: DiscordMessage) => ((message.components[0] as { components?: Button[] } | undefined)?.components ?? []) as Button[];
/** The link button's URL (the provider's verification page). */
export const linkOf = (message: DiscordMessage) => buttons(message).find((button) => button.style === 5)?.url;
/** The Cancel button's custom_id. */
export const cancelIdOf = (message: DiscordMessage) => buttons(message).find((button) => button.custom_id)?.custom_id;
/** The code in the message's code block. */
export function userCodeOf(message: DiscordMessage): string {
  const code = /```\n(\S+)\n```/.exec(embedOf(message)?.description ?? '')?.[1];
  if (!code) throw new Error(`no code in the message: ${JSON.stringify(message.embeds)}`);
  return code;
}

/** Discord users no other test uses: ids from `base` up. */
export function userFactory(base: bigint, prefix: string): () => DiscordUser {
  let next = 0n;
  return () => {
    next += 1n;
    return { id: String(base + next), username: `${prefix}${next}` };
  };
}

export interface ShownCode {
  user: DiscordUser;
  messageId: string;
  message: DiscordMessage;
  userCode: string;
}

/**
 * `/login [provider:<id>]` as `user`; resolves once the message shows "Log in with <providerName>" and its code.
 * The Worker must answer with the deferred ephemeral reply.
 */
export async function loginShowingCode(
  discord: DiscordStandin,
  user: DiscordUser,
  providerName: string,
  provider?: string,
  timeoutMs = 15_000,
): Promise<ShownCode> {
  const sent = await discord.sendCommand({ name: 'login', user, ...(provider ? { options: { provider } } : {}) });
  if (sent.status !== 200 || (sent.body as { type?: number }).type !== 5 || !sent.message) {
    throw new Error(`/login was not deferred: HTTP ${sent.status} ${JSON.stringify(sent.body)} ${sent.failure ?? ''}`);
  }
  const messageId = sent.message.id;
  const message = await discord.waitForMessage((m) => m.id === messageId && titleOf(m) === `Log in with ${providerName}`, timeoutMs);
  return { user, messageId, message, userCode: userCodeOf(message) };
}

/**
 * The message once the login is over (its title no longer "Log in with …"), which must then be titled `title`
 * (e.g. "Logged in as Ada", "Login declined"): a login that ends otherwise fails at once, saying how it ended.
 */
export async function messageTitled(discord: DiscordStandin, messageId: string, title: string, timeoutMs = 15_000): Promise<DiscordMessage> {
  const ended = await discord.waitForMessage((m) => m.id === messageId && titleOf(m) !== undefined && !titleOf(m)!.startsWith('Log in with '), timeoutMs);
  if (titleOf(ended) !== title) throw new Error(`expected the message to say "${title}", but it says "${titleOf(ended)}": ${embedOf(ended)?.description ?? ''}`);
  return ended;
}

/** `/whoami`'s answer text for `user`. */
export async function whoami(discord: DiscordStandin, user: DiscordUser): Promise<string> {
  const result = await discord.sendCommand({ name: 'whoami', user });
  return result.message?.content ?? '';
}
