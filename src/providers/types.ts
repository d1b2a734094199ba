/**
 * What the login engine needs from an identity provider, and nothing more. A provider module (one per provider in
 * this folder) describes its settings and builds a {@link Provider} from them; the engine never names a provider.
 */
import type { Setting, Vars } from '../config.ts';

export const PROVIDER_IDS = ['facebook', 'github', 'google', 'microsoft', 'oidc'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** A device code as the engine keeps it: the device code itself goes back to the provider only. */
export interface DeviceAuthorization {
  /** Secret: sent only to the provider, never shown or logged. */
  deviceCode: string;
  userCode: string;
  /** The page where the user types the code. */
  verificationUri: string;
  /** The page with the code already filled in, where the provider has one. */
  verificationUriComplete: string | undefined;
  expiresInSeconds: number;
  intervalSeconds: number;
}

/** What the provider handed over when the user approved: kept in memory only, for the identity call. */
export interface Grant {
  /** Secret. */
  accessToken: string;
  /** The ID token's validated claims, for OpenID providers. */
  idTokenClaims: Record<string, unknown> | undefined;
  /** The scopes granted, as the provider reported them (space- or comma-separated), when it did. */
  scope: string | undefined;
  /**
   * Set by the browser login's code exchange: the grant went to the browser login's client, which at Google is
   * another client than the device flow's. Absent for a device-flow grant.
   */
  via?: 'browser';
}

/** One poll's outcome, whatever the provider said it with. */
export type PollOutcome =
  | { kind: 'pending' }
  /** RFC 8628 §3.5: wait 5 s longer from now on, or `intervalSeconds` if the provider sent a larger one. */
  | { kind: 'slow_down'; intervalSeconds: number | undefined }
  | { kind: 'declined' }
  | { kind: 'expired' }
  /** Network, timeout, 5xx, a body that is not the protocol: try again later (after `retryAfterMs` if given). */
  | { kind: 'transient'; reason: string; retryAfterMs: number | undefined }
  /**
   * Any other error: stop polling. `error` is the provider's error name (logged); `codeRejected` marks a device
   * code the provider no longer knows, whose answer was probably lost on the way.
   */
  | { kind: 'fatal'; error: string; codeRejected?: boolean }
  | { kind: 'authorized'; grant: Grant };

/** Who logged in. */
export interface Identity {
  /** Stable per provider: Facebook's app-scoped id, GitHub's numeric id, the ID token's `sub`. */
  subject: string;
  name: string;
  avatarUrl: string | undefined;
  /** What the user granted, where the provider says. */
  scopes: string[];
}

/** A failure of a provider call that is not a poll: `transient` ones are worth retrying. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly transient: boolean;
  constructor(message: string, transient: boolean) {
    super(message);
    this.transient = transient;
  }
}

/** What /logout could do at the provider. */
export type RevokeOutcome =
  /** The provider confirmed: the app no longer has access. */
  | { kind: 'revoked' }
  /** The provider answered with a 4xx (or a 200 without success): it did not revoke. */
  | { kind: 'refused'; status: number; code: number | undefined }
  /** A 5xx, or something that is not the provider's protocol. */
  | { kind: 'provider-error'; status: number }
  /** No answer within the timeout: unknown. */
  | { kind: 'timeout'; timeoutMs: number }
  /** The request did not reach the provider. */
  | { kind: 'unreachable' }
  /** The bot holds no token for this provider, so only the user can remove the app there. */
  | { kind: 'not-supported' };

/** What the browser login's start needs from the Durable Object: all single use, all random. */
export interface AuthorizationRequest {
  /** Exactly `{PUBLIC_BASE_URL}/auth/<provider>/callback`. */
  redirectUri: string;
  state: string;
  /** PKCE S256 (RFC 7636). */
  codeChallenge: string;
  /** For OpenID providers: bound into the ID token. */
  nonce: string;
}

/** The provider's answer at the callback, and the secrets kept for checking it. */
export interface AuthorizationCallback {
  /** The callback's query, as the provider sent it. */
  params: URLSearchParams;
  redirectUri: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

/** The authorization code grant (RFC 6749 §4.1, with PKCE), hosted by the Worker. */
export interface BrowserLogin {
  /**
   * Resolves where to send the browser (discovery may fail: throws {@link ProviderError}) and returns the URL's
   * builder, so that a failure costs the user nothing: the Worker asks before it spends the single-use ticket.
   */
  authorizer(): Promise<(request: AuthorizationRequest) => string>;
  /** Exchanges the code. Throws {@link ProviderError}. */
  exchange(callback: AuthorizationCallback): Promise<Grant>;
}

/** A provider, built from its settings: the engine's whole view of it. */
export interface Provider {
  readonly id: ProviderId;
  /** Shown to users: "Log in with <name>". */
  readonly name: string;
  /** The embed colour of its messages (the provider's brand colour). */
  readonly color: number;
  /** Where people remove this app from their account themselves, if the provider has such a page. */
  readonly appSettingsUrl: string | undefined;
  /** RFC 8628 §3.1 (or the provider's own form of it): a new device code. Throws {@link ProviderError}. */
  startDeviceLogin(): Promise<DeviceAuthorization>;
  /** RFC 8628 §3.4: one poll, one request. Never throws. */
  pollDeviceLogin(deviceCode: string): Promise<PollOutcome>;
  /** Who logged in, from the grant. Throws {@link ProviderError}. */
  identify(grant: Grant): Promise<Identity>;
  /** Gives the access token back (RFC 7009) right after the identity was read, where the provider can. Never throws. */
  release(grant: Grant): Promise<void>;
  /** For /logout: removes the app's access to the account `subject`, where the bot can without a user token. */
  revokeApp(subject: string): Promise<RevokeOutcome>;
  /** The browser login, for providers (and settings) that support the authorization code grant. */
  readonly browser: BrowserLogin | undefined;
}

/** A provider module: its id, its settings and how to build it. Adding a provider is one such module. */
export interface ProviderModule<S> {
  readonly id: ProviderId;
  /** Undefined when none of its settings is set (not enabled); else its settings or the first problem. */
  settings(vars: Vars): Setting<S> | undefined;
  /** The variable whose absence means "not set up", for the log line when no provider is enabled. */
  readonly mainVariable: string;
  create(settings: S): Provider;
}
