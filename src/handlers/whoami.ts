import type { CommandHandler } from '../discord/handler.ts';
import { discordTimestamp, ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import type { Env } from '../env.ts';
import type { Translator } from '../i18n/catalog.ts';
import { discordTranslator } from '../i18n/locales.ts';
import { linkedRolesStatus } from '../linked-roles/push.ts';
import { findLinks } from '../links/store.ts';
import { providerLabel } from '../providers/registry.ts';

/** The line about Linked Roles: whether the bot can update the user's role connection (it holds their grant). */
async function linkedRolesLine(env: Env, t: Translator, userId: string): Promise<string[]> {
  const status = await linkedRolesStatus(env, userId);
  if (status.kind === 'off') return [];
  if (status.kind === 'connected') return [t.t('whoami.linkedRolesOn')];
  return [t.t('whoami.linkedRolesOff', { url: status.startUrl })];
}

/** `/whoami`: every account the caller has linked, since when, and what they granted. Only they see it. */
export const whoami: CommandHandler = async (interaction, { env }) => {
  const t = discordTranslator(interaction.locale, interaction.guildLocale);
  const [links, linkedRoles] = await Promise.all([findLinks(env.DB, interaction.userId), linkedRolesLine(env, t, interaction.userId)]);
  if (links.length === 0) return ephemeralMessage([t.t('whoami.none'), ...linkedRoles].join('\n'));
  const lines = links.map((link) =>
    t.t('whoami.link', {
      provider: escapeMarkdown(providerLabel(env, link.provider)),
      name: escapeMarkdown(truncate(link.name, 100)),
      // Inside a code span escapes would show; a backtick could end it, so none can stay.
      id: truncate(link.subject, 64).replace(/`/g, "'"),
      since: discordTimestamp(link.linkedAtMs, 'f'),
      ago: discordTimestamp(link.linkedAtMs, 'R'),
      scopes: link.scopes.length > 0 ? link.scopes.map((scope) => `\`${scope}\``).join(', ') : t.t('whoami.noScopes'),
    }),
  );
  return ephemeralMessage(truncate([t.plural('whoami.header', links.length), ...lines, t.t('whoami.footer'), ...linkedRoles].join('\n'), 2000));
};
