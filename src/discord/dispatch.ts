/**
 * Routes a parsed interaction to its handler: slash commands by name (options checked against the command's
 * declaration first), buttons by the prefix of their custom_id (`prefix:rest`). Anything unknown gets a polite
 * ephemeral answer, never a 5xx.
 */
import type { APIInteractionResponse } from 'discord-api-types/v10';
import { loginProviders, ownLinks } from '../handlers/autocomplete.ts';
import { cancelLogin } from '../handlers/cancel-login.ts';
import { login } from '../handlers/login.ts';
import { logout } from '../handlers/logout.ts';
import { ping } from '../handlers/ping.ts';
import { whoami } from '../handlers/whoami.ts';
import { discordTranslator } from '../i18n/locales.ts';
import { CANCEL_PREFIX } from '../login/views.ts';
import { commands, type CommandName } from './commands.ts';
import { InteractionResponseType } from './constants.ts';
import type { AutocompleteHandler, CommandHandler, ComponentHandler, HandlerContext } from './handler.ts';
import type { CommandInteraction, Interaction } from './interaction.ts';
import { ephemeralMessage } from './messages.ts';

const commandHandlers: { [Name in CommandName]: CommandHandler } = {
  ping,
  login,
  whoami,
  logout,
};

/** Autocomplete by command name (each command here has one autocompleted option). */
const autocompleteHandlers: Partial<Record<CommandName, AutocompleteHandler>> = {
  login: loginProviders,
  logout: ownLinks,
};

const componentHandlers: Record<string, ComponentHandler> = {
  [CANCEL_PREFIX]: cancelLogin,
};

function hasOwn<K extends string>(table: Record<K, unknown>, key: string): key is K {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/** Whether every option sent is one the command declares, with a value of the declared type. */
function optionsMatch(name: CommandName, interaction: CommandInteraction): boolean {
  const declared: ReadonlyArray<{ name: string; type: number }> = 'options' in commands[name] ? (commands[name].options as never) : [];
  return Object.entries(interaction.options).every(([option, given]) => {
    const declaration = declared.find((d) => d.name === option);
    return declaration !== undefined && declaration.type === given.type && typeof given.value === 'string';
  });
}

/** Produces the response for one interaction. */
export async function dispatch(interaction: Interaction, context: HandlerContext): Promise<APIInteractionResponse> {
  switch (interaction.kind) {
    case 'ping':
      return { type: InteractionResponseType.Pong };

    case 'command': {
      const { name } = interaction;
      const t = discordTranslator(interaction.locale, interaction.guildLocale);
      if (!hasOwn(commandHandlers, name)) return ephemeralMessage(t.t('error.unknownCommand', { command: name }));
      if (!optionsMatch(name, interaction)) {
        console.warn(`/${name}: options that do not match the command's declaration were refused`);
        return ephemeralMessage(t.t('error.badOptions', { command: name }));
      }
      return runHandler(`/${name}`, () => commandHandlers[name](interaction, context), () => ephemeralMessage(t.t('error.internal')));
    }

    case 'autocomplete': {
      const handler = hasOwn(commandHandlers, interaction.name) ? autocompleteHandlers[interaction.name] : undefined;
      if (!handler) return { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } };
      return runHandler(`autocomplete /${interaction.name}`, () => handler(interaction, context), () => ({
        type: InteractionResponseType.ApplicationCommandAutocompleteResult,
        data: { choices: [] },
      }));
    }

    case 'component': {
      const t = discordTranslator(interaction.locale, interaction.guildLocale);
      const prefix = interaction.customId.split(':', 1)[0]!;
      if (!hasOwn(componentHandlers, prefix)) return ephemeralMessage(t.t('error.unknownButton'));
      return runHandler(`component ${prefix}`, () => componentHandlers[prefix]!(interaction, context), () => ephemeralMessage(t.t('error.internal')));
    }
  }
}

// A handler that fails still owes the user an answer within 3 s: an ephemeral apology, and a log line.
async function runHandler(
  what: string,
  handler: () => APIInteractionResponse | Promise<APIInteractionResponse>,
  fallback: () => APIInteractionResponse,
): Promise<APIInteractionResponse> {
  try {
    return await handler();
  } catch (error) {
    console.error(`handler for ${what} failed:`, error instanceof Error ? error.message : String(error));
    return fallback();
  }
}
