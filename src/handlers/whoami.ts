import type { CommandHandler } from '../discord/handler.ts';
import { discordTimestamp, ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import { findByDiscordUser } from '../links/store.ts';

/** `/whoami`: which Facebook account the caller is linked to, since when, and what they granted. Only they see it. */
export const whoami: CommandHandler = async (interaction, { env }) => {
  const link = await findByDiscordUser(env.DB, interaction.userId);
  if (!link) return ephemeralMessage('Your Discord account is not linked to a Facebook account. Use `/login` to link one.');
  const scopes = link.scopes.length > 0 ? link.scopes.map((scope) => `\`${scope}\``).join(', ') : 'none';
  return ephemeralMessage(
    [
      `You are linked to the Facebook account **${escapeMarkdown(truncate(link.name, 200))}** ` +
        `(id \`${link.facebookUserId}\`) since ${discordTimestamp(link.linkedAtMs, 'f')} (${discordTimestamp(link.linkedAtMs, 'R')}).`,
      `Permissions granted: ${scopes}.`,
      'Use `/logout` to remove the link.',
    ].join('\n'),
  );
};
