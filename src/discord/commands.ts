/**
 * Every slash command the bot offers: the JSON Discord registers, with its names and descriptions in every
 * shipped language (from the catalogs in src/i18n). The dispatcher (src/discord/dispatch.ts) and
 * `npm run register-commands` both read this module, so a new command is an entry here plus its handler, and the
 * type checker refuses a command without one. Interactions always carry a command's default (English) name.
 */
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import type { MessageKey } from '../i18n/catalog.ts';
import { DISCORD_LOCALES, LOCALES, translatorFor } from '../i18n/locales.ts';
import { ApplicationCommandOptionType, ApplicationCommandType, ApplicationIntegrationType, InteractionContextType } from './constants.ts';

export type CommandDefinition = RESTPostAPIChatInputApplicationCommandsJSONBody;

// Installable to a server and to a user's account; usable in servers, the bot's DM and group DMs.
const everywhere = {
  type: ApplicationCommandType.ChatInput,
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
} satisfies Partial<CommandDefinition>;

type TextKey = Extract<MessageKey, `command.${string}`>;

/** `{ name, description }` in English, with `name_localizations` and `description_localizations` for the rest. */
function localized(nameKey: TextKey, descriptionKey: TextKey) {
  const name_localizations: Record<string, string> = {};
  const description_localizations: Record<string, string> = {};
  for (const locale of LOCALES) {
    if (locale === 'en') continue;
    const t = translatorFor(locale);
    for (const code of DISCORD_LOCALES[locale]) {
      name_localizations[code] = t.t(nameKey as never);
      description_localizations[code] = t.t(descriptionKey as never);
    }
  }
  const en = translatorFor('en');
  return { name: en.t(nameKey as never), description: en.t(descriptionKey as never), name_localizations, description_localizations };
}

const providerOption = (command: 'login' | 'logout') => ({
  type: ApplicationCommandOptionType.String,
  ...localized(`command.${command}.provider.name`, `command.${command}.provider.description`),
  required: false,
  autocomplete: true,
});

export const commands = {
  ping: { ...everywhere, ...localized('command.ping.name', 'command.ping.description'), name: 'ping' },
  login: { ...everywhere, ...localized('command.login.name', 'command.login.description'), name: 'login', options: [providerOption('login')] },
  whoami: { ...everywhere, ...localized('command.whoami.name', 'command.whoami.description'), name: 'whoami' },
  logout: { ...everywhere, ...localized('command.logout.name', 'command.logout.description'), name: 'logout', options: [providerOption('logout')] },
} satisfies Record<string, CommandDefinition>;

export type CommandName = keyof typeof commands;

/** The body for Discord's bulk-overwrite endpoint. */
export function commandList(): CommandDefinition[] {
  return Object.values(commands);
}
