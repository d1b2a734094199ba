import { discordSetting } from '../config.ts';
import type { CommandHandler } from '../discord/handler.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import { stringOption } from '../discord/interaction.ts';
import { ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import { discordTranslator, localeFromDiscord } from '../i18n/locales.ts';
import { findLinks, type Link } from '../links/store.ts';
import { loginSession } from '../login/stub.ts';
import { providerLabel } from '../providers/registry.ts';
import type { Env } from '../env.ts';

const describeLink = (env: Env, link: Link) => `\`${link.provider}\` (${escapeMarkdown(providerLabel(env, link.provider))}: **${escapeMarkdown(truncate(link.name, 60))}**)`;

/**
 * `/logout [provider]`: picks the link to remove (the one named, or the only one; with several and none named it
 * lists them and asks), then answers at once with a deferred, ephemeral reply and hands the work to the user's
 * LoginSession Durable Object, which deletes the link, asks the provider to revoke the app's access where it can
 * and edits the reply with what happened. So the answer never waits for the provider, and the work survives a
 * restart.
 */
export const logout: CommandHandler = async (interaction, { env }) => {
  const t = discordTranslator(interaction.locale, interaction.guildLocale);
  // The outcome is an edit of the reply, which needs Discord's API settings.
  if (!discordSetting(env).ok) return ephemeralMessage(t.t('error.notSetUp', { feature: t.t('feature.logout') }));
  const links = await findLinks(env.DB, interaction.userId);
  const requested = stringOption(interaction, 'provider');
  if (links.length === 0) return ephemeralMessage(t.t('logout.none'));
  const list = () => t.list(links.map((l) => describeLink(env, l)));
  let link: Link | undefined;
  if (requested !== undefined) {
    link = links.find((l) => l.provider === requested);
    if (!link) return ephemeralMessage(t.t('logout.noSuchLink', { name: escapeMarkdown(requested.slice(0, 40)), list: list() }));
  } else if (links.length > 1) {
    return ephemeralMessage(t.plural('logout.several', links.length, { list: list() }));
  } else link = links[0]!;
  await loginSession(env, interaction.userId).logout({
    provider: link.provider,
    discordUserId: interaction.userId,
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    locale: localeFromDiscord(interaction.locale, interaction.guildLocale),
  });
  return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
};
