import { discordSetting, logOnce } from '../config.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import type { CommandHandler } from '../discord/handler.ts';
import { ephemeralMessage } from '../discord/messages.ts';
import { facebookSetting } from '../facebook/settings.ts';
import { loginSession } from '../login/stub.ts';

const NOT_SET_UP = "This bot's Facebook login is not set up yet; the operator can see why in the Worker logs.";

/**
 * `/login`: hands the login to the user's LoginSession Durable Object (one RPC, no Facebook call here) and
 * answers at once with a deferred, ephemeral reply. The object edits that reply as the login progresses.
 */
export const login: CommandHandler = async (interaction, { env }) => {
  const facebook = facebookSetting(env);
  if (!facebook) logOnce(env, 'login', { variable: 'FACEBOOK_APP_ID', problem: 'is not set, so no login provider is set up' });
  if (!facebook?.ok || !discordSetting(env).ok) return ephemeralMessage(NOT_SET_UP);
  const result = await loginSession(env, interaction.userId).start({
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    discordUserId: interaction.userId,
    locale: interaction.locale ?? interaction.guildLocale ?? 'en-US',
  });
  if (result.kind === 'rate-limited') {
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return ephemeralMessage(`You started several logins in the last minute. Please wait ${seconds} s, then use \`/login\` again.`);
  }
  return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
};
