/**
 * What the user sees at each step of a login: the Discord message bodies (an embed plus buttons), kept within
 * Discord's limits. Pure functions, no I/O.
 */
import type { APIEmbed, RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord-api-types/v10';
import { ButtonStyle, ComponentType } from '../discord/constants.ts';
import { escapeMarkdown, truncate } from '../discord/messages.ts';
import type { FacebookProfile } from '../facebook/device-login.ts';
import { FACEBOOK_APP_SETTINGS_URL, type RevokeOutcome } from '../facebook/permissions.ts';
import type { Conclusion, DeviceCode, Session } from './session.ts';

export type DiscordMessage = RESTPatchAPIWebhookWithTokenMessageJSONBody;

/** Facebook's brand blue, as its device-login guidance asks for the "Log in with Facebook" call to action. */
export const FACEBOOK_BLUE = 0x1877f2;
const GREY = 0x99aab5;
const RED = 0xed4245;
const GREEN = 0x57f287;

/** custom_id of the Cancel button: the owner's user id routes the click to the right Durable Object. */
export const CANCEL_PREFIX = 'login-cancel';
export const cancelCustomId = (discordUserId: string, sessionId: string) => `${CANCEL_PREFIX}:${discordUserId}:${sessionId}`;
export function parseCancelCustomId(customId: string): { discordUserId: string; sessionId: string } | undefined {
  const match = /^login-cancel:(\d{1,20}):([A-Za-z0-9_-]{1,64})$/.exec(customId);
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

/** Facebook gives no verification_uri_complete; its SDKs pre-fill the code this way. */
export function verificationLink(device: Pick<DeviceCode, 'verificationUri' | 'userCode'>): string {
  const url = new URL(device.verificationUri);
  url.searchParams.set('user_code', device.userCode);
  return url.href;
}

const noMentions = { parse: [] };
const unixSeconds = (ms: number) => Math.floor(ms / 1000);

/** The code, large and easy to copy, with one sentence of instructions, a link button and a Cancel button. */
export function codeMessage(session: Session, device: DeviceCode): DiscordMessage {
  const address = displayAddress(device.verificationUri);
  return {
    content: '',
    allowed_mentions: noMentions,
    embeds: [
      {
        title: 'Log in with Facebook',
        color: FACEBOOK_BLUE,
        description: `On your phone or computer, go to **${address}** and enter this code:\n\`\`\`\n${device.userCode}\n\`\`\``,
        fields: [{ name: 'Code expires', value: `<t:${unixSeconds(device.expiresAt)}:R>`, inline: true }],
        footer: {
          text: 'Logging in links your Facebook name and picture to your Discord account for this bot. Only you can see this message.',
        },
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Link, label: `Open ${truncate(address, 60)}`, url: verificationLink(device) },
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
export function minimalCodeMessage(device: DeviceCode): DiscordMessage {
  return {
    content: `Log in with Facebook: open ${verificationLink(device)} and enter the code ${device.userCode}`,
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

export function successMessage(profile: FacebookProfile, note: LinkNote): DiscordMessage {
  const name = escapeMarkdown(profile.name);
  const embed: APIEmbed = {
    title: `${SUCCESS_TITLE_PREFIX}${escapeMarkdown(truncate(profile.name, SUCCESS_TITLE_NAME_MAX))}`,
    color: GREEN,
    description: [
      `Your Discord account is now linked to the Facebook account **${truncate(name, 200)}**.`,
      note,
      'Use `/whoami` to see the link and `/logout` to remove it.',
    ]
      .filter(Boolean)
      .join('\n'),
  };
  if (profile.pictureUrl) embed.thumbnail = { url: profile.pictureUrl };
  return { content: '', allowed_mentions: noMentions, embeds: [embed], components: [] };
}

/** Replaces a success message not yet shown when the user's Facebook data is erased before it could be. */
export const erasedMessage = (): DiscordMessage =>
  notice('Facebook link removed', 'Your Facebook link and data were deleted (you removed the app or asked Facebook to delete your data).', GREY);

export const cancelledMessage = (): DiscordMessage =>
  notice('Login cancelled', 'Nothing was linked. Use `/login` to start again.', GREY);

const failureText = {
  'facebook-unavailable': 'Facebook is not answering right now. Please try `/login` again in a few minutes.',
  'facebook-rejected': 'Facebook refused to start a login for this bot. The bot\'s operator has been told; please try again later.',
  'code-rejected': 'Facebook no longer accepts this login\'s code (its answer may have been lost on the way), so nothing was linked. Please run `/login` again.',
  'profile-unavailable': 'Facebook approved the login, but your profile could not be read, so nothing was linked. Please run `/login` again.',
  'link-unavailable': 'Facebook approved the login, but the link could not be saved. Please run `/login` again in a moment.',
} as const;

/** The final message of a login that ended without success (or, for success, the message built beforehand). */
export function conclusionMessage(conclusion: Conclusion, _session: Session): DiscordMessage {
  switch (conclusion.kind) {
    case 'success':
      return conclusion.message;
    case 'declined':
      return notice('Login declined', 'The login was declined on Facebook, so nothing was linked. Use `/login` to try again.', GREY);
    case 'expired':
      return notice('Code expired', 'That code expired before it was used. Use `/login` to get a new one.', GREY);
    case 'replaced':
      return notice('Login replaced', 'You started a newer `/login`, so this code no longer works. Use the newest message.', GREY);
    case 'failed':
      return notice('Login failed', failureText[conclusion.reason], RED);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// /logout

const plain = (content: string): DiscordMessage => ({ content, allowed_mentions: noMentions, embeds: [], components: [] });
const removeItYourself = `please remove the app yourself at <${FACEBOOK_APP_SETTINGS_URL}>`;

function revokeSentence(outcome: RevokeOutcome): string {
  switch (outcome.kind) {
    case 'revoked':
      return 'Facebook confirmed that this app no longer has access to your Facebook account.';
    case 'refused':
      return (
        `Facebook refused to remove this app's access (HTTP ${outcome.status}` +
        `${outcome.code !== undefined ? `, Graph error ${outcome.code}` : ''}), so ${removeItYourself}.`
      );
    case 'facebook-error':
      return `Facebook answered with an error (HTTP ${outcome.status}), so it may still give this app access; ${removeItYourself}.`;
    case 'timeout':
      return (
        `Facebook did not answer within ${outcome.timeoutMs / 1000} s, so it is unknown whether it removed this ` +
        `app's access; to be sure, ${removeItYourself}.`
      );
    case 'unreachable':
      return `Facebook could not be reached, so ${removeItYourself}.`;
  }
}

export const notLinkedMessage = (): DiscordMessage =>
  plain(
    'You are not logged in: no Facebook account is linked to your Discord account, so there was nothing to remove. ' +
      `If Facebook still lists this app, you can remove it at <${FACEBOOK_APP_SETTINGS_URL}>.`,
  );

/** What /logout did: the link is gone here; whether Facebook confirmed the revocation. */
export function logoutMessage(unlinked: { name: string }, outcome: RevokeOutcome): DiscordMessage {
  const name = escapeMarkdown(truncate(unlinked.name, 200));
  return plain(`Logged out: your link to the Facebook account **${name}** is deleted here.\n${revokeSentence(outcome)}`);
}
