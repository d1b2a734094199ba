import type { CommandHandler } from '../discord/handler.ts';
import { ephemeralMessage } from '../discord/messages.ts';
import { discordTranslator } from '../i18n/locales.ts';

/** `/ping`: proves the endpoint is reachable and verifying signatures. */
export const ping: CommandHandler = (interaction) => ephemeralMessage(discordTranslator(interaction.locale, interaction.guildLocale).t('pong'));
