import { discordSetting } from '../config.ts';
import type { CommandHandler } from '../discord/handler.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import { ephemeralMessage } from '../discord/messages.ts';
import { loginSession } from '../login/stub.ts';

/**
 * `/logout`: answers at once with a deferred, ephemeral reply and hands the work to the user's LoginSession
 * Durable Object (one RPC), which deletes the link, asks Facebook to revoke the app's access and edits the reply
 * with what happened. So the answer never waits for D1 or Facebook, and the work survives a restart.
 */
export const logout: CommandHandler = async (interaction, { env }) => {
  // The outcome is an edit of the reply, which needs Discord's API settings.
  if (!discordSetting(env).ok) return ephemeralMessage("This bot's logout is not set up yet; the operator can see why in the Worker logs.");
  await loginSession(env, interaction.userId).logout({
    discordUserId: interaction.userId,
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
  });
  return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
};
