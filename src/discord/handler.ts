/**
 * What a handler is: a function from a parsed interaction to Discord's answer. Here, below both the dispatcher
 * and the handlers, so that neither imports the other's module for its types.
 */
import type { APIInteractionResponse } from 'discord-api-types/v10';
import type { Env } from '../env.ts';
import type { AutocompleteInteraction, CommandInteraction, ComponentInteraction } from './interaction.ts';

export interface HandlerContext {
  env: Env;
  ctx: ExecutionContext;
}

type Awaitable<T> = T | Promise<T>;

export type CommandHandler = (interaction: CommandInteraction, context: HandlerContext) => Awaitable<APIInteractionResponse>;
export type ComponentHandler = (interaction: ComponentInteraction, context: HandlerContext) => Awaitable<APIInteractionResponse>;
export type AutocompleteHandler = (
  interaction: AutocompleteInteraction,
  context: HandlerContext,
) => Awaitable<APIInteractionResponse>;
