/**
 * Every slash command the bot offers: the JSON Discord registers. The dispatcher (src/discord/dispatch.ts) and
 * `npm run register-commands` both read this module, so a new command is an entry here plus its handler, and the
 * type checker refuses a command without one.
 */
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { ApplicationCommandType, ApplicationIntegrationType, InteractionContextType } from './constants.ts';

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
    description: 'Link your Facebook account: get a code to enter at facebook.com/device.',
  },
  whoami: {
    ...everywhere,
    name: 'whoami',
    description: 'Show which Facebook account your Discord account is linked to, and since when.',
  },
  logout: {
    ...everywhere,
    name: 'logout',
    description: 'Unlink your Facebook account and remove this app\'s access to it at Facebook.',
  },
} satisfies Record<string, CommandDefinition>;

export type CommandName = keyof typeof commands;

/** The body for Discord's bulk-overwrite endpoint. */
export function commandList(): CommandDefinition[] {
  return Object.values(commands);
}
