import type { Translator } from '../i18n/catalog.ts';
import { escapeMarkdown } from '../discord/messages.ts';
import type { LinkResult } from './store.ts';

/**
 * One line for the "Logged in as …" message about what the login replaced, or undefined when it replaced
 * nothing. The other Discord user is named by mention markup, which Discord renders as a name without pinging.
 */
export function linkNote(t: Translator, providerName: string, result: LinkResult): string | undefined {
  const provider = escapeMarkdown(providerName);
  const lines: string[] = [];
  if (result.kind === 'relinked') lines.push(t.t('success.relinked', { provider }));
  if (result.movedFromDiscordUserId !== undefined) lines.push(t.t('success.moved', { provider, user: `<@${result.movedFromDiscordUserId}>` }));
  return lines.length > 0 ? lines.join('\n') : undefined;
}
