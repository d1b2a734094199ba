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
