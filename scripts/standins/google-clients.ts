/**
 * A Google Cloud project's OAuth clients, one per type, as Google keeps them: a "TVs and Limited Input devices"
 * client, the only type the device flow accepts, which has no redirect URIs; and optionally a "Web application"
 * client with its registered redirect URIs, for the authorization-code flow. Both see the same `sub` for a person
 * (the same project). What each endpoint answers a client of the wrong type, with the sources:
 *
 * - `/device/code` with a web client: HTTP 401 `invalid_client`, "Only clients of type 'TVs and Limited Input
 *   devices' can use the OAuth 2.0 flow for TV and Limited-Input Device Applications. Please create and use an
 *   appropriate client." [obs: the device-code request's answer quoted in public issues and READMEs, e.g.
 *   anxdpanic/plugin.video.youtube#272 and #325 ("[401] invalid_client: Only clients of type …")]
 * - `/token` polled with a device code by a web client: HTTP 401 `invalid_client`, "Invalid client type."
 *   [obs: the poll's body `{'error': 'invalid_client', 'error_description': 'Invalid client type.', 'code': 401}`
 *   in anxdpanic/plugin.video.youtube#1117]
 * - `/token` with `grant_type=authorization_code` (or a refresh token) from a client the grant was not issued to,
 *   here the TV client: HTTP 401 `unauthorized_client`, "Unauthorized" [obs: Google's answer to a grant presented
 *   by another client, prasmussen/gdrive#375 (401), googleapis/google-api-dotnet-client#2802; inf: that the TV
 *   client's code exchange gets the same].
 * - the authorize page with the TV client: "Error 400: redirect_uri_mismatch", since such a client has no redirect
 *   URI to match [inf: from the client type's console form, which has no redirect URI field; the page's wording
 *   is Google's for an unregistered redirect URI].
 */
import { RedirectUris } from './oauth-standin.ts';

export type GoogleClientType = 'tv' | 'web';

export interface GoogleClient {
  readonly type: GoogleClientType;
  readonly clientId: string;
  readonly clientSecret: string;
}

export const DEFAULT_TV_CLIENT = {
  clientId: '123456789012-standin0standin0standin0standin0.apps.googleusercontent.com',
  clientSecret: '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',
} as const;

export const DEFAULT_WEB_CLIENT = {
  clientId: '123456789012-standinweb0standinweb0standinweb0.apps.googleusercontent.com',
  clientSecret: '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',
} as const;

export const DEVICE_FLOW_NEEDS_TV_CLIENT =
  "Only clients of type 'TVs and Limited Input devices' can use the OAuth 2.0 flow for TV and Limited-Input Device Applications. Please create and use an appropriate client.";
export const INVALID_CLIENT_TYPE = 'Invalid client type.';

export class GoogleClients {
  readonly tv: GoogleClient;
  readonly web: GoogleClient | undefined;
  /** The web client's redirect URIs; the TV client has none. */
  readonly #redirectUris: RedirectUris;

  constructor(tv: { clientId: string; clientSecret: string }, web: { clientId: string; clientSecret: string } | undefined, redirectUris: readonly string[] = []) {
    if (web && web.clientId === tv.clientId) throw new Error('a Google client has one type: the web client needs its own client id');
    if (!web && redirectUris.length > 0) throw new Error('redirect URIs belong to a "Web application" client, and this project has none');
    this.tv = { type: 'tv', ...tv };
    this.web = web && { type: 'web', ...web };
    this.#redirectUris = new RedirectUris(redirectUris);
  }

  byId(clientId: string | undefined): GoogleClient | undefined {
    if (clientId === undefined) return undefined;
    return [this.tv, this.web].find((client) => client?.clientId === clientId);
  }

  /** Registers a redirect URI on the web client (exact match). Throws without one. */
  allowRedirectUri(uri: string): void {
    if (!this.web) throw new Error('this Google stand-in has no "Web application" client to register a redirect URI on');
    this.#redirectUris.allow(uri);
  }

  /** Whether `client` may be sent back to `uri`: only the web client, and only to a registered URI. */
  redirectAllowed(client: GoogleClient, uri: string): boolean {
    return client.type === 'web' && this.#redirectUris.has(uri);
  }
}
