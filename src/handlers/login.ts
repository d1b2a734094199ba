import type { CommandHandler } from '../discord/dispatch.ts';
import { invokingUserId } from '../discord/dispatch.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import { ephemeralMessage } from '../discord/messages.ts';

/**
 * `/login`: hands the login to the user's LoginSession Durable Object (one RPC, no Facebook call here) and
 * answers at once with a deferred, ephemeral reply. The object edits that reply as the login progresses.
 */
export const login: CommandHandler = async (interaction, { env }) => {
  const discordUserId = invokingUserId(interaction);
  if (!discordUserId) return ephemeralMessage('Could not tell who you are. Please try again.');
  const session = env.LOGIN_SESSIONS.get(env.LOGIN_SESSIONS.idFromName(discordUserId));
  await session.start({
    applicationId: interaction.application_id,
    interactionToken: interaction.token,
    discordUserId,
    locale: interaction.locale,
  });
  return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
};
