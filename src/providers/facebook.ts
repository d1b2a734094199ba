/**
 * Facebook: Login for Devices, Facebook's own form of the device grant (not RFC 8628: Graph error objects
 * instead of `error` strings, `code` instead of `device_code`). The Graph calls live in src/facebook/; this
 * module describes the provider and maps Graph's answers onto the engine's outcomes. Facts: PLATFORM.md §1.
 */
import { anySet, ConfigError, required, secureBaseUrl, setting, type Env, type Setting, type Vars } from '../config.ts';
import { exchangeCode, fetchProfile, pollDeviceLoginStatus, requestDeviceAuthorization } from '../facebook/device-login.ts';
import { GraphApiError, GraphClient } from '../facebook/graph.ts';
import { FACEBOOK_APP_SETTINGS_URL, revokeAppPermissions } from '../facebook/permissions.ts';
import { POLL_TIMEOUT_MS } from './oauth.ts';
import { ProviderError, type Provider, type ProviderModule } from './types.ts';

export const DEFAULT_FACEBOOK_GRAPH_URL = 'https://graph.facebook.com/v25.0';
export const DEFAULT_FACEBOOK_WEB_URL = 'https://www.facebook.com';
export const DEFAULT_FACEBOOK_SCOPES = 'public_profile';
/** Facebook's brand blue, as its device-login guidance asks for the "Log in with Facebook" call to action. */
export const FACEBOOK_BLUE = 0x1877f2;

export interface FacebookSettings {
  appId: string;
  /** Not a secret by Facebook's design (it ships inside client apps), but kept out of git and logs anyway. */
  clientToken: string;
  appSecret: string;
  /** Base of every Graph API URL, without a trailing slash, e.g. https://graph.facebook.com/v25.0. */
  graphUrl: string;
  /** www.facebook.com, where the browser login's dialog lives. */
  webUrl: string;
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
    graphUrl: secureBaseUrl(env, 'FACEBOOK_GRAPH_URL', DEFAULT_FACEBOOK_GRAPH_URL),
    webUrl: secureBaseUrl(env, 'FACEBOOK_WEB_URL', DEFAULT_FACEBOOK_WEB_URL),
    scopes: scopes(env),
  }));
}

/** Facebook gives no verification_uri_complete; its SDKs pre-fill the code this way. */
export function facebookVerificationLink(verificationUri: string, userCode: string): string {
  const url = new URL(verificationUri);
  url.searchParams.set('user_code', userCode);
  return url.href;
}

export function createFacebook(settings: FacebookSettings): Provider {
  const graph = (timeoutMs?: number) => new GraphClient({ baseUrl: settings.graphUrl, timeoutMs });
  const app = { appId: settings.appId, clientToken: settings.clientToken };
  return {
    id: 'facebook',
    name: 'Facebook',
    color: FACEBOOK_BLUE,
    appSettingsUrl: FACEBOOK_APP_SETTINGS_URL,

    async startDeviceLogin() {
      try {
        const device = await requestDeviceAuthorization(graph(), app, settings.scopes);
        return {
          deviceCode: device.code,
          userCode: device.userCode,
          verificationUri: device.verificationUri,
          verificationUriComplete: facebookVerificationLink(device.verificationUri, device.userCode),
          expiresInSeconds: device.expiresInSeconds,
          intervalSeconds: device.intervalSeconds,
        };
      } catch (error) {
        // A 4xx is Facebook refusing this app (a bad client token, the device flow switched off): no retry helps.
        const refused = error instanceof GraphApiError && error.status >= 400 && error.status < 500;
        throw new ProviderError(error instanceof Error ? error.message : 'device login failed', !refused);
      }
    },

    async pollDeviceLogin(deviceCode) {
      const status = await pollDeviceLoginStatus(graph(POLL_TIMEOUT_MS), app, deviceCode);
      switch (status.kind) {
        case 'pending':
        case 'declined':
        case 'expired':
          return { kind: status.kind };
        case 'slow_down':
          // Facebook's slow-down carries no new interval: the engine adds RFC 8628's 5 s.
          return { kind: 'slow_down', intervalSeconds: undefined };
        case 'code-rejected':
          return { kind: 'fatal', error: 'invalid device login code (Graph error 100)', codeRejected: true };
        case 'authorized':
          return { kind: 'authorized', grant: { accessToken: status.accessToken, idTokenClaims: undefined, scope: undefined } };
        case 'unavailable':
          return { kind: 'transient', reason: status.reason, retryAfterMs: undefined };
      }
    },

    async identify(grant) {
      try {
        const profile = await fetchProfile(graph(), grant.accessToken, settings.appSecret);
        return { subject: profile.id, name: profile.name, avatarUrl: profile.pictureUrl, scopes: profile.grantedScopes };
      } catch (error) {
        // Facebook refusing the token (a 4xx) will not change; a timeout, network error or 5xx may.
        const refused = error instanceof GraphApiError && error.status >= 400 && error.status < 500;
        throw new ProviderError(error instanceof Error ? `${error.name}: ${error.message}` : 'profile failed', !refused);
      }
    },

    // The token is Facebook's long-lived user token; there is no call that gives back one token without removing
    // the app altogether (that is /logout's job), and it is dropped from memory right after /me.
    async release() {},

    async revokeApp(subject) {
      const outcome = await revokeAppPermissions(graph(), settings, subject);
      return outcome.kind === 'facebook-error' ? { kind: 'provider-error', status: outcome.status } : outcome;
    },

    browser: {
      // The manual login flow's dialog (PLATFORM.md §2), at the Graph version FACEBOOK_GRAPH_URL pins, with PKCE.
      async authorizer() {
        return (request) => {
          const version = new URL(settings.graphUrl).pathname.split('/').filter(Boolean).pop() ?? 'v25.0';
          const url = new URL(`${settings.webUrl}/${version}/dialog/oauth`);
          url.search = new URLSearchParams({
            client_id: settings.appId,
            redirect_uri: request.redirectUri,
            state: request.state,
            response_type: 'code',
            scope: settings.scopes.join(','),
            code_challenge: request.codeChallenge,
            code_challenge_method: 'S256',
          }).toString();
          return url.href;
        };
      },
      async exchange(callback) {
        if (callback.params.get('state') !== callback.state) throw new ProviderError('the state does not match', false);
        const code = callback.params.get('code');
        if (!code) throw new ProviderError('the callback has no code', false);
        try {
          const accessToken = await exchangeCode(graph(), settings, code, callback.redirectUri, callback.codeVerifier);
          return { accessToken, idTokenClaims: undefined, scope: undefined };
        } catch (error) {
          const refused = error instanceof GraphApiError && error.status >= 400 && error.status < 500;
          throw new ProviderError(error instanceof Error ? error.message : 'code exchange failed', !refused);
        }
      },
    },
  };
}

export const facebook: ProviderModule<FacebookSettings> = {
  id: 'facebook',
  mainVariable: 'FACEBOOK_APP_ID',
  settings: facebookSetting,
  create: createFacebook,
};
