/**
 * Google: RFC 8628 by discovery, with one quirk adapted here (the device answer says `verification_url`, not
 * `verification_uri`) and a client secret required on the token request. Who logged in comes from the ID token.
 * Google issues one OAuth client per type: the device flow works only with a "TVs and Limited Input devices"
 * client (GOOGLE_CLIENT_ID), which cannot register redirect URIs, so the browser login needs a second, "Web
 * application" client (GOOGLE_WEB_CLIENT_ID) and exists only when one is set. Both clients of one project see the
 * same `sub`, so a link made either way names the same account. Facts: PLATFORM.md §7 and §9.
 */
import * as oauth from 'oauth4webapi';
import { anySet, ConfigError, required, secureBaseUrl, setting, type Env, type Setting, type Vars } from '../config.ts';
import { discover, type Adapt, type OAuthClient } from './oauth.ts';
import { openIdProvider } from './openid.ts';
import type { Provider, ProviderModule } from './types.ts';

export const DEFAULT_GOOGLE_ISSUER = 'https://accounts.google.com';
const GOOGLE_BLUE = 0x4285f4;
/** The device flow allows only a short list of scopes; these are all the bot needs. */
const SCOPES = 'openid email profile';

export interface GoogleClient {
  clientId: string;
  clientSecret: string;
}

export interface GoogleSettings {
  /** The "TVs and Limited Input devices" client: the device flow. */
  clientId: string;
  clientSecret: string;
  issuer: string;
  /** The "Web application" client: the browser login, which is offered only with it. */
  webClient: GoogleClient | undefined;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{4,200}$/;
const CLIENT_SECRET = /^[A-Za-z0-9_-]{8,200}$/;
const WEB_CLIENT = ['GOOGLE_WEB_CLIENT_ID', 'GOOGLE_WEB_CLIENT_SECRET'];

export function googleSetting(vars: Vars): Setting<GoogleSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', ...WEB_CLIENT])) return undefined;
  return setting(vars, 'google', () => {
    const clientId = required(env, 'GOOGLE_CLIENT_ID', CLIENT_ID, 'a Google OAuth client id');
    const clientSecret = required(env, 'GOOGLE_CLIENT_SECRET', CLIENT_SECRET, 'a client secret');
    const issuer = secureBaseUrl(env, 'GOOGLE_ISSUER', DEFAULT_GOOGLE_ISSUER);
    if (!anySet(env, WEB_CLIENT)) return { clientId, clientSecret, issuer, webClient: undefined };
    const webClient = {
      clientId: required(env, 'GOOGLE_WEB_CLIENT_ID', CLIENT_ID, 'a Google OAuth client id'),
      clientSecret: required(env, 'GOOGLE_WEB_CLIENT_SECRET', CLIENT_SECRET, 'a client secret'),
    };
    // One client cannot be of both types: the same id twice is the mistake these two settings exist to avoid.
    if (webClient.clientId === clientId) {
      throw new ConfigError({ variable: 'GOOGLE_WEB_CLIENT_ID', problem: 'names the same client as GOOGLE_CLIENT_ID (the browser login needs a separate "Web application" client)' });
    }
    return { clientId, clientSecret, issuer, webClient };
  });
}

/** oauth4webapi's hook for an issuer that depends on the token (see microsoft.ts). */
const expectedIssuer = (oauth as unknown as { _expectedIssuer?: symbol })._expectedIssuer;

/**
 * Google's ID tokens name their issuer as `https://accounts.google.com` or as `accounts.google.com` ("The value of
 * iss in the ID token is equal to accounts.google.com or https://accounts.google.com"; OpenID Connect Core
 * §15.6.2): the discovery document's issuer, or the same without its scheme, is accepted.
 */
function withSchemelessIssuer(as: oauth.AuthorizationServer): oauth.AuthorizationServer {
  if (typeof expectedIssuer !== 'symbol') return as;
  const schemeless = as.issuer.replace(/^https?:\/\//, '');
  return {
    ...as,
    [expectedIssuer]: (result: { claims: Record<string, unknown> }) => (result.claims.iss === schemeless ? schemeless : as.issuer),
  } as oauth.AuthorizationServer;
}

/** Google's device answer names the page `verification_url`; RFC 8628 (and oauth4webapi) say `verification_uri`. */
const adaptVerificationUrl: Adapt = (_url, response) => {
  if (response.status !== 200 || !response.text.includes('"verification_url"')) return response;
  try {
    const body = JSON.parse(response.text) as Record<string, unknown>;
    if (body.verification_uri === undefined && typeof body.verification_url === 'string') {
      return { status: 200, text: JSON.stringify({ ...body, verification_uri: body.verification_url }) };
    }
  } catch {
    // Not JSON: oauth4webapi reports that itself.
  }
  return response;
};

/** One of the project's clients, with Google's metadata (discovered once for both). */
const serverFor = (issuer: string, client: GoogleClient) => async (): Promise<OAuthClient> => ({
  as: withSchemelessIssuer(await discover(issuer)),
  client: { client_id: client.clientId },
  auth: oauth.ClientSecretPost(client.clientSecret),
  scope: SCOPES,
  adapt: adaptVerificationUrl,
});

export function createGoogle(settings: GoogleSettings): Provider {
  const { webClient } = settings;
  return openIdProvider({
    id: 'google',
    name: 'Google',
    color: GOOGLE_BLUE,
    appSettingsUrl: 'https://myaccount.google.com/connections',
    server: serverFor(settings.issuer, settings),
    browserServer: webClient ? serverFor(settings.issuer, webClient) : null,
  });
}

export const google: ProviderModule<GoogleSettings> = {
  id: 'google',
  mainVariable: 'GOOGLE_CLIENT_ID',
  settings: googleSetting,
  create: createGoogle,
};
