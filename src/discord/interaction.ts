/**
 * The interactions the bot handles, parsed at the edge: a verified body becomes one typed {@link Interaction}
 * here, or is refused, before any handler or Durable Object runs. Handlers take these values and never check
 * shapes themselves. The schemas are valibot's (small, tree-shaken, runs on Workers); Discord adds fields over
 * time, so only what the bot reads is checked and kept: `v.object` passes unknown fields by without copying them
 * (`looseObject` copied every one of them, a few percent of the Worker's cost per command).
 */
import * as v from 'valibot';
import { InteractionType } from './constants.ts';

/** Discord ids: decimal snowflakes. Bounded, so an id can never push a custom_id over Discord's 100 characters. */
const Snowflake = v.pipe(v.string(), v.regex(/^\d{17,20}$/));
/** Interaction tokens are long URL-safe strings; anything else must never reach a URL path. */
const Token = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{20,500}$/));
const Locale = v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/)));
const User = v.object({ id: Snowflake, username: v.optional(v.string()), global_name: v.nullish(v.string()) });

const Envelope = {
  id: Snowflake,
  application_id: Snowflake,
  token: Token,
  locale: Locale,
  guild_locale: Locale,
  member: v.optional(v.object({ user: User })),
  user: v.optional(User),
};

const OptionValue = v.union([v.pipe(v.string(), v.maxLength(100)), v.number(), v.boolean()]);
const CommandOption = v.object({
  name: v.pipe(v.string(), v.regex(/^[-_\p{L}\p{N}]{1,32}$/u)),
  type: v.number(),
  value: v.optional(OptionValue),
  focused: v.optional(v.boolean()),
});
const CommandData = v.object({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(32)),
  options: v.optional(v.pipe(v.array(CommandOption), v.maxLength(25))),
});

const Schema = v.variant('type', [
  v.object({ type: v.literal(InteractionType.Ping) }),
  v.object({ ...Envelope, type: v.literal(InteractionType.ApplicationCommand), data: CommandData }),
  v.object({ ...Envelope, type: v.literal(InteractionType.ApplicationCommandAutocomplete), data: CommandData }),
  v.object({
    ...Envelope,
    type: v.literal(InteractionType.MessageComponent),
    data: v.object({ custom_id: v.pipe(v.string(), v.minLength(1), v.maxLength(100)), component_type: v.number() }),
  }),
]);

/** What every interaction but PING carries. */
export interface InteractionBase {
  id: string;
  applicationId: string;
  /** Secret: it can edit the reply for 15 minutes. Never logged, never shown. */
  token: string;
  /** The Discord user who caused it (`member.user` in a server, `user` elsewhere). */
  userId: string;
  /** Their names, for the browser login's confirmation page (shown escaped; bounded here). */
  userName: { username: string; globalName: string | undefined } | undefined;
  /** The user's client language, and the server's (Discord locale codes). */
  locale: string | undefined;
  guildLocale: string | undefined;
}

export interface CommandOptionValue {
  type: number;
  value: string | number | boolean | undefined;
  focused: boolean;
}

export interface CommandInteraction extends InteractionBase {
  kind: 'command';
  name: string;
  /** By option name; checked against the command's declaration by the dispatcher. */
  options: Record<string, CommandOptionValue>;
}

export interface AutocompleteInteraction extends InteractionBase {
  kind: 'autocomplete';
  name: string;
  options: Record<string, CommandOptionValue>;
}

export interface ComponentInteraction extends InteractionBase {
  kind: 'component';
  customId: string;
}

export type Interaction = { kind: 'ping' } | CommandInteraction | AutocompleteInteraction | ComponentInteraction;

export type ParsedInteraction =
  | { ok: true; interaction: Interaction }
  /** `problem` names the field and the rule, never a value: it is logged. */
  | { ok: false; problem: string };

type Parsed = v.InferOutput<typeof Schema>;

function base(raw: Exclude<Parsed, { type: 1 }>): InteractionBase | undefined {
  const user = raw.member?.user ?? raw.user;
  if (!user) return undefined;
  return {
    id: raw.id,
    applicationId: raw.application_id,
    token: raw.token,
    userId: user.id,
    userName: user.username ? { username: user.username.slice(0, 64), globalName: user.global_name?.slice(0, 64) || undefined } : undefined,
    locale: raw.locale,
    guildLocale: raw.guild_locale,
  };
}

function options(list: v.InferOutput<typeof CommandOption>[] | undefined): Record<string, CommandOptionValue> | undefined {
  const out: Record<string, CommandOptionValue> = Object.create(null);
  for (const option of list ?? []) {
    if (option.name in out) return undefined;
    out[option.name] = { type: option.type, value: option.value, focused: option.focused === true };
  }
  return out;
}

/** Parses a verified, JSON-decoded body. Unknown interaction types and malformed ones are refused alike. */
export function parseInteraction(body: unknown): ParsedInteraction {
  const result = v.safeParse(Schema, body);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((item) => String(item.key)).join('.') || 'type';
    return { ok: false, problem: `${path}: ${issue.kind} ${issue.type} check failed` };
  }
  const raw = result.output;
  if (raw.type === InteractionType.Ping) return { ok: true, interaction: { kind: 'ping' } };
  const common = base(raw);
  if (!common) return { ok: false, problem: 'member.user / user: missing' };
  if (raw.type === InteractionType.MessageComponent) {
    return { ok: true, interaction: { ...common, kind: 'component', customId: raw.data.custom_id } };
  }
  const parsedOptions = options(raw.data.options);
  if (!parsedOptions) return { ok: false, problem: 'data.options: duplicate option name' };
  const kind = raw.type === InteractionType.ApplicationCommand ? 'command' : 'autocomplete';
  return { ok: true, interaction: { ...common, kind, name: raw.data.name, options: parsedOptions } };
}

/** The value of a string option, if the user gave one. */
export function stringOption(interaction: CommandInteraction | AutocompleteInteraction, name: string): string | undefined {
  const value = interaction.options[name]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The option the user is typing in, for autocomplete: its name and what was typed so far. */
export function focusedOption(interaction: AutocompleteInteraction): { name: string; typed: string } | undefined {
  for (const [name, option] of Object.entries(interaction.options)) {
    if (option.focused) return { name, typed: typeof option.value === 'string' ? option.value : String(option.value ?? '') };
  }
  return undefined;
}
