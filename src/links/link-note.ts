import type { LinkResult } from './store.ts';

/**
 * One line for the "Logged in as …" message about what the login replaced, or undefined when it replaced
 * nothing. The other Discord user is named by mention markup, which Discord renders as a name without pinging.
 */
export function linkNote(providerName: string, result: LinkResult): string | undefined {
  const lines: string[] = [];
  if (result.kind === 'relinked') lines.push(`This replaces the ${providerName} account you had linked before.`);
  if (result.movedFromDiscordUserId !== undefined) {
    lines.push(`This ${providerName} account was linked to another Discord account (<@${result.movedFromDiscordUserId}>); that link is removed.`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}
