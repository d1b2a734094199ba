import { discordSetting } from '../config.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import type { CommandHandler } from '../discord/handler.ts';
import { stringOption } from '../discord/interaction.ts';
import { ephemeralMessage, escapeMarkdown } from '../discord/messages.ts';
import { loginSession } from '../login/stub.ts';
import { defaultProvider, enabledProvider, enabledProviders, firstMisconfigured, isProviderId, providerLabel, providerState } from '../providers/registry.ts';
import type { Env } from '../env.ts';
import type { Provider } from '../providers/types.ts';

const notSetUp = (what: string) => ephemeralMessage(`This bot's ${what} is not set up yet; the operator can see why in the Worker logs.`);

function offered(env: Env): string {
  return enabledProviders(env).map((p) => `\`${p.id}\` (${escapeMarkdown(p.name)})`).join(', ');
}

/** The provider asked for, or the default; or the answer that explains why there is none. */
function chooseProvider(env: Env, requested: string | undefined): Provider | ReturnType<typeof ephemeralMessage> {
  if (requested === undefined) {
    const provider = defaultProvider(env);
    if (provider) return provider;
    const broken = firstMisconfigured(env);
    return notSetUp(broken ? `${providerLabel(env, broken)} login` : 'login');
  }
  if (isProviderId(requested)) {
    const provider = enabledProvider(env, requested);
    if (provider) return provider;
    if (providerState(env, requested).kind === 'misconfigured') return notSetUp(`${providerLabel(env, requested)} login`);
  }
  const list = offered(env);
  const shown = escapeMarkdown(requested.slice(0, 40));
  return ephemeralMessage(list ? `This bot offers no login called "${shown}". Choose one of: ${list}.` : "This bot's login is not set up yet; the operator can see why in the Worker logs.");
}

/**
 * `/login [provider]`: hands the login to the user's LoginSession Durable Object (one RPC, no provider call here)
 * and answers at once with a deferred, ephemeral reply. The object edits that reply as the login progresses.
 */
export const login: CommandHandler = async (interaction, { env }) => {
  const chosen = chooseProvider(env, stringOption(interaction, 'provider'));
  if (!('startDeviceLogin' in chosen)) return chosen;
  // The login's messages are edits of the reply, which need Discord's API settings.
  if (!discordSetting(env).ok) return notSetUp(`${chosen.name} login`);
  const result = await loginSession(env, interaction.userId).start({
    provider: chosen.id,
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    discordUserId: interaction.userId,
    locale: interaction.locale ?? interaction.guildLocale ?? 'en-US',
  });
  switch (result.kind) {
    case 'rate-limited': {
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      return ephemeralMessage(`You started several logins in the last minute. Please wait ${seconds} s, then use \`/login\` again.`);
    }
    case 'provider-unavailable':
      return notSetUp(`${chosen.name} login`);
    case 'started':
      return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
  }
};
