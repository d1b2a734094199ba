/**
 * The Discord enum values this bot uses, under discord-api-types' names. Importing discord-api-types' runtime
 * enums would put its whole CommonJS build (~200 KB, not tree-shakeable) into the Worker, so the values are
 * restated here, and `satisfies` makes the compiler check every one against discord-api-types.
 */
import type * as D from 'discord-api-types/v10';

export const InteractionType = {
  Ping: 1,
  ApplicationCommand: 2,
  MessageComponent: 3,
  ApplicationCommandAutocomplete: 4,
} as const satisfies {
  Ping: D.InteractionType.Ping;
  ApplicationCommand: D.InteractionType.ApplicationCommand;
  MessageComponent: D.InteractionType.MessageComponent;
  ApplicationCommandAutocomplete: D.InteractionType.ApplicationCommandAutocomplete;
};

export const InteractionResponseType = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  UpdateMessage: 7,
  ApplicationCommandAutocompleteResult: 8,
} as const satisfies {
  Pong: D.InteractionResponseType.Pong;
  ChannelMessageWithSource: D.InteractionResponseType.ChannelMessageWithSource;
  DeferredChannelMessageWithSource: D.InteractionResponseType.DeferredChannelMessageWithSource;
  UpdateMessage: D.InteractionResponseType.UpdateMessage;
  ApplicationCommandAutocompleteResult: D.InteractionResponseType.ApplicationCommandAutocompleteResult;
};

export const MessageFlags = {
  Ephemeral: 64,
} as const satisfies {
  Ephemeral: D.MessageFlags.Ephemeral;
};

export const ComponentType = {
  ActionRow: 1,
  Button: 2,
} as const satisfies {
  ActionRow: D.ComponentType.ActionRow;
  Button: D.ComponentType.Button;
};

export const ButtonStyle = {
  Secondary: 2,
  Link: 5,
} as const satisfies {
  Secondary: D.ButtonStyle.Secondary;
  Link: D.ButtonStyle.Link;
};

export const ApplicationCommandOptionType = {
  String: 3,
} as const satisfies {
  String: D.ApplicationCommandOptionType.String;
};

export const ApplicationCommandType = {
  ChatInput: 1,
} as const satisfies {
  ChatInput: D.ApplicationCommandType.ChatInput;
};

export const ApplicationIntegrationType = {
  GuildInstall: 0,
  UserInstall: 1,
} as const satisfies {
  GuildInstall: D.ApplicationIntegrationType.GuildInstall;
  UserInstall: D.ApplicationIntegrationType.UserInstall;
};

export const InteractionContextType = {
  Guild: 0,
  BotDM: 1,
  PrivateChannel: 2,
} as const satisfies {
  Guild: D.InteractionContextType.Guild;
  BotDM: D.InteractionContextType.BotDM;
  PrivateChannel: D.InteractionContextType.PrivateChannel;
};
