/**
 * Routes a verified, parsed interaction to its handler: slash commands by name, components (buttons) by the
 * prefix of their custom_id (`prefix:rest`). Anything unknown gets a polite ephemeral answer, never a 5xx.
 */
import type {
  APIChatInputApplicationCommandInteraction,
  APIInteraction,
  APIInteractionResponse,
  APIMessageComponentInteraction,
} from 'discord-api-types/v10';
import type { Config } from '../config.ts';
import type { Env } from '../env.ts';
import { cancelLogin } from '../handlers/cancel-login.ts';
import { login } from '../handlers/login.ts';
import { logout } from '../handlers/logout.ts';
import { ping } from '../handlers/ping.ts';
import { whoami } from '../handlers/whoami.ts';
import { CANCEL_PREFIX } from '../login/views.ts';
import type { CommandName } from './commands.ts';
import { InteractionResponseType, InteractionType } from './constants.ts';
import { ephemeralMessage } from './messages.ts';

export interface HandlerContext {
  config: Config;
  env: Env;
  ctx: ExecutionContext;
}

type Awaitable<T> = T | Promise<T>;

export type CommandHandler = (
  interaction: APIChatInputApplicationCommandInteraction,
  context: HandlerContext,
) => Awaitable<APIInteractionResponse>;

export type ComponentHandler = (
  interaction: APIMessageComponentInteraction,
  context: HandlerContext,
) => Awaitable<APIInteractionResponse>;

const commandHandlers: { [Name in CommandName]: CommandHandler } = {
  ping,
  login,
  whoami,
  logout,
};

const componentHandlers: Record<string, ComponentHandler> = {
  [CANCEL_PREFIX]: cancelLogin,
};

/** The Discord user who caused the interaction: `member.user` in a server, `user` in DMs. */
export function invokingUserId(interaction: APIInteraction): string | undefined {
  return interaction.member?.user.id ?? interaction.user?.id;
}

function hasOwn<K extends string>(table: Record<K, unknown>, key: string): key is K {
  return Object.prototype.hasOwnProperty.call(table, key);
}

export class UnsupportedInteractionError extends Error {
  override name = 'UnsupportedInteractionError';
}

/**
 * Produces the response for one interaction. Throws {@link UnsupportedInteractionError} for an interaction type
 * or shape the bot does not handle (the endpoint answers 400).
 */
export async function dispatch(interaction: APIInteraction, context: HandlerContext): Promise<APIInteractionResponse> {
  switch (interaction.type) {
    case InteractionType.Ping:
      return { type: InteractionResponseType.Pong };

    case InteractionType.ApplicationCommand: {
      const name = interaction.data?.name;
      if (typeof name !== 'string') throw new UnsupportedInteractionError('command without a name');
      if (!hasOwn(commandHandlers, name)) return ephemeralMessage(`Unknown command \`/${name}\`. It may have been removed.`);
      return runHandler(`/${name}`, () =>
        commandHandlers[name](interaction as APIChatInputApplicationCommandInteraction, context),
      );
    }

    case InteractionType.MessageComponent: {
      const customId = interaction.data?.custom_id;
      if (typeof customId !== 'string') throw new UnsupportedInteractionError('component without a custom_id');
      const prefix = customId.split(':', 1)[0]!;
      if (!hasOwn(componentHandlers, prefix)) return ephemeralMessage('This button is no longer supported.');
      return runHandler(`component ${prefix}`, () => componentHandlers[prefix]!(interaction, context));
    }

    default:
      throw new UnsupportedInteractionError(`interaction type ${String((interaction as { type: unknown }).type)}`);
  }
}

// A handler that fails still owes the user an answer within 3 s: an ephemeral apology, and a log line.
async function runHandler(
  what: string,
  handler: () => Awaitable<APIInteractionResponse>,
): Promise<APIInteractionResponse> {
  try {
    return await handler();
  } catch (error) {
    console.error(`handler for ${what} failed:`, error instanceof Error ? error.message : String(error));
    return ephemeralMessage('Something went wrong on our side. Please try again in a moment.');
  }
}
