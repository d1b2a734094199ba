import type { CommandHandler } from '../discord/handler.ts';
import { discordTimestamp, ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import { findLinks } from '../links/store.ts';
import { providerLabel } from '../providers/registry.ts';

/** `/whoami`: every account the caller has linked, since when, and what they granted. Only they see it. */
export const whoami: CommandHandler = async (interaction, { env }) => {
  const links = await findLinks(env.DB, interaction.userId);
  if (links.length === 0) return ephemeralMessage('Your Discord account is not linked to any account. Use `/login` to link one.');
  const lines = links.map((link) => {
    const scopes = link.scopes.length > 0 ? link.scopes.map((scope) => `\`${scope}\``).join(', ') : 'none';
    return (
      `- **${escapeMarkdown(providerLabel(env, link.provider))}**: **${escapeMarkdown(truncate(link.name, 100))}** ` +
      `(id \`${escapeMarkdown(truncate(link.subject, 64))}\`), since ${discordTimestamp(link.linkedAtMs, 'f')} (${discordTimestamp(link.linkedAtMs, 'R')}); permissions granted: ${scopes}`
    );
  });
  return ephemeralMessage(
    truncate([`Your Discord account is linked to ${links.length === 1 ? 'this account' : 'these accounts'}:`, ...lines, 'Use `/logout` to remove a link.'].join('\n'), 2000),
  );
};
