/** Builders for the interaction responses the bot sends. */
import type { APIInteractionResponseChannelMessageWithSource } from 'discord-api-types/v10';
import { InteractionResponseType, MessageFlags } from './constants.ts';

/** A message only the invoking user sees (type 4, EPHEMERAL). */
export function ephemeralMessage(content: string): APIInteractionResponseChannelMessageWithSource {
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: { content, flags: MessageFlags.Ephemeral },
  };
}

/**
 * Escapes Discord markdown so that text from elsewhere (a Facebook name) shows literally; `<` and `@` too, so it
 * can never form a mention or a timestamp.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>#\[\]()<@-]/g, '\\$&');
}

/** Discord's timestamp markup, shown in each reader's own time zone: `f` date and time, `R` relative. */
export function discordTimestamp(unixMs: number, style: 'f' | 'R'): string {
  return `<t:${Math.floor(unixMs / 1000)}:${style}>`;
}

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
