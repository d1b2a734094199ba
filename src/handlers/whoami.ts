import type { CommandHandler } from '../discord/handler.ts';
import { discordTimestamp, ephemeralMessage, escapeMarkdown, truncate } from '../discord/messages.ts';
import type { Env } from '../env.ts';
import { linkedRolesStatus } from '../linked-roles/push.ts';
import { findLinks } from '../links/store.ts';
import { providerLabel } from '../providers/registry.ts';

/** The line about Linked Roles: whether the bot can update the user's role connection (it holds their grant). */
async function linkedRolesLine(env: Env, userId: string): Promise<string[]> {
  const status = await linkedRolesStatus(env, userId);
  if (status.kind === 'off') return [];
  if (status.kind === 'connected') return ['Linked Roles: connected; the bot updates your role requirements whenever your links change.'];
  return [`Linked Roles: not connected, so the bot cannot update your role requirements. Open **Linked Roles** in a server's menu, or <${status.startUrl}>.`];
}

/** `/whoami`: every account the caller has linked, since when, and what they granted. Only they see it. */
export const whoami: CommandHandler = async (interaction, { env }) => {
  const [links, linkedRoles] = await Promise.all([findLinks(env.DB, interaction.userId), linkedRolesLine(env, interaction.userId)]);
  if (links.length === 0) {
    return ephemeralMessage(['Your Discord account is not linked to any account. Use `/login` to link one.', ...linkedRoles].join('\n'));
  }
  const lines = links.map((link) => {
    const scopes = link.scopes.length > 0 ? link.scopes.map((scope) => `\`${scope}\``).join(', ') : 'none';
    return (
      `- **${escapeMarkdown(providerLabel(env, link.provider))}**: **${escapeMarkdown(truncate(link.name, 100))}** ` +
      `(id \`${escapeMarkdown(truncate(link.subject, 64))}\`), since ${discordTimestamp(link.linkedAtMs, 'f')} (${discordTimestamp(link.linkedAtMs, 'R')}); permissions granted: ${scopes}`
    );
  });
  return ephemeralMessage(
    truncate([`Your Discord account is linked to ${links.length === 1 ? 'this account' : 'these accounts'}:`, ...lines, 'Use `/logout` to remove a link.', ...linkedRoles].join('\n'), 2000),
  );
};
