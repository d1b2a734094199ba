/**
 * Discord's OAuth2 authorization server for the authorization-code grant (PLATFORM.md §8; discord-api-docs
 * `developers/topics/oauth2.mdx`): the checks on an authorize request, one-time codes, token families (an access
 * token and a refresh token that rotates), revocation, and the bearer check the API routes use. No HTTP here.
 *
 * Choices where Discord does not document its behaviour:
 * - A code lives 100 s (a Discord engineer in discord-api-docs#2526: "codes are one time use and expire 100
 *   seconds after creation") and is spent by its first successful exchange; a failed exchange does not spend it.
 * - A refresh answers a new access token and a new refresh token. The old refresh token stops working at once;
 *   the old access token keeps working until its own expiry.
 * - Revoking any token of a user (the revoke endpoint) ends that user's whole authorization of the app, every token
 *   family included, as the docs' warning says; so does the user deauthorizing the app in their settings.
 * - Error descriptions follow the ones seen from Discord ('Invalid "code" in request.'); callers should rely on
 *   `error` only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { DiscordUser } from './discord-payloads.ts';

/** The scopes of the docs' table that a user can grant in the authorization-code flow. */
export const USER_SCOPES: ReadonlySet<string> = new Set([
  'activities.read',
  'activities.write',
  'applications.builds.read',
  'applications.builds.upload',
  'applications.commands.permissions.update',
  'applications.entitlements',
  'applications.store.update',
  'connections',
  'dm_channels.read',
  'email',
  'gdm.join',
  'guilds',
  'guilds.join',
  'guilds.members.read',
  'identify',
  'messages.read',
  'relationships.read',
  'role_connections.write',
  'rpc',
  'rpc.activities.write',
  'rpc.notifications.read',
  'rpc.voice.read',
  'rpc.voice.write',
  'voice',
]);

/** Known scopes whose flows (adding a bot, a webhook, commands) need a server picker the stand-in does not have. */
const UNMODELLED_SCOPES: ReadonlySet<string> = new Set(['bot', 'webhook.incoming', 'applications.commands', 'applications.commands.update']);

export const ACCESS_TOKEN_LIFETIME_SECONDS = 604_800;
export const CODE_LIFETIME_MS = 100_000;

const INVALID_SCOPE = 'The requested scope is invalid, unknown, or malformed.';
const ACCESS_DENIED = 'The resource owner or authorization server denied the request';

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  /** In the order requested. */
  scopes: string[];
  state: string | undefined;
  prompt: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
}

export type AuthorizeCheck =
  | { kind: 'ok'; request: AuthorizeRequest }
  /** Discord shows an error page and never redirects: the client or the redirect_uri cannot be trusted. */
  | { kind: 'page'; title: string; text: string }
  /** An error the client is told about on its own redirect_uri. */
  | { kind: 'redirect'; location: string; error: string };

/** An HTTP answer of the token and revoke endpoints. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  /** A word for the traffic log (never a secret). */
  note?: string;
}

export interface GrantSummary {
  id: string;
  userId: string;
  scopes: string[];
  createdAt: number;
  /** When the last refresh happened. */
  refreshedAt: number | undefined;
  /** When the newest access token expires (stand-in clock, ms). */
  expiresAt: number;
  /** Ended by the revoke endpoint (`app`) or by the user deauthorizing the app (`user`). */
  revokedAt: number | undefined;
  revokedBy: 'app' | 'user' | undefined;
}

export type GrantChange = { action: 'created' | 'refreshed' | 'expired' | 'revoked'; grant: GrantSummary };

/** What a valid bearer token stands for. */
export interface BearerGrant {
  grantId: string;
  user: DiscordUser;
  scopes: readonly string[];
  expiresAt: number;
}

export type BearerCheck = { ok: true; grant: BearerGrant } | { ok: false; why: 'missing' | 'unknown' | 'expired' | 'revoked' };

interface Grant {
  id: string;
  user: DiscordUser;
  scopes: string[];
  createdAt: number;
  refreshedAt: number | undefined;
  refreshToken: string;
  accessTokens: Set<string>;
  newestExpiresAt: number;
  revokedAt: number | undefined;
  revokedBy: 'app' | 'user' | undefined;
}

interface CodeRecord {
  request: AuthorizeRequest;
  user: DiscordUser;
  expiresAt: number;
}

export interface OAuth2Settings {
  applicationId: string;
  clientSecret: string;
  now: Clock;
  newId: () => string;
  redirectUris: Iterable<string>;
  accessTokenLifetimeSeconds: number;
  codeLifetimeMs: number;
  /** Told about every grant change (for the stand-in's `events`). */
  onChange: (change: GrantChange) => void;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 30 random letters and digits, the shape of Discord's codes and tokens. */
function opaqueToken(): string {
  let out = '';
  for (const byte of randomBytes(30)) out += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const oauthError = (status: number, error: string, description?: string): TokenAnswer => ({
  status,
  body: description === undefined ? { error } : { error, error_description: description },
  note: error,
});

export class OAuth2Server {
  readonly #settings: OAuth2Settings;
  readonly #redirectUris: Set<string>;
  readonly #codes = new Map<string, CodeRecord>();
  readonly #grants = new Map<string, Grant>();
  readonly #byAccessToken = new Map<string, { grant: Grant; expiresAt: number }>();
  readonly #byRefreshToken = new Map<string, Grant>();

  constructor(settings: OAuth2Settings) {
    this.#settings = settings;
    this.#redirectUris = new Set();
    for (const uri of settings.redirectUris) this.allowRedirectUri(uri);
  }

  /** Registers a redirect URI; an authorize request must name one of them exactly. */
  allowRedirectUri(uri: string): void {
    if (!URL.canParse(uri)) throw new Error(`not an absolute URL: ${JSON.stringify(uri)}`);
    this.#redirectUris.add(uri);
  }

  redirectUris(): string[] {
    return [...this.#redirectUris];
  }

  /** Checks the query of `GET /oauth2/authorize` in the order Discord does: client, redirect_uri, then the rest. */
  checkAuthorize(params: Record<string, string>): AuthorizeCheck {
    if (params.client_id !== this.#settings.applicationId) {
      return { kind: 'page', title: 'Unknown Application', text: 'The client_id in this link does not belong to any application.' };
    }
    const redirectUri = params.redirect_uri;
    if (!redirectUri) return { kind: 'page', title: 'Invalid OAuth2 redirect_uri', text: 'This link has no redirect_uri.' };
    if (!this.#redirectUris.has(redirectUri)) {
      return {
        kind: 'page',
        title: 'Invalid OAuth2 redirect_uri',
        text: 'The redirect_uri is not one of the redirects registered for this application (Developer Portal › OAuth2 › Redirects).',
      };
    }
    const state = params.state;
    const fail = (error: string, description: string, fragment = false): AuthorizeCheck => ({
      kind: 'redirect',
      location: appendParams(redirectUri, { error, error_description: description, ...(state !== undefined ? { state } : {}) }, fragment),
      error,
    });
    const scopes = (params.scope ?? '').split(/[ +]+/).filter(Boolean);
    const responseType = params.response_type;
    if (responseType === 'token') {
      // Discord refuses role_connections.write to the implicit grant (discord-api-docs#5885), in the fragment.
      if (scopes.includes('role_connections.write')) return fail('invalid_scope', INVALID_SCOPE, true);
      return { kind: 'page', title: 'Not modelled', text: 'The stand-in does not model the implicit grant (response_type=token).' };
    }
    if (responseType !== 'code') {
      return fail('unsupported_response_type', 'The authorization server does not support obtaining an authorization code using this method.');
    }
    if (scopes.some((scope) => UNMODELLED_SCOPES.has(scope))) {
      return { kind: 'page', title: 'Not modelled', text: 'The stand-in does not model adding a bot, a webhook or commands to a server.' };
    }
    if (scopes.length === 0 || scopes.some((scope) => !USER_SCOPES.has(scope))) return fail('invalid_scope', INVALID_SCOPE);
    const challenge = params.code_challenge;
    // PKCE would let a user mint their own role_connections.write token without the client secret (discord-api-docs#5751).
    if (challenge !== undefined && scopes.includes('role_connections.write')) return fail('invalid_scope', INVALID_SCOPE);
    const method = params.code_challenge_method ?? (challenge !== undefined ? 'plain' : undefined);
    if (method !== undefined && method !== 'S256' && method !== 'plain') return fail('invalid_request', 'Transform algorithm not supported.');
    return {
      kind: 'ok',
      request: {
        clientId: params.client_id,
        redirectUri,
        scopes: [...new Set(scopes)],
        state,
        prompt: params.prompt,
        codeChallenge: challenge,
        codeChallengeMethod: method,
      },
    };
  }

  /** The user already authorized every scope of `request` (what lets `prompt=none` skip the consent page). */
  hasAuthorized(userId: string, scopes: readonly string[]): boolean {
    return [...this.#grants.values()].some(
      (grant) => grant.user.id === userId && grant.revokedAt === undefined && scopes.every((scope) => grant.scopes.includes(scope)),
    );
  }

  /** The user pressed Authorize: a one-time code, sent back on the redirect_uri. Returns the Location. */
  approve(request: AuthorizeRequest, user: DiscordUser): string {
    const code = opaqueToken();
    this.#codes.set(code, { request, user: { ...user }, expiresAt: this.#settings.now() + this.#settings.codeLifetimeMs });
    return appendParams(request.redirectUri, { code, ...(request.state !== undefined ? { state: request.state } : {}) });
  }

  /** The user pressed Cancel. Returns the Location. */
  deny(request: AuthorizeRequest): string {
    return appendParams(request.redirectUri, {
      error: 'access_denied',
      error_description: ACCESS_DENIED,
      ...(request.state !== undefined ? { state: request.state } : {}),
    });
  }

  /**
   * Client authentication (RFC 6749 §2.3.1): HTTP Basic or `client_id` + `client_secret` in the form. When both
   * are sent, both must be right. Returns an error answer, or undefined when the client is authenticated.
   */
  authenticateClient(params: Record<string, string>, authorization: string | undefined): TokenAnswer | undefined {
    const offered: { id: string | undefined; secret: string | undefined }[] = [];
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return oauthError(401, 'invalid_client');
      const decode = (text: string) => {
        try {
          return decodeURIComponent(text.replace(/\+/g, ' '));
        } catch {
          return text;
        }
      };
      offered.push({ id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) });
    }
    if (params.client_secret !== undefined || offered.length === 0) offered.push({ id: params.client_id, secret: params.client_secret });
    const { applicationId, clientSecret } = this.#settings;
    const good = offered.every(({ id, secret }) => id === applicationId && secret !== undefined && safeEqual(secret, clientSecret));
    if (!good || (params.client_id !== undefined && params.client_id !== applicationId)) return oauthError(401, 'invalid_client');
    return undefined;
  }

  /** `grant_type=authorization_code`, for an authenticated client. */
  exchangeCode(params: Record<string, string>): TokenAnswer {
    const code = params.code;
    if (!code) return oauthError(400, 'invalid_request', 'Missing "code" in request.');
    const record = this.#codes.get(code);
    if (!record || this.#settings.now() >= record.expiresAt) {
      if (record) this.#codes.delete(code);
      return oauthError(400, 'invalid_grant', 'Invalid "code" in request.');
    }
    if (params.redirect_uri !== record.request.redirectUri) return oauthError(400, 'invalid_grant', 'Invalid "redirect_uri" in request.');
    const { codeChallenge, codeChallengeMethod } = record.request;
    if (codeChallenge !== undefined) {
      const verifier = params.code_verifier ?? '';
      const derived = codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || !safeEqual(derived, codeChallenge)) return oauthError(400, 'invalid_grant', 'Invalid "code_verifier" in request.');
    }
    this.#codes.delete(code);
    const now = this.#settings.now();
    const grant: Grant = {
      id: this.#settings.newId(),
      user: record.user,
      scopes: [...record.request.scopes],
      createdAt: now,
      refreshedAt: undefined,
      refreshToken: '',
      accessTokens: new Set(),
      newestExpiresAt: now,
      revokedAt: undefined,
      revokedBy: undefined,
    };
    this.#grants.set(grant.id, grant);
    const answer = this.#issueTokens(grant);
    this.#settings.onChange({ action: 'created', grant: summary(grant) });
    return { ...answer, note: 'code exchanged' };
  }

  /** `grant_type=refresh_token`, for an authenticated client: new tokens, and the old refresh token is spent. */
  refresh(params: Record<string, string>): TokenAnswer {
    const token = params.refresh_token;
    if (!token) return oauthError(400, 'invalid_request', 'Missing "refresh_token" in request.');
    const grant = this.#byRefreshToken.get(token);
    if (!grant || grant.revokedAt !== undefined) return oauthError(400, 'invalid_grant', 'Invalid "refresh_token" in request.');
    this.#byRefreshToken.delete(token);
    grant.refreshedAt = this.#settings.now();
    const answer = this.#issueTokens(grant);
    this.#settings.onChange({ action: 'refreshed', grant: summary(grant) });
    return { ...answer, note: 'refreshed' };
  }

  /** `POST /oauth2/token/revoke` for an authenticated client. An unknown token is not an error (RFC 7009 §2.2). */
  revokeToken(params: Record<string, string>): TokenAnswer {
    const token = params.token;
    if (!token) return oauthError(400, 'invalid_request', 'Missing "token" in request.');
    const grant = this.#byAccessToken.get(token)?.grant ?? this.#byRefreshToken.get(token);
    if (!grant) return { status: 200, body: {}, note: 'unknown token' };
    const revoked = this.revokeUser(grant.user.id, 'app');
    return { status: 200, body: {}, note: revoked > 0 ? 'revoked' : 'already revoked' };
  }

  /** Ends every token family of `userId`. Returns how many were still active. */
  revokeUser(userId: string, by: 'app' | 'user'): number {
    let count = 0;
    for (const grant of this.#grants.values()) {
      if (grant.user.id !== userId || grant.revokedAt !== undefined) continue;
      grant.revokedAt = this.#settings.now();
      grant.revokedBy = by;
      this.#byRefreshToken.delete(grant.refreshToken);
      count++;
      this.#settings.onChange({ action: 'revoked', grant: summary(grant) });
    }
    return count;
  }

  /** Moves the expiry of the access tokens (of `userId`, or everyone's) to now. */
  expireAccessTokens(userId?: string): number {
    const now = this.#settings.now();
    const touched = new Set<Grant>();
    for (const record of this.#byAccessToken.values()) {
      const { grant } = record;
      if ((userId !== undefined && grant.user.id !== userId) || grant.revokedAt !== undefined || record.expiresAt <= now) continue;
      record.expiresAt = now;
      touched.add(grant);
    }
    for (const grant of touched) {
      grant.newestExpiresAt = Math.min(grant.newestExpiresAt, now);
      this.#settings.onChange({ action: 'expired', grant: summary(grant) });
    }
    return touched.size;
  }

  /** Checks an `Authorization: Bearer …` header. */
  bearer(authorization: string | undefined): BearerCheck {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { ok: false, why: 'missing' };
    const record = this.#byAccessToken.get(match[1]!);
    if (!record) return { ok: false, why: 'unknown' };
    if (record.grant.revokedAt !== undefined) return { ok: false, why: 'revoked' };
    if (this.#settings.now() >= record.expiresAt) return { ok: false, why: 'expired' };
    const { grant } = record;
    return { ok: true, grant: { grantId: grant.id, user: { ...grant.user }, scopes: [...grant.scopes], expiresAt: record.expiresAt } };
  }

  grants(): GrantSummary[] {
    return [...this.#grants.values()].map(summary);
  }

  #issueTokens(grant: Grant): TokenAnswer {
    const accessToken = opaqueToken();
    const refreshToken = opaqueToken();
    const lifetime = this.#settings.accessTokenLifetimeSeconds;
    const expiresAt = this.#settings.now() + lifetime * 1000;
    grant.accessTokens.add(accessToken);
    grant.refreshToken = refreshToken;
    grant.newestExpiresAt = expiresAt;
    this.#byAccessToken.set(accessToken, { grant, expiresAt });
    this.#byRefreshToken.set(refreshToken, grant);
    return {
      status: 200,
      body: { token_type: 'Bearer', access_token: accessToken, expires_in: lifetime, refresh_token: refreshToken, scope: grant.scopes.join(' ') },
    };
  }
}

/** `uri` with `params` added to its query (or, for `fragment`, as its fragment). */
function appendParams(uri: string, params: Record<string, string>, fragment = false): string {
  const url = new URL(uri);
  if (fragment) {
    url.hash = new URLSearchParams(params).toString();
    return url.toString();
  }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

function summary(grant: Grant): GrantSummary {
  return {
    id: grant.id,
    userId: grant.user.id,
    scopes: [...grant.scopes],
    createdAt: grant.createdAt,
    refreshedAt: grant.refreshedAt,
    expiresAt: grant.newestExpiresAt,
    revokedAt: grant.revokedAt,
    revokedBy: grant.revokedBy,
  };
}
