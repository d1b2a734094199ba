/**
 * What the user sees at each step of a login and a logout: the Discord message bodies (an embed plus buttons),
 * kept within Discord's limits. Pure functions, no I/O; the provider is only a name and a colour here.
 */
import type { APIEmbed, RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord-api-types/v10';
import { ButtonStyle, ComponentType } from '../discord/constants.ts';
import { escapeMarkdown, truncate } from '../discord/messages.ts';
import type { Identity, RevokeOutcome } from '../providers/types.ts';
import type { Conclusion, DeviceCode, Session } from './session.ts';

export type DiscordMessage = RESTPatchAPIWebhookWithTokenMessageJSONBody;

const GREY = 0x99aab5;
const RED = 0xed4245;
const GREEN = 0x57f287;

/** custom_id of the Cancel button: the owner's user id routes the click to the right Durable Object. */
export const CANCEL_PREFIX = 'login-cancel';
export const cancelCustomId = (discordUserId: string, sessionId: string) => `${CANCEL_PREFIX}:${discordUserId}:${sessionId}`;
export function parseCancelCustomId(customId: string): { discordUserId: string; sessionId: string } | undefined {
  const match = /^login-cancel:(\d{17,20}):([A-Za-z0-9_-]{1,64})$/.exec(customId);
  return match ? { discordUserId: match[1]!, sessionId: match[2]! } : undefined;
}

const EMBED_TITLE_MAX = 256;
const SUCCESS_TITLE_PREFIX = 'Logged in as ';
// Escaping can double a name's length, so cut the name before escaping: a cut after it could split an escape.
const SUCCESS_TITLE_NAME_MAX = Math.floor((EMBED_TITLE_MAX - SUCCESS_TITLE_PREFIX.length) / 2);

/** `https://www.facebook.com/device` -> `facebook.com/device`: what the user is told to type. */
export function displayAddress(verificationUri: string): string {
  return verificationUri.replace(/^https?:\/\//, '').replace(/^www\./, '').replace(/\/$/, '');
}

/** The page the link button opens: with the code filled in where the provider offers that, else the plain page. */
export const verificationLink = (device: Pick<DeviceCode, 'verificationUri' | 'verificationUriComplete'>) =>
  device.verificationUriComplete ?? device.verificationUri;

const noMentions = { parse: [] };
const unixSeconds = (ms: number) => Math.floor(ms / 1000);
const providerName = (session: Session) => escapeMarkdown(session.providerName);

/**
 * The code, large and easy to copy, with one sentence of instructions, a link button, the browser login's button
 * (where the provider has one) and a Cancel button.
 */
export function codeMessage(session: Session, device: DeviceCode, browserUrl?: string): DiscordMessage {
  const address = displayAddress(device.verificationUri);
  return {
    content: '',
    allowed_mentions: noMentions,
    embeds: [
      {
        title: truncate(`Log in with ${session.providerName}`, EMBED_TITLE_MAX),
        color: session.providerColor,
        description: `On your phone or computer, go to **${escapeMarkdown(address)}** and enter this code:\n\`\`\`\n${device.userCode}\n\`\`\``,
        fields: [{ name: 'Code expires', value: `<t:${unixSeconds(device.expiresAt)}:R>`, inline: true }],
        footer: {
          text: `Logging in links your ${session.providerName} name and picture to your Discord account for this bot. Only you can see this message.`,
        },
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Link, label: `Open ${truncate(address, 60)}`, url: verificationLink(device) },
          ...(browserUrl
            ? [{ type: ComponentType.Button, style: ButtonStyle.Link, label: truncate(`Sign in with ${session.providerName} in the browser`, 80), url: browserUrl } as const]
            : []),
          { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Cancel', custom_id: cancelCustomId(session.discordUserId, session.id) },
        ],
      },
    ],
  };
}

/**
 * The code and the link as plain text, for when Discord refuses the usual message (a 4xx other than an expired
 * token): the user must still be able to log in.
 */
export function minimalCodeMessage(session: Session, device: DeviceCode): DiscordMessage {
  return {
    content: `Log in with ${providerName(session)}: open ${verificationLink(device)} and enter the code ${device.userCode}`,
    allowed_mentions: noMentions,
    embeds: [],
    components: [],
  };
}

function notice(title: string, description: string, color: number): DiscordMessage {
  return { content: '', allowed_mentions: noMentions, embeds: [{ title, description, color }], components: [] };
}

/** A line for the success message about what happened to earlier links (see src/links). */
export type LinkNote = string | undefined;

export function successMessage(session: Pick<Session, 'providerName'>, identity: Pick<Identity, 'name' | 'avatarUrl'>, note: LinkNote): DiscordMessage {
  const name = escapeMarkdown(identity.name);
  const embed: APIEmbed = {
    title: `${SUCCESS_TITLE_PREFIX}${escapeMarkdown(truncate(identity.name, SUCCESS_TITLE_NAME_MAX))}`,
    color: GREEN,
    description: [
      `Your Discord account is now linked to the ${escapeMarkdown(session.providerName)} account **${truncate(name, 200)}**.`,
      note,
      'Use `/whoami` to see your links and `/logout` to remove one.',
    ]
      .filter(Boolean)
      .join('\n'),
  };
  if (identity.avatarUrl) embed.thumbnail = { url: identity.avatarUrl };
  return { content: '', allowed_mentions: noMentions, embeds: [embed], components: [] };
}

/** Replaces a success message not yet shown when the user's data at that provider is erased before it could be. */
export const erasedMessage = (providerName: string): DiscordMessage =>
  notice(
    `${providerName} link removed`,
    `Your ${escapeMarkdown(providerName)} link and data were deleted (you removed the app or asked ${escapeMarkdown(providerName)} to delete your data).`,
    GREY,
  );

export const cancelledMessage = (): DiscordMessage => notice('Login cancelled', 'Nothing was linked. Use `/login` to start again.', GREY);

function failureText(reason: Extract<Conclusion, { kind: 'failed' }>['reason'], name: string): string {
  switch (reason) {
    case 'provider-unavailable':
      return `${name} is not answering right now. Please try \`/login\` again in a few minutes.`;
    case 'provider-rejected':
      return `${name} refused to start a login for this bot. The bot's operator has been told; please try again later.`;
    case 'provider-error':
      return `${name} answered with an error, so the login stopped and nothing was linked. Please run \`/login\` again.`;
    case 'code-rejected':
      return `${name} no longer accepts this login's code (its answer may have been lost on the way), so nothing was linked. Please run \`/login\` again.`;
    case 'profile-unavailable':
      return `${name} approved the login, but your profile could not be read, so nothing was linked. Please run \`/login\` again.`;
    case 'link-unavailable':
      return `${name} approved the login, but the link could not be saved. Please run \`/login\` again in a moment.`;
  }
}

/** The final message of a login that ended without success (or, for success, the message built beforehand). */
export function conclusionMessage(conclusion: Conclusion, session: Session): DiscordMessage {
  const name = providerName(session);
  switch (conclusion.kind) {
    case 'success':
      return conclusion.message;
    case 'declined':
      return notice('Login declined', `The login was declined on ${name}, so nothing was linked. Use \`/login\` to try again.`, GREY);
    case 'expired':
      return notice('Code expired', 'That code expired before it was used. Use `/login` to get a new one.', GREY);
    case 'replaced':
      return notice('Login replaced', 'You started a newer `/login`, so this code no longer works. Use the newest message.', GREY);
    case 'failed':
      return notice('Login failed', failureText(conclusion.reason, name), RED);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// /logout

const plain = (content: string): DiscordMessage => ({ content, allowed_mentions: noMentions, embeds: [], components: [] });

/** Where the provider is, for the logout messages. */
export interface ProviderLook {
  name: string;
  /** Where people remove the app themselves, if known. */
  appSettingsUrl: string | undefined;
}

function removeItYourself(provider: ProviderLook): string {
  return provider.appSettingsUrl
    ? `please remove the app yourself at <${provider.appSettingsUrl}>`
    : `please remove the app yourself in your ${escapeMarkdown(provider.name)} account settings`;
}

function revokeSentence(provider: ProviderLook, outcome: RevokeOutcome): string {
  const name = escapeMarkdown(provider.name);
  switch (outcome.kind) {
    case 'revoked':
      return `${name} confirmed that this app no longer has access to your ${name} account.`;
    case 'refused':
      return (
        `${name} refused to remove this app's access (HTTP ${outcome.status}` +
        `${outcome.code !== undefined ? `, error ${outcome.code}` : ''}), so ${removeItYourself(provider)}.`
      );
    case 'provider-error':
      return `${name} answered with an error (HTTP ${outcome.status}), so it may still give this app access; ${removeItYourself(provider)}.`;
    case 'timeout':
      return (
        `${name} did not answer within ${outcome.timeoutMs / 1000} s, so it is unknown whether it removed this ` +
        `app's access; to be sure, ${removeItYourself(provider)}.`
      );
    case 'unreachable':
      return `${name} could not be reached, so ${removeItYourself(provider)}.`;
    case 'not-supported':
      return `This bot keeps no access to your ${name} account; if ${name} still lists this app, ${removeItYourself(provider)}.`;
  }
}

export const notLinkedMessage = (provider: ProviderLook): DiscordMessage =>
  plain(
    `You are not logged in with ${escapeMarkdown(provider.name)}: no ${escapeMarkdown(provider.name)} account is linked to your Discord account, so there was nothing to remove.`,
  );

/** What /logout did: the link is gone here; whether the provider confirmed the revocation. */
export function logoutMessage(provider: ProviderLook, unlinked: { name: string }, outcome: RevokeOutcome): DiscordMessage {
  const name = escapeMarkdown(truncate(unlinked.name, 200));
  return plain(`Logged out: your link to the ${escapeMarkdown(provider.name)} account **${name}** is deleted here.\n${revokeSentence(provider, outcome)}`);
}
