/**
 * Linked Roles (PLATFORM.md §8): the application's role connection metadata records, each user's role
 * connection, and how a server's role requirement is judged against it. No HTTP here.
 *
 * Validation answers 50035 with field errors in Discord's shape (see discord-limits.ts). The limits are the
 * documented ones; the `code` strings inside `_errors` are modelled on Discord's (BASE_TYPE_*, NUMBER_TYPE_COERCE)
 * where the real ones are not known. Callers should rely on 50035 and the path only.
 *
 * Choices where Discord does not document its behaviour:
 * - A metadata value may be a JSON string or a number (Discord's own linked-roles-sample sends numbers); it is
 *   stored as a string. BOOLEAN values must be "0" or "1", INTEGER values whole numbers within 64 bits, DATETIME
 *   values ISO 8601 dates (`2003-12-20`) or date-times.
 * - A PUT replaces the whole connection: a field left out becomes null (or `{}` for metadata). A PUT of `{}`
 *   deletes the connection, as reported in discord-api-docs#8346.
 * - A value under a key that is not set does not meet any requirement, NOT_EQUAL ones included.
 * - Ending the user's authorization of the app (revoke, deauthorize) deletes their connection [inf].
 */
import type { Clock } from '../lib/clock.ts';
import * as errors from './discord-errors.ts';
import { FormErrors, type Path } from './discord-limits.ts';

export const MetadataType = {
  IntegerLessThanOrEqual: 1,
  IntegerGreaterThanOrEqual: 2,
  IntegerEqual: 3,
  IntegerNotEqual: 4,
  DatetimeLessThanOrEqual: 5,
  DatetimeGreaterThanOrEqual: 6,
  BooleanEqual: 7,
  BooleanNotEqual: 8,
} as const;

export const MAX_METADATA_RECORDS = 5;

/** The locales a localization dictionary may use (PLATFORM.md §4.6). */
export const DISCORD_LOCALES: ReadonlySet<string> = new Set(
  'id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR ro fi sv-SE vi tr cs el bg ru uk hi th zh-CN ja zh-TW ko'.split(' '),
);

export interface MetadataRecord {
  type: number;
  key: string;
  name: string;
  name_localizations?: Record<string, string>;
  description: string;
  description_localizations?: Record<string, string>;
}

/** A user's role connection as the API answers it, and when the stand-in stored it (its clock, ms). */
export interface StoredRoleConnection {
  platform_name: string | null;
  platform_username: string | null;
  metadata: Record<string, string>;
  updatedAt: number;
}

/** A server's requirement on a role: `value` is the integer, the days (DATETIME), or 1/0 (BOOLEAN; default 1). */
export interface RoleRequirement {
  key: string;
  value?: number;
}

export type RoleConnectionChange =
  | {
      kind: 'connection';
      action: 'updated' | 'deleted';
      userId: string;
      /** The connection after the change; undefined once deleted. */
      connection: StoredRoleConnection | undefined;
      cause: 'put' | 'delete' | 'deauthorized';
    }
  | { kind: 'metadata'; records: MetadataRecord[] };

export interface ApiAnswer {
  status: number;
  /** undefined: 204. */
  body?: unknown;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const length = (value: string) => [...value].length;
const DAY_MS = 24 * 60 * 60 * 1000;
const KEY = /^[a-z0-9_]{1,50}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkText(errors: FormErrors, path: Path, value: unknown, min: number, max: number): void {
  if (value === undefined || value === null || value === '') {
    if (min > 0) errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
  } else if (typeof value !== 'string') errors.add(path, 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
  else if (length(value) < min || length(value) > max) errors.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`);
}

function checkLocalizations(errors: FormErrors, path: Path, value: unknown, max: number): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) return errors.add(path, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
  for (const [locale, text] of Object.entries(value)) {
    if (!DISCORD_LOCALES.has(locale)) errors.add([...path, locale], 'ENUM_TYPE_COERCE', `Value "${locale}" is not a valid enum value.`);
    else checkText(errors, [...path, locale], text, 1, max);
  }
}

/** Discord's field errors for a `PUT …/role-connections/metadata` body, or undefined when it is acceptable. */
export function validateMetadata(body: unknown): FormErrors | undefined {
  const errors = new FormErrors();
  if (!Array.isArray(body)) {
    errors.add([], 'BASE_TYPE_ARRAY', 'Must be an array.');
    return errors;
  }
  if (body.length > MAX_METADATA_RECORDS) errors.add([], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_METADATA_RECORDS} or fewer in length.`);
  const keys = new Set<string>();
  body.forEach((record, i) => {
    if (!isObject(record)) return errors.add([i], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    const { type, key } = record;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 1 || type > 8) {
      errors.add([i, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5, 6, 7, 8}.');
    }
    if (typeof key !== 'string' || key === '') errors.add([i, 'key'], 'BASE_TYPE_REQUIRED', 'This field is required');
    else if (length(key) > 50) errors.add([i, 'key'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 50 in length.');
    else if (!KEY.test(key)) errors.add([i, 'key'], 'STRING_TYPE_REGEX', 'String value did not match validation regex.');
    else if (keys.has(key)) errors.add([i, 'key'], 'APPLICATION_ROLE_CONNECTION_METADATA_DUPLICATE_KEY', 'Metadata keys must be unique.');
    else keys.add(key);
    checkText(errors, [i, 'name'], record.name, 1, 100);
    checkText(errors, [i, 'description'], record.description, 1, 200);
    checkLocalizations(errors, [i, 'name_localizations'], record.name_localizations, 100);
    checkLocalizations(errors, [i, 'description_localizations'], record.description_localizations, 200);
  });
  return errors.empty ? undefined : errors;
}

/** Milliseconds since the epoch for an ISO 8601 date or date-time, or undefined. A missing zone means UTC. */
export function parseIsoDate(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = m;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (calendar.getUTCMonth() !== Number(month) - 1 || calendar.getUTCDate() !== Number(day)) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseInteger(value: string): bigint | undefined {
  if (!/^[-+]?\d{1,19}$/.test(value)) return undefined;
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

function isInteger(type: number): boolean {
  return type >= MetadataType.IntegerLessThanOrEqual && type <= MetadataType.IntegerNotEqual;
}

function isDatetime(type: number): boolean {
  return type === MetadataType.DatetimeLessThanOrEqual || type === MetadataType.DatetimeGreaterThanOrEqual;
}

/** The error for a value that does not suit its record's type, if it does not. */
function typeProblem(type: number, value: string): { code: string; message: string } | undefined {
  if (isInteger(type) && parseInteger(value) === undefined) return { code: 'NUMBER_TYPE_COERCE', message: `Value "${value}" is not int.` };
  if (isDatetime(type) && parseIsoDate(value) === undefined) {
    return { code: 'DATE_TYPE_PARSE', message: `Could not parse "${value}". Should be ISO8601.` };
  }
  if ((type === MetadataType.BooleanEqual || type === MetadataType.BooleanNotEqual) && value !== '0' && value !== '1') {
    return { code: 'BASE_TYPE_CHOICES', message: "Value must be one of ('0', '1')." };
  }
  return undefined;
}

export interface RoleConnectionsSettings {
  now: Clock;
  onChange: (change: RoleConnectionChange) => void;
}

export class RoleConnections {
  readonly #settings: RoleConnectionsSettings;
  #records: MetadataRecord[] = [];
  readonly #connections = new Map<string, StoredRoleConnection>();

  constructor(settings: RoleConnectionsSettings) {
    this.#settings = settings;
  }

  metadata(): MetadataRecord[] {
    return structuredClone(this.#records);
  }

  /** `PUT /applications/{app}/role-connections/metadata`: replaces the records, or answers 50035. */
  putMetadata(body: unknown): ApiAnswer {
    const problems = validateMetadata(body);
    if (problems) return errors.invalidFormBody(problems.root);
    this.#records = (body as Json[]).map((record) => ({
      type: record.type as number,
      key: record.key as string,
      name: record.name as string,
      ...(isObject(record.name_localizations) ? { name_localizations: { ...(record.name_localizations as Record<string, string>) } } : {}),
      description: record.description as string,
      ...(isObject(record.description_localizations)
        ? { description_localizations: { ...(record.description_localizations as Record<string, string>) } }
        : {}),
    }));
    this.#settings.onChange({ kind: 'metadata', records: this.metadata() });
    return { status: 200, body: this.metadata() };
  }

  connection(userId: string): StoredRoleConnection | undefined {
    const stored = this.#connections.get(userId);
    return stored && structuredClone(stored);
  }

  /** `GET …/role-connection`: what is stored, or an empty connection. */
  getConnection(userId: string): ApiAnswer {
    return { status: 200, body: apiConnection(this.#connections.get(userId)) };
  }

  /** `PUT …/role-connection` for `userId` (the bearer's user). */
  putConnection(userId: string, body: Json): ApiAnswer {
    const problems = this.#validateConnection(body);
    if (problems) return errors.invalidFormBody(problems.root);
    if (body.platform_name === undefined && body.platform_username === undefined && body.metadata === undefined) {
      this.deleteConnection(userId, 'put');
      return { status: 200, body: apiConnection(undefined) };
    }
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(isObject(body.metadata) ? body.metadata : {})) metadata[key] = String(value);
    const stored: StoredRoleConnection = {
      platform_name: typeof body.platform_name === 'string' ? body.platform_name : null,
      platform_username: typeof body.platform_username === 'string' ? body.platform_username : null,
      metadata,
      updatedAt: this.#settings.now(),
    };
    this.#connections.set(userId, stored);
    this.#settings.onChange({ kind: 'connection', action: 'updated', userId, connection: structuredClone(stored), cause: 'put' });
    return { status: 200, body: apiConnection(stored) };
  }

  /** Forgets the user's connection. True if there was one. */
  deleteConnection(userId: string, cause: 'put' | 'delete' | 'deauthorized'): boolean {
    if (!this.#connections.delete(userId)) return false;
    this.#settings.onChange({ kind: 'connection', action: 'deleted', userId, connection: undefined, cause });
    return true;
  }

  /**
   * Whether the user's connection meets a server's requirement on the metadata record `key`, judged as Discord
   * does for the record's type (PLATFORM.md §8). Throws if no record has that key, or `value` is missing where
   * the type needs one.
   */
  meetsRequirement(userId: string, requirement: RoleRequirement): boolean {
    const record = this.#records.find((candidate) => candidate.key === requirement.key);
    if (!record) throw new Error(`no role connection metadata record has the key ${JSON.stringify(requirement.key)}`);
    const { type } = record;
    const raw = this.#connections.get(userId)?.metadata[record.key];
    if (type === MetadataType.BooleanEqual || type === MetadataType.BooleanNotEqual) {
      const wanted = requirement.value ?? 1;
      if (wanted !== 0 && wanted !== 1) throw new RangeError('a BOOLEAN requirement is 1 or 0');
      if (raw !== '0' && raw !== '1') return false;
      return type === MetadataType.BooleanEqual ? Number(raw) === wanted : Number(raw) !== wanted;
    }
    const { value } = requirement;
    if (value === undefined || !Number.isInteger(value)) throw new RangeError(`the requirement on ${record.key} needs an integer value`);
    if (raw === undefined) return false;
    if (isDatetime(type)) {
      const at = parseIsoDate(raw);
      if (at === undefined) return false;
      // The server's value is "days before now": LESS_THAN_OR_EQUAL means "at least that many days ago".
      const threshold = this.#settings.now() - value * DAY_MS;
      return type === MetadataType.DatetimeLessThanOrEqual ? at <= threshold : at >= threshold;
    }
    const mine = parseInteger(raw);
    if (mine === undefined) return false;
    const theirs = BigInt(value);
    switch (type) {
      case MetadataType.IntegerLessThanOrEqual:
        return mine <= theirs;
      case MetadataType.IntegerGreaterThanOrEqual:
        return mine >= theirs;
      case MetadataType.IntegerEqual:
        return mine === theirs;
      default:
        return mine !== theirs;
    }
  }

  #validateConnection(body: Json): FormErrors | undefined {
    const errors = new FormErrors();
    for (const [field, max] of [['platform_name', 50], ['platform_username', 100]] as const) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') errors.add([field], 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
      else if (length(value) > max) errors.add([field], 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
    const metadata = body.metadata;
    if (metadata !== undefined && metadata !== null) {
      if (!isObject(metadata)) errors.add(['metadata'], 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
      else {
        for (const [key, value] of Object.entries(metadata)) {
          const path = ['metadata', key];
          const record = this.#records.find((candidate) => candidate.key === key);
          if (!record) {
            errors.add(path, 'APPLICATION_ROLE_CONNECTION_METADATA_KEY_UNKNOWN', `"${key}" is not a metadata key of this application.`);
            continue;
          }
          if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
            errors.add(path, 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
            continue;
          }
          const text = String(value);
          if (length(text) > 100) {
            errors.add(path, 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
            continue;
          }
          const problem = typeProblem(record.type, text);
          if (problem) errors.add(path, problem.code, problem.message);
        }
      }
    }
    return errors.empty ? undefined : errors;
  }
}

function apiConnection(stored: StoredRoleConnection | undefined): Record<string, unknown> {
  return {
    platform_name: stored?.platform_name ?? null,
    platform_username: stored?.platform_username ?? null,
    metadata: { ...(stored?.metadata ?? {}) },
  };
}
