/**
 * The Worker's settings as wrangler.toml, `.dev.vars` and `wrangler secret put` provide them. Every one is
 * optional here on purpose: {@link loadConfig} validates them and names the one that is missing.
 */
export interface Vars {
  DISCORD_APPLICATION_ID?: string;
  DISCORD_PUBLIC_KEY?: string;
  DISCORD_API_URL?: string;
  FACEBOOK_APP_ID?: string;
  FACEBOOK_CLIENT_TOKEN?: string;
  FACEBOOK_APP_SECRET?: string;
  FACEBOOK_GRAPH_URL?: string;
  FACEBOOK_SCOPES?: string;
  PUBLIC_BASE_URL?: string;
  OPERATOR_NAME?: string;
  OPERATOR_CONTACT?: string;
}

type Variable = keyof Vars;

/** The Worker's configuration, validated. Built from the Worker's `Vars` by {@link loadConfig}. */
export interface Config {
  discordApplicationId: string;
  /** Hex-encoded Ed25519 public key from the Discord Developer Portal. */
  discordPublicKey: string;
  /** Base of every Discord REST URL, without a trailing slash, e.g. https://discord.com/api/v10. */
  discordApiUrl: string;
  facebookAppId: string;
  facebookClientToken: string;
  facebookAppSecret: string;
  /** Base of every Graph API URL, without a trailing slash, e.g. https://graph.facebook.com/v25.0. */
  facebookGraphUrl: string;
  /** Permissions asked for at login, e.g. ['public_profile']. */
  facebookScopes: string[];
  /** Where this Worker is reachable from the internet, without a trailing slash (links in privacy answers). */
  publicBaseUrl: string;
  /** Who runs this bot, and how to reach them: shown on the privacy page. */
  operatorName: string;
  operatorContact: string;
}

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api/v10';
export const DEFAULT_FACEBOOK_GRAPH_URL = 'https://graph.facebook.com/v25.0';
export const DEFAULT_FACEBOOK_SCOPES = 'public_profile';

/** A required setting is missing or malformed. The message names the variable, never its value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`configuration error: ${variable} ${problem}`);
    this.variable = variable;
  }
}

const SNOWFLAKE = /^\d{17,20}$/;
const NUMERIC_ID = /^\d{1,32}$/;
const ED25519_PUBLIC_KEY_HEX = /^[0-9a-fA-F]{64}$/;
const TOKEN = /^[A-Za-z0-9_-]{8,256}$/;

function required(env: Vars, name: Variable, pattern: RegExp, shape: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(name, 'is not set');
  const trimmed = value.trim();
  if (!pattern.test(trimmed)) throw new ConfigError(name, `is malformed (expected ${shape})`);
  return trimmed;
}

function baseUrl(env: Vars, name: Variable, fallback: string | undefined): string {
  const value = env[name]?.trim() || fallback;
  if (value === undefined) throw new ConfigError(name, 'is not set');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL');
  if (url.search || url.hash) throw new ConfigError(name, 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function scopes(env: Vars): string[] {
  const value = env.FACEBOOK_SCOPES?.trim() || DEFAULT_FACEBOOK_SCOPES;
  const list = value.split(',').map((scope) => scope.trim());
  if (!list.every((scope) => /^[a-z_]{1,64}$/.test(scope))) {
    throw new ConfigError('FACEBOOK_SCOPES', 'is malformed (expected comma-separated permission names)');
  }
  return list;
}

function text(env: Vars, name: Variable, maxLength: number): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, 'is not set');
  if (value.length > maxLength) throw new ConfigError(name, `is longer than ${maxLength} characters`);
  return value;
}

function parse(env: Vars): Config {
  return {
    discordApplicationId: required(env, 'DISCORD_APPLICATION_ID', SNOWFLAKE, 'a Discord snowflake'),
    discordPublicKey: required(env, 'DISCORD_PUBLIC_KEY', ED25519_PUBLIC_KEY_HEX, '64 hex characters').toLowerCase(),
    discordApiUrl: baseUrl(env, 'DISCORD_API_URL', DEFAULT_DISCORD_API_URL),
    facebookAppId: required(env, 'FACEBOOK_APP_ID', NUMERIC_ID, 'a numeric app id'),
    facebookClientToken: required(env, 'FACEBOOK_CLIENT_TOKEN', TOKEN, 'a client token'),
    facebookAppSecret: required(env, 'FACEBOOK_APP_SECRET', TOKEN, 'an app secret'),
    facebookGraphUrl: baseUrl(env, 'FACEBOOK_GRAPH_URL', DEFAULT_FACEBOOK_GRAPH_URL),
    facebookScopes: scopes(env),
    publicBaseUrl: baseUrl(env, 'PUBLIC_BASE_URL', undefined),
    operatorName: text(env, 'OPERATOR_NAME', 200),
    operatorContact: text(env, 'OPERATOR_CONTACT', 200),
  };
}

// The runtime hands every request the same env object, so validation runs once per isolate, not per request.
const cache = new WeakMap<object, Config>();

/** Validates `env` into a {@link Config}; throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: Vars): Config {
  let config = cache.get(env);
  if (!config) {
    config = parse(env);
    cache.set(env, config);
  }
  return config;
}
