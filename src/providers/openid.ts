/**
 * A provider that speaks standard OpenID Connect with RFC 8628 (Google, Microsoft, any OpenID provider): its
 * endpoints by discovery, who logged in from the ID token (or userinfo), the token given back by RFC 7009 where
 * the provider can. Each such provider module only says how to reach it and how it differs.
 */
import { codeGrant, identityFromIdToken, pollDeviceGrant, revokeToken, startDeviceGrant, type OAuthClient } from './oauth.ts';
import type { Grant, Provider, ProviderId } from './types.ts';

export interface OpenIdProviderDescription {
  id: ProviderId;
  name: string;
  color: number;
  appSettingsUrl: string | undefined;
  /** The client, with the provider's metadata (discovered, cached per isolate). Throws ProviderError. */
  server: () => Promise<OAuthClient>;
  /**
   * The browser login's client, where the provider wants another one than the device flow's (Google issues one
   * client per type); `null`: no browser login. Absent: `server`'s client does both.
   */
  browserServer?: (() => Promise<OAuthClient>) | null;
}

export function openIdProvider(description: OpenIdProviderDescription): Provider {
  const { server } = description;
  const browserServer = description.browserServer === undefined ? server : description.browserServer;
  // A token is given back (and read) as the client it was issued to.
  const serverOf = (grant: Grant) => (grant.via === 'browser' && browserServer ? browserServer : server);
  return {
    id: description.id,
    name: description.name,
    color: description.color,
    appSettingsUrl: description.appSettingsUrl,
    startDeviceLogin: async () => startDeviceGrant(await server()),
    async pollDeviceLogin(deviceCode) {
      let client: OAuthClient;
      try {
        client = await server();
      } catch (error) {
        return { kind: 'transient', reason: error instanceof Error ? error.message : 'discovery failed', retryAfterMs: undefined };
      }
      return pollDeviceGrant(client, deviceCode);
    },
    identify: async (grant) => identityFromIdToken(await serverOf(grant)(), grant),
    async release(grant) {
      // Without the provider's metadata there is no revocation endpoint to call (revokeToken never throws).
      const client = await serverOf(grant)().catch(() => undefined);
      if (client) await revokeToken(client, grant);
    },
    // Revoking the app needs a token of the user's, which the bot does not keep: the user removes it there.
    revokeApp: async () => ({ kind: 'not-supported' }),
    browser: browserServer ? codeGrant(browserServer) : undefined,
  };
}
