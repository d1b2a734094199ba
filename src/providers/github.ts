/**
 * GitHub: RFC 8628 at fixed endpoints (no discovery document), with two quirks adapted here: every token-endpoint
 * error comes as HTTP 200 with an `error` body, and who logged in comes from `GET {api}/user` (there is no ID
 * token). Facts: PLATFORM.md §7 and §9.
 */
import * as oauth from 'oauth4webapi';
import { anySet, optional, required, secureBaseUrl, setting, type Env, type Setting, type Vars } from '../config.ts';
import { boundedFetch, codeGrant, describe, pollDeviceGrant, splitScopes, startDeviceGrant, REQUEST_TIMEOUT_MS, type Adapt, type OAuthClient } from './oauth.ts';
import { ProviderError, type Identity, type Provider, type ProviderModule } from './types.ts';

export const DEFAULT_GITHUB_URL = 'https://github.com';
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
const GITHUB_BLACK = 0x24292f;

export interface GitHubSettings {
  clientId: string;
  /** Optional for the device flow ("the client_secret is not needed"); used to give the token back. */
  clientSecret: string | undefined;
  webUrl: string;
  apiUrl: string;
}

export function githubSetting(vars: Vars): Setting<GitHubSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'])) return undefined;
  return setting(vars, 'github', () => ({
    clientId: required(env, 'GITHUB_CLIENT_ID', /^[A-Za-z0-9._-]{4,100}$/, 'a GitHub OAuth app client id'),
    clientSecret: env.GITHUB_CLIENT_SECRET?.trim() ? optional(env, 'GITHUB_CLIENT_SECRET', '', /^[A-Za-z0-9_-]{8,200}$/, 'a client secret') : undefined,
    webUrl: secureBaseUrl(env, 'GITHUB_URL', DEFAULT_GITHUB_URL),
    apiUrl: secureBaseUrl(env, 'GITHUB_API_URL', DEFAULT_GITHUB_API_URL),
  }));
}

/** GitHub answers every error of its OAuth endpoints with HTTP 200: make the `error` body the error it is. */
const adaptErrors: Adapt = (_url, response) => {
  if (response.status === 200 && /"error"\s*:/.test(response.text)) {
    try {
      const body = JSON.parse(response.text) as { error?: unknown; access_token?: unknown };
      if (typeof body.error === 'string' && body.access_token === undefined) return { status: 400, text: response.text };
    } catch {
      // Not JSON: oauth4webapi reports that itself.
    }
  }
  return response;
};

const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'discord-login-bot' };

export function createGitHub(settings: GitHubSettings): Provider {
  const server: OAuthClient = {
    as: {
      issuer: settings.webUrl,
      device_authorization_endpoint: `${settings.webUrl}/login/device/code`,
      token_endpoint: `${settings.webUrl}/login/oauth/access_token`,
      authorization_endpoint: `${settings.webUrl}/login/oauth/authorize`,
    },
    client: { client_id: settings.clientId },
    auth: oauth.None(),
    // Reading the public profile needs no scope at all.
    scope: '',
    adapt: adaptErrors,
  };
  const api = boundedFetch(REQUEST_TIMEOUT_MS);

  return {
    id: 'github',
    name: 'GitHub',
    color: GITHUB_BLACK,
    appSettingsUrl: `${settings.webUrl}/settings/applications`,
    startDeviceLogin: () => startDeviceGrant(server),
    pollDeviceLogin: (deviceCode) => pollDeviceGrant(server, deviceCode),

    async identify(grant): Promise<Identity> {
      let response: Response;
      try {
        response = await api(`${settings.apiUrl}/user`, { headers: { ...API_HEADERS, authorization: `Bearer ${grant.accessToken}` } });
      } catch (error) {
        throw new ProviderError(`GitHub GET /user failed: ${describe(error)}`, true);
      }
      if (!response.ok) throw new ProviderError(`GitHub GET /user failed: HTTP ${response.status}`, response.status >= 500);
      let user: { id?: unknown; login?: unknown; name?: unknown; avatar_url?: unknown };
      try {
        user = await response.json();
      } catch {
        throw new ProviderError('GitHub GET /user: the body is not JSON', true);
      }
      if (typeof user.id !== 'number' || typeof user.login !== 'string') throw new ProviderError('GitHub GET /user: no id or login', false);
      const name = typeof user.name === 'string' && user.name.trim() ? user.name.trim().slice(0, 200) : user.login.slice(0, 200);
      const avatar = typeof user.avatar_url === 'string' && /^https?:\/\//.test(user.avatar_url) ? user.avatar_url : undefined;
      return { subject: String(user.id), name, avatarUrl: avatar, scopes: splitScopes(grant.scope) };
    },

    /** With the client secret, the app's authorization is deleted right away (the bot needs no access after). */
    async release(grant) {
      if (!settings.clientSecret) return;
      try {
        const response = await api(`${settings.apiUrl}/applications/${encodeURIComponent(settings.clientId)}/grant`, {
          method: 'DELETE',
          headers: { ...API_HEADERS, authorization: `Basic ${btoa(`${settings.clientId}:${settings.clientSecret}`)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ access_token: grant.accessToken }),
        });
        if (response.status !== 204) console.warn(`GitHub grant deletion answered HTTP ${response.status}`);
      } catch (error) {
        console.warn(`GitHub grant deletion failed: ${describe(error)}`);
      }
    },

    // Revoking needs the user's token, which the bot does not keep.
    revokeApp: async () => ({ kind: 'not-supported' }),

    // The web flow's code exchange needs the client secret: without it, only the device flow.
    browser: settings.clientSecret
      ? codeGrant(async () => ({ ...server, auth: oauth.ClientSecretPost(settings.clientSecret!) }), {}, false)
      : undefined,
  };
}

export const github: ProviderModule<GitHubSettings> = {
  id: 'github',
  mainVariable: 'GITHUB_CLIENT_ID',
  settings: githubSetting,
  create: createGitHub,
};
