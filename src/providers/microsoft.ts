/**
 * Microsoft Entra ID: RFC 8628 by discovery. Two differences adapted here: a decline is `authorization_declined`
 * (the shared mapping knows it), and for the multi-tenant authorities (`common`, `organizations`, `consumers`)
 * the discovery document's issuer is a template, `…/{tenantid}/v2.0`, whose ID tokens each carry their own
 * tenant: the expected issuer is filled in from the token's `tid`. Who logged in: the ID token's `sub` (pairwise:
 * stable for this app). Facts: PLATFORM.md §7.
 */
import * as oauth from 'oauth4webapi';
import { anySet, optional, required, secureBaseUrl, setting, type Env, type Setting, type Vars } from '../config.ts';
import { discover } from './oauth.ts';
import { openIdProvider } from './openid.ts';
import { ProviderError, type Provider, type ProviderModule } from './types.ts';

export const DEFAULT_MICROSOFT_LOGIN_URL = 'https://login.microsoftonline.com';
const MICROSOFT_BLUE = 0x0078d4;
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface MicrosoftSettings {
  clientId: string;
  tenant: string;
  loginUrl: string;
}

export function microsoftSetting(vars: Vars): Setting<MicrosoftSettings> | undefined {
  const env = vars as Env;
  if (!anySet(env, ['MICROSOFT_CLIENT_ID'])) return undefined;
  return setting(vars, 'microsoft', () => ({
    clientId: required(env, 'MICROSOFT_CLIENT_ID', GUID, 'an application (client) id, a GUID'),
    tenant: optional(env, 'MICROSOFT_TENANT', 'common', /^(common|organizations|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, 'common, organizations, consumers or a tenant id'),
    loginUrl: secureBaseUrl(env, 'MICROSOFT_LOGIN_URL', DEFAULT_MICROSOFT_LOGIN_URL),
  }));
}

const TEMPLATE = '{tenantid}';

/**
 * oauth4webapi's hook for an issuer that depends on the token (exported, not typed: panva's openid-client uses it
 * for this same Entra case). Checked at start-up of the module, so a change in the library fails loudly.
 */
const expectedIssuer = (oauth as unknown as { _expectedIssuer?: symbol })._expectedIssuer;

/** The authority's metadata. For the multi-tenant authorities the document's issuer is the template. */
async function metadata(settings: MicrosoftSettings): Promise<oauth.AuthorizationServer> {
  const authority = `${settings.loginUrl}/${settings.tenant}/v2.0`;
  if (!MULTI_TENANT.has(settings.tenant)) return discover(authority);
  const as = await discover(authority, new URL(`${settings.loginUrl}/${TEMPLATE}/v2.0`));
  if (typeof expectedIssuer !== 'symbol') throw new ProviderError('oauth4webapi no longer offers _expectedIssuer', false);
  return {
    ...as,
    [expectedIssuer]: (result: { claims: Record<string, unknown> }) => {
      const tid = result.claims.tid;
      return typeof tid === 'string' && GUID.test(tid) ? as.issuer.replace(TEMPLATE, tid) : as.issuer;
    },
  } as oauth.AuthorizationServer;
}

export function createMicrosoft(settings: MicrosoftSettings): Provider {
  return openIdProvider({
    id: 'microsoft',
    name: 'Microsoft',
    color: MICROSOFT_BLUE,
    appSettingsUrl: 'https://myapps.microsoft.com',
    server: async () => ({
      as: await metadata(settings),
      client: { client_id: settings.clientId },
      // A public client ("Allow public client flows"): the device flow takes no secret.
      auth: oauth.None(),
      scope: 'openid profile',
    }),
  });
}

export const microsoft: ProviderModule<MicrosoftSettings> = {
  id: 'microsoft',
  mainVariable: 'MICROSOFT_CLIENT_ID',
  settings: microsoftSetting,
  create: createMicrosoft,
};
