/**
 * The Worker's settings, validated per feature. A setting that one feature needs and another does not must not
 * take the other down: the interactions endpoint needs only DISCORD_PUBLIC_KEY; a provider's login needs that
 * provider's settings; the privacy pages need PUBLIC_BASE_URL and OPERATOR_*. Each feature reads its own
 * {@link Setting}; a broken one answers its users clearly and logs the variable's name (never its value) once per
 * isolate, while everything else keeps working.
 */

/**
 * The Worker's settings as wrangler.toml, `.dev.vars` and `wrangler secret put` provide them. Every one is
 * optional here on purpose: the feature that needs it validates it and names the one that is missing.
 */
export interface Vars {
  DISCORD_APPLICATION_ID?: string;
  DISCORD_PUBLIC_KEY?: string;
  DISCORD_API_URL?: string;
  DISCORD_WEB_URL?: string;
  DISCORD_CLIENT_SECRET?: string;
  TOKEN_ENCRYPTION_KEY?: string;
  TOKEN_ENCRYPTION_KEY_PREVIOUS?: string;
  DEFAULT_PROVIDER?: string;
  FACEBOOK_APP_ID?: string;
  FACEBOOK_CLIENT_TOKEN?: string;
  FACEBOOK_APP_SECRET?: string;
  FACEBOOK_GRAPH_URL?: string;
  FACEBOOK_WEB_URL?: string;
  FACEBOOK_SCOPES?: string;
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GITHUB_URL?: string;
  GITHUB_API_URL?: string;
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_ISSUER?: string;
  GOOGLE_WEB_CLIENT_ID?: string;
  GOOGLE_WEB_CLIENT_SECRET?: string;
  MICROSOFT_CLIENT_ID?: string;
  MICROSOFT_TENANT?: string;
  MICROSOFT_LOGIN_URL?: string;
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  OIDC_NAME?: string;
  OIDC_SCOPES?: string;
  PUBLIC_BASE_URL?: string;
  OPERATOR_NAME?: string;
  OPERATOR_CONTACT?: string;
}

/** What is wrong with a setting, named so that a log line can say it without the value. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

export const describeProblem = (p: ConfigProblem) => `${p.variable} ${p.problem}`;

/** A feature's settings: usable, or the first problem found. */
export type Setting<T> = { ok: true; value: T } | { ok: false; problem: ConfigProblem };

/** A required setting is missing or malformed. The message names the variable, never its value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problem: ConfigProblem;
  constructor(problem: ConfigProblem) {
    super(`configuration error: ${describeProblem(problem)}`);
    this.problem = problem;
  }
  get variable(): string {
    return this.problem.variable;
  }
}

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api/v10';

export const SNOWFLAKE = /^\d{17,20}$/;
const ED25519_PUBLIC_KEY_HEX = /^[0-9a-fA-F]{64}$/;

/** Readers for one variable each; they throw {@link ConfigError}, which {@link setting} turns into a result. */
export type Env = Readonly<Record<string, string | undefined>>;

export function required(env: Env, name: string, pattern: RegExp, shape: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError({ variable: name, problem: 'is not set' });
  if (!pattern.test(value)) throw new ConfigError({ variable: name, problem: `is malformed (expected ${shape})` });
  return value;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `url` is on this machine: the only place plain http is allowed for a provider (tests, the playground). */
export const isLoopback = (url: string) => LOOPBACK_HOSTS.has(new URL(url).hostname);

/** An https base URL (http only on loopback) without query, fragment or trailing slash; `fallback` when unset. */
export function secureBaseUrl(env: Env, name: string, fallback: string | undefined): string {
  const url = baseUrl(env, name, fallback);
  if (url.startsWith('http:') && !isLoopback(url)) {
    throw new ConfigError({ variable: name, problem: 'must be an https URL (plain http only on 127.0.0.1 or localhost)' });
  }
  return url;
}

/** The value, or `fallback` when unset; checked against `pattern`. */
export function optional(env: Env, name: string, fallback: string, pattern: RegExp, shape: string): string {
  const value = env[name]?.trim() || fallback;
  if (!pattern.test(value)) throw new ConfigError({ variable: name, problem: `is malformed (expected ${shape})` });
  return value;
}

/** An http(s) base URL without query, fragment or trailing slash; `fallback` when unset. */
export function baseUrl(env: Env, name: string, fallback: string | undefined): string {
  const value = env[name]?.trim() || fallback;
  if (value === undefined) throw new ConfigError({ variable: name, problem: 'is not set' });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError({ variable: name, problem: 'is not a valid URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError({ variable: name, problem: 'must be an http(s) URL' });
  if (url.search || url.hash) throw new ConfigError({ variable: name, problem: 'must not have a query or fragment' });
  return url.href.replace(/\/+$/, '');
}

export function text(env: Env, name: string, maxLength: number): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError({ variable: name, problem: 'is not set' });
  if (value.length > maxLength) throw new ConfigError({ variable: name, problem: `is longer than ${maxLength} characters` });
  return value;
}

/** Whether any of `names` is set (non-blank): a feature none of whose settings is set is simply not enabled. */
export const anySet = (env: Env, names: readonly string[]) => names.some((name) => Boolean(env[name]?.trim()));

// The runtime hands every request of an isolate the same env object, so each feature is validated once per
// isolate, and its problem is logged once per isolate.
const cache = new WeakMap<object, Map<string, Setting<unknown>>>();
const logged = new WeakMap<object, Set<string>>();

/**
 * The feature `name`'s settings parsed from `env` by `parse` (which throws {@link ConfigError}), cached per env
 * object. A problem is logged the first time it is found: the variable's name and what is wrong, never the value.
 */
export function setting<T>(env: object, name: string, parse: () => T): Setting<T> {
  let features = cache.get(env);
  if (!features) cache.set(env, (features = new Map()));
  let result = features.get(name) as Setting<T> | undefined;
  if (!result) {
    try {
      result = { ok: true, value: parse() };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      result = { ok: false, problem: error.problem };
    }
    features.set(name, result);
  }
  if (!result.ok) logOnce(env, name, result.problem);
  return result;
}

/** Logs a feature's configuration problem the first time it is seen in this isolate. */
export function logOnce(env: object, feature: string, problem: ConfigProblem): void {
  let seen = logged.get(env);
  if (!seen) logged.set(env, (seen = new Set()));
  if (seen.has(feature)) return;
  seen.add(feature);
  console.error(`configuration error (${feature}): ${describeProblem(problem)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The features every deployment has. Providers describe their own settings (src/providers/).

/** The interactions endpoint: verifying Discord's signatures needs nothing but the public key. */
export const interactionsSetting = (env: Vars) =>
  setting(env, 'interactions', () => required(env as Env, 'DISCORD_PUBLIC_KEY', ED25519_PUBLIC_KEY_HEX, '64 hex characters').toLowerCase());

export interface DiscordSettings {
  /** Base of every Discord REST URL, without a trailing slash, e.g. https://discord.com/api/v10. */
  apiUrl: string;
  /** The application id, when set: interactions for another application are refused. */
  applicationId: string | undefined;
}

/** Talking back to Discord (editing replies): the API base URL, defaulted. */
export const discordSetting = (env: Vars) =>
  setting<DiscordSettings>(env, 'discord', () => ({
    apiUrl: secureBaseUrl(env as Env, 'DISCORD_API_URL', DEFAULT_DISCORD_API_URL),
    applicationId: env.DISCORD_APPLICATION_ID?.trim()
      ? required(env as Env, 'DISCORD_APPLICATION_ID', SNOWFLAKE, 'a Discord snowflake')
      : undefined,
  }));

export interface SiteSettings {
  /** Where this Worker is reachable from the internet, without a trailing slash. */
  publicBaseUrl: string;
  /** Who runs this bot, and how to reach them: shown on the privacy page. */
  operatorName: string;
  operatorContact: string;
}

/** The web pages about the bot (privacy policy, deletion status) and links to them. */
export const siteSetting = (env: Vars) =>
  setting<SiteSettings>(env, 'site', () => ({
    publicBaseUrl: secureBaseUrl(env as Env, 'PUBLIC_BASE_URL', undefined),
    operatorName: text(env as Env, 'OPERATOR_NAME', 200),
    operatorContact: text(env as Env, 'OPERATOR_CONTACT', 200),
  }));

/** The value of a setting, or a {@link ConfigError} for callers that cannot go on without it. */
export function must<T>(result: Setting<T>): T {
  if (!result.ok) throw new ConfigError(result.problem);
  return result.value;
}
