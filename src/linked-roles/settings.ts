/**
 * Linked Roles' settings: the Discord application as an OAuth2 client (its id and client secret), the key that
 * encrypts the stored Discord grants, and where Discord and this Worker are. Linked Roles are off until
 * DISCORD_CLIENT_SECRET or TOKEN_ENCRYPTION_KEY is set; once one is, a missing or malformed setting makes the pages
 * answer 503 and is logged once by name (see config.ts), and no push is attempted.
 */
import {
  anySet,
  ConfigError,
  DEFAULT_DISCORD_API_URL,
  logOnce,
  required,
  secureBaseUrl,
  setting,
  SNOWFLAKE,
  type Env,
  type Setting,
  type Vars,
} from '../config.ts';
import { fromBase64 } from '../encoding.ts';

export const DEFAULT_DISCORD_WEB_URL = 'https://discord.com';
export const CALLBACK_PATH = '/linked-roles/callback';
export const KEY_BYTES = 32;

/** The raw keys as the operator gave them; grant-crypto.ts derives what it uses from them. */
export interface GrantKeys {
  /** TOKEN_ENCRYPTION_KEY: encrypts every write, decrypts, signs the Linked Roles `state`. */
  current: Uint8Array;
  /** TOKEN_ENCRYPTION_KEY_PREVIOUS: during a rotation, still decrypts what the old key wrote. */
  previous: Uint8Array | undefined;
}

export interface LinkedRolesSettings {
  /** The application id, which is also the OAuth2 client_id. */
  applicationId: string;
  /** Secret: Developer Portal › OAuth2 › Client Secret. */
  clientSecret: string;
  keys: GrantKeys;
  /** Where the browser authorizes, e.g. https://discord.com (without a trailing slash). */
  webUrl: string;
  /** e.g. https://discord.com/api/v10. */
  apiUrl: string;
  /** `{PUBLIC_BASE_URL}/linked-roles/callback`: registered in the Developer Portal under OAuth2 › Redirects. */
  redirectUri: string;
}

const CLIENT_SECRET = /^[A-Za-z0-9_-]{16,128}$/;
const FEATURE = 'linked-roles';
const SECRETS = ['DISCORD_CLIENT_SECRET', 'TOKEN_ENCRYPTION_KEY'] as const;

function key(env: Env, name: string, isRequired: boolean): Uint8Array | undefined {
  const value = env[name]?.trim();
  if (!value) {
    if (isRequired) throw new ConfigError({ variable: name, problem: 'is not set' });
    return undefined;
  }
  const bytes = fromBase64(value);
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new ConfigError({ variable: name, problem: `is malformed (expected ${KEY_BYTES} random bytes in base64: openssl rand -base64 32)` });
  }
  return bytes;
}

function keys(env: Env): GrantKeys {
  const current = key(env, 'TOKEN_ENCRYPTION_KEY', true)!;
  const previous = key(env, 'TOKEN_ENCRYPTION_KEY_PREVIOUS', false);
  const same = previous !== undefined && previous.every((byte, i) => byte === current[i]);
  return { current, previous: same ? undefined : previous };
}

/**
 * Undefined while Linked Roles are not set up at all (neither secret set); otherwise the settings or the first
 * problem with them (logged once, by name).
 */
export function linkedRolesSetting(vars: Vars): Setting<LinkedRolesSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, SECRETS)) return undefined;
  return setting(vars, FEATURE, () => {
    const publicBaseUrl = secureBaseUrl(env, 'PUBLIC_BASE_URL', undefined);
    return {
      applicationId: required(env, 'DISCORD_APPLICATION_ID', SNOWFLAKE, 'a Discord snowflake'),
      clientSecret: required(env, 'DISCORD_CLIENT_SECRET', CLIENT_SECRET, 'a Discord client secret'),
      keys: keys(env),
      webUrl: secureBaseUrl(env, 'DISCORD_WEB_URL', DEFAULT_DISCORD_WEB_URL),
      apiUrl: secureBaseUrl(env, 'DISCORD_API_URL', DEFAULT_DISCORD_API_URL),
      redirectUri: `${publicBaseUrl}${CALLBACK_PATH}`,
    };
  });
}

/** The settings for the pages: also logs, once, that Linked Roles are off when someone opens them. */
export function linkedRolesPageSetting(vars: Vars): Setting<LinkedRolesSettings> {
  const result = linkedRolesSetting(vars);
  if (result) return result;
  const problem = { variable: SECRETS.join(', '), problem: 'are not set, so Linked Roles are off' };
  logOnce(vars, FEATURE, problem);
  return { ok: false, problem };
}
