/**
 * Every slash command the bot offers: the JSON Discord registers. The dispatcher (src/discord/dispatch.ts) and
 * `npm run register-commands` both read this module, so a new command is an entry here plus its handler, and the
 * type checker refuses a command without one.
 */
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { ApplicationCommandOptionType, ApplicationCommandType, ApplicationIntegrationType, InteractionContextType } from './constants.ts';

export type CommandDefinition = RESTPostAPIChatInputApplicationCommandsJSONBody;

// Installable to a server and to a user's account; usable in servers, the bot's DM and group DMs.
const everywhere = {
  type: ApplicationCommandType.ChatInput,
  integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
} satisfies Partial<CommandDefinition>;

export const commands = {
  ping: {
    ...everywhere,
    name: 'ping',
    description: 'Check that the bot is up.',
  },
  login: {
    ...everywhere,
    name: 'login',
    description: 'Link an account (Facebook, GitHub, Google, ...): get a code to enter on your phone or computer.',
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'provider',
        description: 'Where your account is (the choices are the ones this bot offers).',
        required: false,
        autocomplete: true,
      },
    ],
  },
  whoami: {
    ...everywhere,
    name: 'whoami',
    description: 'Show which accounts your Discord account is linked to, and since when.',
  },
  logout: {
    ...everywhere,
    name: 'logout',
    description: "Unlink an account and remove this app's access to it where the bot can.",
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'provider',
        description: 'Which linked account to remove (asked when you have several).',
        required: false,
        autocomplete: true,
      },
    ],
  },
} satisfies Record<string, CommandDefinition>;

export type CommandName = keyof typeof commands;

/** The body for Discord's bulk-overwrite endpoint. */
export function commandList(): CommandDefinition[] {
  return Object.values(commands);
}
