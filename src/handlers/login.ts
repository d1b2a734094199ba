import { discordSetting } from '../config.ts';
import { InteractionResponseType, MessageFlags } from '../discord/constants.ts';
import type { CommandHandler } from '../discord/handler.ts';
import { stringOption } from '../discord/interaction.ts';
import { ephemeralMessage, escapeMarkdown } from '../discord/messages.ts';
import type { Env } from '../env.ts';
import type { Translator } from '../i18n/catalog.ts';
import { discordTranslator, localeFromDiscord } from '../i18n/locales.ts';
import { loginSession } from '../login/stub.ts';
import { defaultProvider, enabledProvider, enabledProviders, firstMisconfigured, isProviderId, providerLabel, providerState } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';

const notSetUp = (t: Translator, feature: string) => ephemeralMessage(t.t('error.notSetUp', { feature }));
const loginOf = (t: Translator, provider: string) => t.t('feature.providerLogin', { provider });

/** The provider asked for, or the default; or the answer that explains why there is none. */
function chooseProvider(env: Env, t: Translator, requested: string | undefined): Provider | ReturnType<typeof ephemeralMessage> {
  if (requested === undefined) {
    const provider = defaultProvider(env);
    if (provider) return provider;
    const broken = firstMisconfigured(env);
    return notSetUp(t, broken ? loginOf(t, providerLabel(env, broken)) : t.t('feature.login'));
  }
  if (isProviderId(requested)) {
    const provider = enabledProvider(env, requested);
    if (provider) return provider;
    if (providerState(env, requested).kind === 'misconfigured') return notSetUp(t, loginOf(t, providerLabel(env, requested)));
  }
  const offered = enabledProviders(env).map((p) => `\`${p.id}\` (${escapeMarkdown(p.name)})`);
  if (offered.length === 0) return notSetUp(t, t.t('feature.login'));
  return ephemeralMessage(t.t('login.noSuchProvider', { name: escapeMarkdown(requested.slice(0, 40)), list: t.list(offered) }));
}

/**
 * `/login [provider]`: hands the login to the user's LoginSession Durable Object (one RPC, no provider call here)
 * and answers at once with a deferred, ephemeral reply. The object edits that reply as the login progresses, in
 * the user's language (their Discord client's, else the server's, else English).
 */
export const login: CommandHandler = async (interaction, { env }) => {
  const t = discordTranslator(interaction.locale, interaction.guildLocale);
  const chosen = chooseProvider(env, t, stringOption(interaction, 'provider'));
  if (!('startDeviceLogin' in chosen)) return chosen;
  // The login's messages are edits of the reply, which need Discord's API settings.
  if (!discordSetting(env).ok) return notSetUp(t, loginOf(t, chosen.name));
  const result = await loginSession(env, interaction.userId).start({
    provider: chosen.id,
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    discordUserId: interaction.userId,
    discordUser: interaction.userName,
    locale: localeFromDiscord(interaction.locale, interaction.guildLocale),
  });
  switch (result.kind) {
    case 'rate-limited':
      return ephemeralMessage(t.t('login.rateLimited', { seconds: t.seconds(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) }));
    case 'provider-unavailable':
      return notSetUp(t, loginOf(t, chosen.name));
    case 'started':
      return { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: MessageFlags.Ephemeral } };
  }
};
