/**
 * What the user sees at each step of a login and a logout: the Discord message bodies (an embed plus buttons),
 * kept within Discord's limits. Pure functions, no I/O; the provider is only a name and a colour here.
 */
import type { APIEmbed, RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord-api-types/v10';
import { ButtonStyle, ComponentType } from '../discord/constants.ts';
import { escapeMarkdown, truncate } from '../discord/messages.ts';
import type { Translator } from '../i18n/catalog.ts';
import { translatorFor, type Locale } from '../i18n/locales.ts';
import type { Identity, RevokeOutcome } from '../providers/types.ts';
import type { Conclusion, DeviceCode, Session } from './session.ts';

/** The translator for a session's stored locale (a catalog's tag; English for anything else). */
export const sessionTranslator = (session: Pick<Session, 'locale'>) => translatorFor(session.locale as Locale);

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
  const t = sessionTranslator(session);
  const address = displayAddress(device.verificationUri);
  const provider = session.providerName;
  return {
    content: '',
    allowed_mentions: noMentions,
    embeds: [
      {
        title: truncate(t.t('code.title', { provider: escapeMarkdown(provider) }), EMBED_TITLE_MAX),
        color: session.providerColor,
        description: `${t.t('code.description', { address: escapeMarkdown(address) })}\n\`\`\`\n${device.userCode}\n\`\`\``,
        fields: [{ name: t.t('code.expires'), value: `<t:${unixSeconds(device.expiresAt)}:R>`, inline: true }],
        footer: { text: t.t('code.footer', { provider }) },
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Link, label: truncate(t.t('code.open', { address: truncate(address, 60) }), 80), url: verificationLink(device) },
          ...(browserUrl ? [{ type: ComponentType.Button, style: ButtonStyle.Link, label: truncate(t.t('code.browser', { provider }), 80), url: browserUrl } as const] : []),
          { type: ComponentType.Button, style: ButtonStyle.Secondary, label: truncate(t.t('code.cancel'), 80), custom_id: cancelCustomId(session.discordUserId, session.id) },
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
  const t = sessionTranslator(session);
  return {
    content: t.t('code.plain', { provider: escapeMarkdown(session.providerName), url: verificationLink(device), code: device.userCode }),
    allowed_mentions: noMentions,
    embeds: [],
    components: [],
  };
}

function notice(title: string, description: string, color: number): DiscordMessage {
  return { content: '', allowed_mentions: noMentions, embeds: [{ title: truncate(title, EMBED_TITLE_MAX), description, color }], components: [] };
}

/** A line for the success message about what happened to earlier links (see src/links/link-note.ts). */
export type LinkNote = string | undefined;

export function successMessage(session: Pick<Session, 'providerName' | 'locale'>, identity: Pick<Identity, 'name' | 'avatarUrl'>, note: LinkNote): DiscordMessage {
  const t = sessionTranslator(session);
  // Escaping can double a name's length, so the name is cut before escaping (a cut after could split an escape),
  // to at most half of what the title leaves for it.
  const room = Math.floor((EMBED_TITLE_MAX - t.t('success.title', { name: '' }).length) / 2);
  const embed: APIEmbed = {
    title: t.t('success.title', { name: escapeMarkdown(truncate(identity.name, room)) }),
    color: GREEN,
    description: [
      t.t('success.description', { provider: escapeMarkdown(session.providerName), name: truncate(escapeMarkdown(identity.name), 200) }),
      note,
      t.t('success.footer'),
    ]
      .filter(Boolean)
      .join('\n'),
  };
  if (identity.avatarUrl) embed.thumbnail = { url: identity.avatarUrl };
  return { content: '', allowed_mentions: noMentions, embeds: [embed], components: [] };
}

/** Replaces a success message not yet shown when the user's data at that provider is erased before it could be. */
export function erasedMessage(t: Translator, providerName: string): DiscordMessage {
  const provider = escapeMarkdown(providerName);
  return notice(t.t('erased.title', { provider }), t.t('erased.description', { provider }), GREY);
}

export const cancelledMessage = (t: Translator): DiscordMessage => notice(t.t('cancelled.title'), t.t('cancelled.description'), GREY);

/** The final message of a login that ended without success (or, for success, the message built beforehand). */
export function conclusionMessage(conclusion: Conclusion, session: Session): DiscordMessage {
  const t = sessionTranslator(session);
  const provider = escapeMarkdown(session.providerName);
  switch (conclusion.kind) {
    case 'success':
      return conclusion.message;
    case 'declined':
      return notice(t.t('declined.title'), t.t('declined.description', { provider }), GREY);
    case 'expired':
      return notice(t.t('expired.title'), t.t('expired.description'), GREY);
    case 'replaced':
      return notice(t.t('replaced.title'), t.t('replaced.description'), GREY);
    case 'failed':
      return notice(t.t('failed.title'), t.t(`failed.${conclusion.reason}`, { provider }), RED);
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

function revokeSentence(t: Translator, look: ProviderLook, outcome: RevokeOutcome): string {
  const provider = escapeMarkdown(look.name);
  const remove = look.appSettingsUrl ? t.t('logout.removeAt', { url: look.appSettingsUrl }) : t.t('logout.removeInSettings', { provider });
  switch (outcome.kind) {
    case 'revoked':
      return t.t('revoke.revoked', { provider });
    case 'refused':
      return outcome.code !== undefined
        ? t.t('revoke.refusedCode', { provider, status: String(outcome.status), code: String(outcome.code), remove })
        : t.t('revoke.refused', { provider, status: String(outcome.status), remove });
    case 'provider-error':
      return t.t('revoke.error', { provider, status: String(outcome.status), remove });
    case 'timeout':
      return t.t('revoke.timeout', { provider, seconds: t.seconds(outcome.timeoutMs / 1000), remove });
    case 'unreachable':
      return t.t('revoke.unreachable', { provider, remove });
    case 'not-supported':
      return t.t('revoke.notSupported', { provider, remove });
  }
}

export const notLinkedMessage = (t: Translator, look: ProviderLook): DiscordMessage => plain(t.t('logout.notLinked', { provider: escapeMarkdown(look.name) }));

/** What /logout did: the link is gone here; whether the provider confirmed the revocation. */
export function logoutMessage(t: Translator, look: ProviderLook, unlinked: { name: string }, outcome: RevokeOutcome): DiscordMessage {
  const done = t.t('logout.done', { provider: escapeMarkdown(look.name), name: escapeMarkdown(truncate(unlinked.name, 200)) });
  return plain(`${done}\n${revokeSentence(t, look, outcome)}`);
}
