/** The Facebook app's settings: enabled when any of its credentials is set, then validated as a whole. */
import { anySet, baseUrl, ConfigError, required, setting, type Env, type Setting, type Vars } from '../config.ts';

export const DEFAULT_FACEBOOK_GRAPH_URL = 'https://graph.facebook.com/v25.0';
export const DEFAULT_FACEBOOK_SCOPES = 'public_profile';

export interface FacebookSettings {
  appId: string;
  /** Not a secret by Facebook's design (it ships inside client apps), but kept out of git and logs anyway. */
  clientToken: string;
  appSecret: string;
  /** Base of every Graph API URL, without a trailing slash, e.g. https://graph.facebook.com/v25.0. */
  graphUrl: string;
  /** Permissions asked for at login, e.g. ['public_profile']. */
  scopes: string[];
}

const NUMERIC_ID = /^\d{1,32}$/;
const TOKEN = /^[A-Za-z0-9_-]{8,256}$/;
const CREDENTIALS = ['FACEBOOK_APP_ID', 'FACEBOOK_CLIENT_TOKEN', 'FACEBOOK_APP_SECRET'] as const;

function scopes(env: Env): string[] {
  const list = (env.FACEBOOK_SCOPES?.trim() || DEFAULT_FACEBOOK_SCOPES).split(',').map((scope) => scope.trim());
  if (!list.every((scope) => /^[a-z_]{1,64}$/.test(scope))) {
    throw new ConfigError({ variable: 'FACEBOOK_SCOPES', problem: 'is malformed (expected comma-separated permission names)' });
  }
  return list;
}

/** Undefined when Facebook is not set up at all; otherwise its settings or the first problem with them. */
export function facebookSetting(vars: Vars): Setting<FacebookSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, CREDENTIALS)) return undefined;
  return setting(vars, 'facebook', () => ({
    appId: required(env, 'FACEBOOK_APP_ID', NUMERIC_ID, 'a numeric app id'),
    clientToken: required(env, 'FACEBOOK_CLIENT_TOKEN', TOKEN, 'a client token'),
    appSecret: required(env, 'FACEBOOK_APP_SECRET', TOKEN, 'an app secret'),
    graphUrl: baseUrl(env, 'FACEBOOK_GRAPH_URL', DEFAULT_FACEBOOK_GRAPH_URL),
    scopes: scopes(env),
  }));
}
