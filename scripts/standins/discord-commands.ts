/**
 * Command registration as Discord does it (PLATFORM.md §4.6): a bulk overwrite per scope (global, or one
 * server) that keeps a command's id when a command of that name already existed.
 */
import { FormErrors } from './discord-limits.ts';

export type RegisteredCommand = Record<string, unknown> & { id: string; name: string };

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const MAX_COMMANDS = 100;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Discord's field errors for a bulk-overwrite body, or undefined when it is acceptable. */
export function validateCommands(body: unknown): FormErrors | undefined {
  const errors = new FormErrors();
  if (!Array.isArray(body)) {
    errors.add([], 'BASE_TYPE_ARRAY', 'Must be an array.');
    return errors;
  }
  if (body.length > MAX_COMMANDS) errors.add([], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_COMMANDS} or fewer in length.`);
  const seen = new Set<string>();
  body.forEach((command, i) => {
    if (!isObject(command)) return errors.add([i], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    const { name, description } = command;
    const type = command.type ?? 1;
    if (typeof name !== 'string' || !NAME.test(name) || (type === 1 && name !== name.toLowerCase())) {
      errors.add([i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    } else if (seen.has(`${String(type)}:${name}`)) {
      errors.add([i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
    } else seen.add(`${String(type)}:${name}`);
    if (type === 1 && (typeof description !== 'string' || description.length < 1 || description.length > 100)) {
      errors.add([i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
  });
  return errors.empty ? undefined : errors;
}

export class CommandRegistry {
  readonly #applicationId: string;
  readonly #newId: () => string;
  /** scope ('global' or a guild id) -> name -> command */
  readonly #scopes = new Map<string, Map<string, RegisteredCommand>>();
  readonly #unregistered = new Map<string, string>();

  constructor(applicationId: string, newId: () => string) {
    this.#applicationId = applicationId;
    this.#newId = newId;
  }

  /** Replaces the commands of `guildId` (or the global ones) with `commands`, which must be valid. */
  overwrite(commands: Json[], guildId?: string): RegisteredCommand[] {
    const scope = guildId ?? 'global';
    const before = this.#scopes.get(scope);
    const next = new Map<string, RegisteredCommand>();
    for (const command of commands) {
      const name = String(command.name);
      // An overwrite keeps the id of a command that already existed under this name.
      const id = before?.get(name)?.id ?? this.#newId();
      next.set(name, {
        type: 1,
        description: '',
        default_member_permissions: null,
        nsfw: false,
        ...command,
        id,
        application_id: this.#applicationId,
        version: id,
        name,
        ...(guildId ? { guild_id: guildId } : {}),
      });
    }
    this.#scopes.set(scope, next);
    return [...next.values()];
  }

  list(guildId?: string): RegisteredCommand[] {
    return [...(this.#scopes.get(guildId ?? 'global')?.values() ?? [])];
  }

  /** The id a user in `guildId` would invoke `name` by: the server's command, else the global one, else a stable stand-in id. */
  idFor(name: string, guildId?: string): string {
    const registered = (guildId ? this.#scopes.get(guildId)?.get(name)?.id : undefined) ?? this.#scopes.get('global')?.get(name)?.id;
    if (registered) return registered;
    let id = this.#unregistered.get(name);
    if (!id) this.#unregistered.set(name, (id = this.#newId()));
    return id;
  }
}
