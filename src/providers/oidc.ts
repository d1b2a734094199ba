/**
 * Any OpenID provider (Keycloak, Authentik, Okta, Entra, oidc-provider, ...) that offers the device grant: its
 * endpoints by discovery from `OIDC_ISSUER`, a public or confidential client, who logged in from the ID token
 * or userinfo, the token given back where it has a revocation endpoint.
 */
import * as oauth from 'oauth4webapi';
import { anySet, ConfigError, optional, required, secureBaseUrl, setting, text, type Env, type Setting, type Vars } from '../config.ts';
import { discover } from './oauth.ts';
import { openIdProvider } from './openid.ts';
import type { Provider, ProviderModule } from './types.ts';

const OIDC_GREY = 0x5865f2;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent: a public client (token requests carry only the client id). */
  clientSecret: string | undefined;
  name: string;
  scopes: string;
}

export function oidcSetting(vars: Vars): Setting<OidcSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, ['OIDC_ISSUER', 'OIDC_CLIENT_ID'])) return undefined;
  return setting(vars, 'oidc', () => {
    const scopes = optional(env, 'OIDC_SCOPES', 'openid profile', /^[\w.:/-]+( [\w.:/-]+)*$/, 'space-separated scopes');
    if (!scopes.split(' ').includes('openid')) throw new ConfigError({ variable: 'OIDC_SCOPES', problem: 'must include openid' });
    return {
      issuer: secureBaseUrl(env, 'OIDC_ISSUER', undefined),
      clientId: required(env, 'OIDC_CLIENT_ID', /^[\x21-\x7e]{1,200}$/, 'a client id'),
      clientSecret: env.OIDC_CLIENT_SECRET?.trim() ? text(env, 'OIDC_CLIENT_SECRET', 500) : undefined,
      name: env.OIDC_NAME?.trim() ? text(env, 'OIDC_NAME', 40) : 'OpenID',
      scopes,
    };
  });
}

export function createOidc(settings: OidcSettings): Provider {
  return openIdProvider({
    id: 'oidc',
    name: settings.name,
    color: OIDC_GREY,
    appSettingsUrl: undefined,
    server: async () => ({
      as: await discover(settings.issuer),
      client: { client_id: settings.clientId },
      auth: settings.clientSecret ? oauth.ClientSecretBasic(settings.clientSecret) : oauth.None(),
      scope: settings.scopes,
    }),
  });
}

export const oidc: ProviderModule<OidcSettings> = {
  id: 'oidc',
  mainVariable: 'OIDC_ISSUER',
  settings: oidcSetting,
  create: createOidc,
};
