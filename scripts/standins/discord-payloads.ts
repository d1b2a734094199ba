/**
 * Interaction payloads shaped like the ones Discord POSTs to an interactions endpoint (API v10): snowflake ids,
 * a long random token, `version: 1`, `locale`, and the invoking user as `user` (DMs) or `member.user` plus
 * `guild_id` (servers).
 */
import { randomBytes } from 'node:crypto';

export interface DiscordUser {
  id: string;
  username: string;
  globalName?: string;
}

export interface GuildRef {
  id: string;
  /** The server's language (`guild_locale`). Default en-US. */
  locale?: string;
}

export interface InteractionWhere {
  user: DiscordUser;
  locale: string;
  guild: GuildRef | undefined;
  channelId: string;
}

export type InteractionPayload = Record<string, unknown> & { id: string; token: string; type: number };

export const InteractionKind = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, ApplicationCommandAutocomplete: 4 } as const;

/** APPLICATION_COMMAND_OPTION_TYPE: STRING 3, INTEGER 4, BOOLEAN 5, NUMBER 10 (the kinds of value a user types). */
export const OptionKind = { String: 3, Integer: 4, Boolean: 5, Number: 10 } as const;

export type OptionValues = Readonly<Record<string, string | number | boolean>>;

/**
 * Options as Discord sends them (`[{name, type, value}]`), from `{ provider: 'github' }`; the option named
 * `focused` carries `focused: true`, as in an autocomplete interaction. Values keep their JavaScript type: a
 * string is a STRING option, an integer an INTEGER, another number a NUMBER, a boolean a BOOLEAN.
 */
export function optionList(values: OptionValues, focused?: string): Array<Record<string, unknown>> {
  return Object.entries(values).map(([name, value]) => ({
    name,
    type:
      typeof value === 'string' ? OptionKind.String : typeof value === 'boolean' ? OptionKind.Boolean : Number.isInteger(value) ? OptionKind.Integer : OptionKind.Number,
    value,
    ...(name === focused ? { focused: true } : {}),
  }));
}

/** Interaction tokens look like `aW50ZXJhY3Rpb246…`: base64url of `interaction:<id>:<random>`, ~200 characters. */
export function newInteractionToken(interactionId: string): string {
  return Buffer.from(`interaction:${interactionId}:${randomBytes(96).toString('base64url')}`).toString('base64url');
}

export function apiUser(user: DiscordUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    global_name: user.globalName ?? null,
    discriminator: '0',
    avatar: null,
    public_flags: 0,
  };
}

// The permissions of a normal member, and the app's own; values only need to be plausible bitfield strings.
const MEMBER_PERMISSIONS = '2248473465835073';
const APP_PERMISSIONS = '2248473465835073';

function common(id: string, applicationId: string, token: string, where: InteractionWhere) {
  const { user, guild } = where;
  const base = {
    id,
    application_id: applicationId,
    token,
    version: 1,
    locale: where.locale,
    app_permissions: APP_PERMISSIONS,
    entitlements: [],
    attachment_size_limit: 10_485_760,
    channel_id: where.channelId,
  };
  if (guild) {
    return {
      ...base,
      guild_id: guild.id,
      guild_locale: guild.locale ?? 'en-US',
      guild: { id: guild.id, locale: guild.locale ?? 'en-US', features: [] },
      channel: { id: where.channelId, type: 0, guild_id: guild.id, name: 'general', flags: 0 },
      member: {
        user: apiUser(user),
        roles: [],
        permissions: MEMBER_PERMISSIONS,
        nick: null,
        avatar: null,
        joined_at: '2024-01-01T00:00:00.000000+00:00',
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
      },
      context: 0,
      authorizing_integration_owners: { '0': guild.id },
    };
  }
  return {
    ...base,
    user: apiUser(user),
    channel: { id: where.channelId, type: 1, flags: 0, recipients: [apiUser(user)] },
    context: 1,
    authorizing_integration_owners: { '1': user.id },
  };
}

export function commandPayload(input: {
  id: string;
  applicationId: string;
  token: string;
  commandId: string;
  name: string;
  options?: unknown[];
  where: InteractionWhere;
}): InteractionPayload {
  return {
    ...common(input.id, input.applicationId, input.token, input.where),
    type: InteractionKind.ApplicationCommand,
    data: { id: input.commandId, name: input.name, type: 1, ...(input.options ? { options: input.options } : {}) },
  };
}

/**
 * APPLICATION_COMMAND_AUTOCOMPLETE: the user is typing in an option of a slash command. `options` holds every
 * option filled in so far, the one being typed with `focused: true` (what was typed so far as its value).
 */
export function autocompletePayload(input: {
  id: string;
  applicationId: string;
  token: string;
  commandId: string;
  name: string;
  options: unknown[];
  where: InteractionWhere;
}): InteractionPayload {
  return {
    ...common(input.id, input.applicationId, input.token, input.where),
    type: InteractionKind.ApplicationCommandAutocomplete,
    data: { id: input.commandId, name: input.name, type: 1, options: input.options },
  };
}

export function componentPayload(input: {
  id: string;
  applicationId: string;
  token: string;
  customId: string;
  message: Record<string, unknown>;
  where: InteractionWhere;
}): InteractionPayload {
  return {
    ...common(input.id, input.applicationId, input.token, input.where),
    type: InteractionKind.MessageComponent,
    message: input.message,
    data: { custom_id: input.customId, component_type: 2 },
  };
}

export function pingPayload(input: { id: string; applicationId: string; token: string }): InteractionPayload {
  return { id: input.id, application_id: input.applicationId, token: input.token, type: InteractionKind.Ping, version: 1 };
}
