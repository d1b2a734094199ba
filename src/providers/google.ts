/**
 * Google: RFC 8628 by discovery, with one quirk adapted here (the device answer says `verification_url`, not
 * `verification_uri`) and a client secret required on the token request. Who logged in comes from the ID token.
 * Facts: PLATFORM.md §7.
 */
import * as oauth from 'oauth4webapi';
import { anySet, required, secureBaseUrl, setting, type Env, type Setting, type Vars } from '../config.ts';
import { discover, type Adapt } from './oauth.ts';
import { openIdProvider } from './openid.ts';
import type { Provider, ProviderModule } from './types.ts';

export const DEFAULT_GOOGLE_ISSUER = 'https://accounts.google.com';
const GOOGLE_BLUE = 0x4285f4;
/** The device flow allows only a short list of scopes; these are all the bot needs. */
const SCOPES = 'openid email profile';

export interface GoogleSettings {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

export function googleSetting(vars: Vars): Setting<GoogleSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'])) return undefined;
  return setting(vars, 'google', () => ({
    clientId: required(env, 'GOOGLE_CLIENT_ID', /^[A-Za-z0-9._-]{4,200}$/, 'a Google OAuth client id'),
    clientSecret: required(env, 'GOOGLE_CLIENT_SECRET', /^[A-Za-z0-9_-]{8,200}$/, 'a client secret'),
    issuer: secureBaseUrl(env, 'GOOGLE_ISSUER', DEFAULT_GOOGLE_ISSUER),
  }));
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

export function createGoogle(settings: GoogleSettings): Provider {
  return openIdProvider({
    id: 'google',
    name: 'Google',
    color: GOOGLE_BLUE,
    appSettingsUrl: 'https://myaccount.google.com/connections',
    server: async () => ({
      as: withSchemelessIssuer(await discover(settings.issuer)),
      client: { client_id: settings.clientId },
      auth: oauth.ClientSecretPost(settings.clientSecret),
      scope: SCOPES,
      adapt: adaptVerificationUrl,
    }),
  });
}

export const google: ProviderModule<GoogleSettings> = {
  id: 'google',
  mainVariable: 'GOOGLE_CLIENT_ID',
  settings: googleSetting,
  create: createGoogle,
};
