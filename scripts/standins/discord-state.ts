/**
 * What Discord remembers about interactions and their messages, and the rules it applies to them
 * (PLATFORM.md §4.2, §4.3): the inline answer becomes the original message (type 4: a message; type 5: a
 * "thinking…" placeholder until edited); type 7 updates the message the button was on, type 6 changes nothing;
 * EPHEMERAL is fixed at creation, IS_COMPONENTS_V2 can be added by an edit but never removed; a token works
 * for 15 minutes, and only once the interaction was answered. No HTTP here.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../lib/clock.ts';
import * as errors from './discord-errors.ts';
import { MessageFlag, validateMessage } from './discord-limits.ts';
import { apiUser, InteractionKind, type DiscordUser, type InteractionPayload } from './discord-payloads.ts';

export const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export const ResponseKind = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  ApplicationCommandAutocompleteResult: 8,
} as const;

/** A choice an autocomplete answer offers: shown as `name`, sent as the option's `value` when picked. */
export interface AutocompleteChoice {
  name: string;
  value: string | number;
}

/** Discord shows at most 25 choices; names 1-100 characters, string values at most 100 (a longer list is a 400). */
const MAX_CHOICES = 25;
const MAX_CHOICE_TEXT = 100;

/** Why an autocomplete answer's choices would be refused (Discord shows "Loading options failed"), if they would. */
function checkChoices(data: Json): { choices: AutocompleteChoice[] } | { problem: string } {
  const choices = data.choices;
  if (!Array.isArray(choices)) return { problem: 'an autocomplete answer (type 8) needs data.choices, an array' };
  if (choices.length > MAX_CHOICES) return { problem: `Invalid Form Body: data.choices has ${choices.length} entries (at most ${MAX_CHOICES})` };
  const out: AutocompleteChoice[] = [];
  for (const [i, choice] of choices.entries()) {
    if (!isObject(choice)) return { problem: `Invalid Form Body: data.choices.${i} is not an object` };
    const { name, value } = choice;
    if (typeof name !== 'string' || name.length < 1 || name.length > MAX_CHOICE_TEXT) {
      return { problem: `Invalid Form Body: data.choices.${i}.name must be 1-${MAX_CHOICE_TEXT} characters` };
    }
    const fits = typeof value === 'string' ? value.length <= MAX_CHOICE_TEXT : typeof value === 'number';
    if (!fits) return { problem: `Invalid Form Body: data.choices.${i}.value must be a string of at most ${MAX_CHOICE_TEXT} characters or a number` };
    out.push({ name, value: value as string | number });
  }
  return { choices: out };
}

/** Flags an answer or a new message may set; others are ignored. */
const CREATE_FLAGS = MessageFlag.SuppressEmbeds | MessageFlag.Ephemeral | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2;

export type InteractionState = 'sent' | 'answered' | 'failed';

export interface InteractionSummary {
  id: string;
  type: number;
  /** The slash command's name, for a command. */
  name: string | undefined;
  /** The button's custom_id, for a component. */
  customId: string | undefined;
  userId: string;
  /** The user's client language the interaction carried (`locale`); undefined for a PING. */
  locale: string | undefined;
  createdAt: number;
  state: InteractionState;
  /** The answer's `type`, once answered. */
  responseType: number | undefined;
  /** Why Discord would show "This interaction failed". */
  failure: string | undefined;
  originalMessageId: string | undefined;
  followupIds: string[];
  /** Successful edits through this token (PATCH, and a follow-up that replaced the "thinking…" placeholder). */
  edits: number;
  /** Every request to a webhook route with this token, refused ones included. */
  webhookRequests: number;
  /** Requests with this token answered 429 by the bucket. */
  rateLimited: number;
  /** For an autocomplete interaction: the option being typed and what was typed so far. */
  focused: { name: string; value: unknown } | undefined;
  /** For an autocomplete interaction, once answered: the choices offered, in order. */
  choices: AutocompleteChoice[] | undefined;
}

interface InteractionRecord extends InteractionSummary {
  token: string;
  applicationId: string;
  user: DiscordUser;
  payload: InteractionPayload;
  clickedMessageId: string | undefined;
}

interface MessageRecord {
  id: string;
  type: number;
  channelId: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  createdAt: number;
  editedAt: number | undefined;
  interaction: InteractionRecord;
}

/** A message as Discord's API returns it. */
export type DiscordMessage = Record<string, unknown> & {
  id: string;
  channel_id: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
};

export type DiscordChange =
  | { kind: 'interaction'; interaction: InteractionSummary }
  | { kind: 'message'; action: 'created' | 'updated' | 'deleted'; message: DiscordMessage };

/** An HTTP answer for a webhook route; `body` undefined means 204. */
export interface WebhookAnswer {
  status: number;
  body?: unknown;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const has = (body: Json, key: string) => Object.prototype.hasOwnProperty.call(body, key);
const discordTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000+00:00');

export interface DiscordStateSettings {
  applicationId: string;
  appName: string;
  now: Clock;
  newId: () => string;
  tokenLifetimeMs: number;
}

export class DiscordState extends EventEmitter<{ change: [DiscordChange] }> {
  readonly #settings: DiscordStateSettings;
  readonly #byToken = new Map<string, InteractionRecord>();
  readonly #byId = new Map<string, InteractionRecord>();
  readonly #messages = new Map<string, MessageRecord>();

  constructor(settings: DiscordStateSettings) {
    super();
    this.setMaxListeners(0); // every waiter listens; a benchmark may have many
    this.#settings = settings;
  }

  /** Remembers an interaction Discord is about to deliver. */
  addInteraction(payload: InteractionPayload, user: DiscordUser, clickedMessageId?: string): InteractionSummary {
    const data = isObject(payload.data) ? payload.data : {};
    const record: InteractionRecord = {
      id: payload.id,
      type: payload.type,
      name: typeof data.name === 'string' ? data.name : undefined,
      customId: typeof data.custom_id === 'string' ? data.custom_id : undefined,
      userId: user.id,
      locale: typeof payload.locale === 'string' ? payload.locale : undefined,
      createdAt: this.#settings.now(),
      state: 'sent',
      responseType: undefined,
      failure: undefined,
      originalMessageId: undefined,
      followupIds: [],
      edits: 0,
      webhookRequests: 0,
      rateLimited: 0,
      focused: focusedOf(data.options),
      choices: undefined,
      token: payload.token,
      applicationId: String(payload.application_id),
      user,
      payload,
      clickedMessageId,
    };
    this.#byToken.set(record.token, record);
    this.#byId.set(record.id, record);
    this.#emitInteraction(record);
    return summary(record);
  }

  /**
   * Applies the bot's HTTP answer to the interaction with `token`. `problem` is set when no answer arrived
   * (timeout, connection refused). Returns why it failed, if it did, and the original message.
   */
  applyAnswer(token: string, status: number, body: unknown, problem?: string): { failure?: string; message?: DiscordMessage } {
    const record = this.#byToken.get(token)!;
    const fail = (why: string) => {
      record.state = 'failed';
      record.failure = why;
      this.#emitInteraction(record);
      return { failure: why };
    };
    if (problem) return fail(problem);
    if (status !== 200) return fail(`the bot answered HTTP ${status}${status === 202 ? ' (the callback endpoint is not modelled)' : ''}`);
    if (!isObject(body) || typeof body.type !== 'number') return fail('the answer is not an interaction response');
    const type = body.type;
    const data = isObject(body.data) ? body.data : {};

    if (record.type === InteractionKind.Ping) {
      if (type !== ResponseKind.Pong) return fail('a PING must be answered with type 1');
      return this.#answered(record, type, undefined);
    }
    // An autocomplete answer is a list of choices, nothing else: no message, and its token edits nothing.
    if (record.type === InteractionKind.ApplicationCommandAutocomplete) {
      if (type !== ResponseKind.ApplicationCommandAutocompleteResult) return fail(`an autocomplete interaction must be answered with type 8, not ${type}`);
      const checked = checkChoices(data);
      if ('problem' in checked) return fail(checked.problem);
      record.choices = checked.choices;
      return this.#answered(record, type, undefined);
    }
    if (type === ResponseKind.ApplicationCommandAutocompleteResult) return fail('answer type 8 is only for autocomplete interactions');
    switch (type) {
      case ResponseKind.ChannelMessageWithSource: {
        const flags = (typeof data.flags === 'number' ? data.flags : 0) & CREATE_FLAGS;
        const fields = messageFields(data);
        const problemText = this.#checkNew(fields, flags);
        if (problemText) return fail(problemText);
        return this.#answered(record, type, this.#create(record, fields, flags, originalType(record)));
      }
      case ResponseKind.DeferredChannelMessageWithSource: {
        const flags = typeof data.flags === 'number' ? data.flags : 0;
        if ((flags & ~MessageFlag.Ephemeral) !== 0) return fail('a deferred answer (type 5) may only carry the EPHEMERAL flag');
        const placeholder = { content: '', embeds: [], components: [] };
        return this.#answered(record, type, this.#create(record, placeholder, flags | MessageFlag.Loading, originalType(record)));
      }
      case ResponseKind.DeferredUpdateMessage:
      case ResponseKind.UpdateMessage: {
        if (record.type !== InteractionKind.MessageComponent) return fail(`answer type ${type} is only for message components`);
        const clicked = this.#messages.get(record.clickedMessageId!);
        if (!clicked) return fail('the message with the button no longer exists');
        if (type === ResponseKind.UpdateMessage) {
          const result = this.#edit(clicked, data);
          if (result.status !== 200) return fail(`the update was refused: ${JSON.stringify(result.body)}`);
        }
        return this.#answered(record, type, clicked);
      }
      default:
        return fail(`answer type ${type} is not modelled by the stand-in`);
    }
  }

  #answered(record: InteractionRecord, type: number, message: MessageRecord | undefined) {
    record.state = 'answered';
    record.responseType = type;
    record.originalMessageId = message?.id;
    this.#emitInteraction(record);
    return message ? { message: this.#api(message) } : {};
  }

  /** Counts a webhook request for the token's statistics, whether or not the token is valid. */
  countRequest(token: string, rateLimited: boolean): void {
    const record = this.#byToken.get(token);
    if (!record) return;
    record.webhookRequests++;
    if (rateLimited) record.rateLimited++;
  }

  getOriginal(applicationId: string, token: string): WebhookAnswer {
    return this.#withOriginal(applicationId, token, (message) => ({ status: 200, body: this.#api(message) }));
  }

  editOriginal(applicationId: string, token: string, body: Json): WebhookAnswer {
    return this.#withOriginal(applicationId, token, (message, record) => this.#countEdit(record, this.#edit(message, body)));
  }

  deleteOriginal(applicationId: string, token: string): WebhookAnswer {
    return this.#withOriginal(applicationId, token, (message) => this.#delete(message));
  }

  /** `POST /webhooks/{app}/{token}`. Right after a defer it fills in the placeholder instead (PLATFORM.md §4.3). */
  createFollowup(applicationId: string, token: string, body: Json): WebhookAnswer {
    const record = this.#usable(applicationId, token);
    if (!record) return errors.unknownWebhook();
    const original = record.originalMessageId ? this.#messages.get(record.originalMessageId) : undefined;
    if (original && (original.flags & MessageFlag.Loading) !== 0) return this.#countEdit(record, this.#edit(original, body));

    const flags = (typeof body.flags === 'number' ? body.flags : 0) & CREATE_FLAGS;
    const fields = messageFields(body);
    const formErrors = validateMessage(fields, flags);
    if (formErrors) return errors.invalidFormBody(formErrors.root);
    if (isEmpty(fields)) return errors.emptyMessage();
    const message = this.#create(record, fields, flags);
    record.followupIds.push(message.id);
    this.#emitInteraction(record);
    return { status: 200, body: this.#api(message) };
  }

  getMessage(applicationId: string, token: string, messageId: string): WebhookAnswer {
    return this.#withOwned(applicationId, token, messageId, (message) => ({ status: 200, body: this.#api(message) }));
  }

  editMessage(applicationId: string, token: string, messageId: string, body: Json): WebhookAnswer {
    return this.#withOwned(applicationId, token, messageId, (message, record) => this.#countEdit(record, this.#edit(message, body)));
  }

  deleteMessage(applicationId: string, token: string, messageId: string): WebhookAnswer {
    return this.#withOwned(applicationId, token, messageId, (message) => this.#delete(message));
  }

  message(id: string): DiscordMessage | undefined {
    const message = this.#messages.get(id);
    return message && this.#api(message);
  }

  messages(): DiscordMessage[] {
    return [...this.#messages.values()].map((message) => this.#api(message));
  }

  /** By interaction id or token. */
  interaction(idOrToken: string): InteractionSummary | undefined {
    const record = this.#byId.get(idOrToken) ?? this.#byToken.get(idOrToken);
    return record && summary(record);
  }

  interactions(): InteractionSummary[] {
    return [...this.#byId.values()].map(summary);
  }

  /** The payload Discord sent for an interaction (with its token), for building a click on its message. */
  payload(interactionId: string): InteractionPayload | undefined {
    return this.#byId.get(interactionId)?.payload;
  }

  /** Who may see and click a message: the invoking user for an ephemeral one, anyone otherwise. */
  messageAudience(messageId: string): { ephemeral: boolean; userId: string; user: DiscordUser; interactionId: string } | undefined {
    const message = this.#messages.get(messageId);
    if (!message) return undefined;
    return {
      ephemeral: (message.flags & MessageFlag.Ephemeral) !== 0,
      userId: message.interaction.userId,
      user: message.interaction.user,
      interactionId: message.interaction.id,
    };
  }

  #usable(applicationId: string, token: string): InteractionRecord | undefined {
    const record = this.#byToken.get(token);
    if (!record || record.applicationId !== applicationId) return undefined;
    if (record.type === InteractionKind.ApplicationCommandAutocomplete) return undefined;
    if (this.#settings.now() - record.createdAt > this.#settings.tokenLifetimeMs) return undefined;
    return record.state === 'answered' ? record : undefined;
  }

  #withOriginal(applicationId: string, token: string, action: (message: MessageRecord, record: InteractionRecord) => WebhookAnswer): WebhookAnswer {
    const record = this.#usable(applicationId, token);
    if (!record) return errors.unknownWebhook();
    const message = record.originalMessageId ? this.#messages.get(record.originalMessageId) : undefined;
    if (!message) return errors.unknownMessage();
    return action(message, record);
  }

  #withOwned(
    applicationId: string,
    token: string,
    messageId: string,
    action: (message: MessageRecord, record: InteractionRecord) => WebhookAnswer,
  ): WebhookAnswer {
    const record = this.#usable(applicationId, token);
    if (!record) return errors.unknownWebhook();
    const owned = messageId === record.originalMessageId || record.followupIds.includes(messageId);
    const message = owned ? this.#messages.get(messageId) : undefined;
    if (!message) return errors.unknownMessage();
    return action(message, record);
  }

  #countEdit(record: InteractionRecord, answer: WebhookAnswer): WebhookAnswer {
    if (answer.status === 200) {
      record.edits++;
      this.#emitInteraction(record);
    }
    return answer;
  }

  #checkNew(fields: MessageFields, flags: number): string | undefined {
    const formErrors = validateMessage(fields, flags);
    if (formErrors) return `Invalid Form Body ${JSON.stringify(formErrors.root)}`;
    if (isEmpty(fields)) return 'Cannot send an empty message';
    return undefined;
  }

  /** `type` 20 (CHAT_INPUT_COMMAND) for the answer to a slash command, 0 (DEFAULT) otherwise. */
  #create(record: InteractionRecord, fields: MessageFields, flags: number, type = 0): MessageRecord {
    const message: MessageRecord = {
      id: this.#settings.newId(),
      type,
      channelId: String(record.payload.channel_id),
      content: fields.content,
      embeds: fields.embeds,
      components: fields.components,
      flags,
      createdAt: this.#settings.now(),
      editedAt: undefined,
      interaction: record,
    };
    this.#messages.set(message.id, message);
    this.emit('change', { kind: 'message', action: 'created', message: this.#api(message) });
    return message;
  }

  /** PATCH semantics: absent fields stay, `null` clears; EPHEMERAL stays; IS_COMPONENTS_V2 can only be added. */
  #edit(message: MessageRecord, body: Json): WebhookAnswer {
    const next: MessageFields = {
      content: has(body, 'content') ? (body.content as string | null) ?? '' : message.content,
      embeds: has(body, 'embeds') ? (body.embeds as unknown[] | null) ?? [] : message.embeds,
      components: has(body, 'components') ? (body.components as unknown[] | null) ?? [] : message.components,
    };
    let flags = message.flags & ~MessageFlag.Loading;
    if (typeof body.flags === 'number') {
      flags = (flags & ~MessageFlag.SuppressEmbeds) | (body.flags & (MessageFlag.SuppressEmbeds | MessageFlag.IsComponentsV2));
    }
    const formErrors = validateMessage(next, flags);
    if (formErrors) return errors.invalidFormBody(formErrors.root);
    if (isEmpty(next)) return errors.emptyMessage();
    message.content = next.content;
    message.embeds = next.embeds;
    message.components = next.components;
    message.flags = flags;
    message.editedAt = this.#settings.now();
    const api = this.#api(message);
    this.emit('change', { kind: 'message', action: 'updated', message: api });
    return { status: 200, body: api };
  }

  #delete(message: MessageRecord): WebhookAnswer {
    this.#messages.delete(message.id);
    this.emit('change', { kind: 'message', action: 'deleted', message: this.#api(message) });
    return { status: 204 };
  }

  #api(message: MessageRecord): DiscordMessage {
    const record = message.interaction;
    const { applicationId, appName } = this.#settings;
    return {
      id: message.id,
      type: message.type,
      content: message.content,
      channel_id: message.channelId,
      author: { id: applicationId, username: appName, global_name: null, discriminator: '0000', avatar: null, public_flags: 0, flags: 0, bot: true },
      attachments: [],
      embeds: structuredClone(message.embeds),
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: discordTime(message.createdAt),
      edited_timestamp: message.editedAt === undefined ? null : discordTime(message.editedAt),
      flags: message.flags,
      components: structuredClone(message.components),
      application_id: applicationId,
      webhook_id: applicationId,
      interaction_metadata: {
        id: record.id,
        type: record.type,
        user: apiUser(record.user),
        authorizing_integration_owners: record.payload.authorizing_integration_owners ?? {},
        ...(record.name ? { name: record.name } : {}),
      },
    };
  }

  #emitInteraction(record: InteractionRecord): void {
    this.emit('change', { kind: 'interaction', interaction: summary(record) });
  }
}

type MessageFields = {
  content: string;
  embeds: unknown[];
  components: unknown[];
};

function messageFields(data: Json): MessageFields {
  return {
    content: (data.content as string | undefined | null) ?? '',
    embeds: (data.embeds as unknown[] | undefined | null) ?? [],
    components: (data.components as unknown[] | undefined | null) ?? [],
  };
}

const isEmpty = (fields: MessageFields) =>
  fields.content === '' && (!Array.isArray(fields.embeds) || fields.embeds.length === 0) && (!Array.isArray(fields.components) || fields.components.length === 0);

const originalType = (record: InteractionRecord) => (record.type === InteractionKind.ApplicationCommand ? 20 : 0);

function summary(record: InteractionRecord): InteractionSummary {
  return {
    id: record.id,
    type: record.type,
    name: record.name,
    customId: record.customId,
    userId: record.userId,
    locale: record.locale,
    createdAt: record.createdAt,
    state: record.state,
    responseType: record.responseType,
    failure: record.failure,
    originalMessageId: record.originalMessageId,
    followupIds: [...record.followupIds],
    edits: record.edits,
    webhookRequests: record.webhookRequests,
    rateLimited: record.rateLimited,
    focused: record.focused && { ...record.focused },
    choices: record.choices?.map((choice) => ({ ...choice })),
  };
}

function focusedOf(options: unknown): { name: string; value: unknown } | undefined {
  if (!Array.isArray(options)) return undefined;
  const option = options.find((candidate) => isObject(candidate) && candidate.focused === true) as Json | undefined;
  return option && typeof option.name === 'string' ? { name: option.name, value: option.value } : undefined;
}
