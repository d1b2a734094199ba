/**
 * GitHub, Google, Microsoft and a generic OpenID provider as the fake network answers for them in worker tests:
 * each provider's answers in its own shape (PLATFORM.md §7), with the routes the Worker calls. ID tokens are JWTs
 * with the provider's claims; their signature is not checked by the Worker for a token-endpoint answer (OpenID
 * Core §3.1.3.7: the TLS channel authenticates it), so a dummy one is enough here.
 */
import { env } from 'cloudflare:workers';
import { json, type FakeNetwork, type Responder } from './network.ts';

const b64u = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function jwt(claims: Record<string, unknown>): string {
  return `${b64u({ alg: 'RS256', typ: 'JWT', kid: 'test-key' })}.${b64u(claims)}.${b64u('not-a-real-signature')}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export type TestProvider = 'github' | 'google' | 'microsoft' | 'oidc';

export const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const ACCESS = 'provider-access-token-0123456789abcdef';
export const DEVICE = 'provider-device-code-0123456789abcdef';

/** The URLs the Worker calls for each provider, and what its answers look like. */
export const providers = {
  github: {
    deviceCode: () => `POST ${env.GITHUB_URL}/login/device/code`,
    token: () => `POST ${env.GITHUB_URL}/login/oauth/access_token`,
    user: () => `GET ${env.GITHUB_API_URL}/user`,
    device: (): Responder => () =>
      json(200, { device_code: DEVICE, user_code: 'WDJB-MJHT', verification_uri: `${env.GITHUB_URL}/login/device`, expires_in: 900, interval: 5 }),
    /** GitHub answers every error with HTTP 200. */
    error: (error: string, extra: Record<string, unknown> = {}): Responder => () =>
      json(200, { error, error_description: `${error} description`, error_uri: 'https://docs.github.com/', ...extra }),
    success: (): Responder => () => json(200, { access_token: ACCESS, token_type: 'bearer', scope: '' }),
    profile: (): Responder => () => json(200, { login: 'octocat', id: 583231, name: 'The Octocat', avatar_url: 'https://avatars.githubusercontent.com/u/583231' }),
  },
  google: {
    discovery: () => `GET ${env.GOOGLE_ISSUER}/.well-known/openid-configuration`,
    deviceCode: () => `POST ${env.GOOGLE_ISSUER}/device/code`,
    token: () => `POST ${env.GOOGLE_ISSUER}/token`,
    revoke: () => `POST ${env.GOOGLE_ISSUER}/revoke`,
    metadata: (): Responder => () =>
      json(200, {
        issuer: env.GOOGLE_ISSUER,
        authorization_endpoint: `${env.GOOGLE_ISSUER}/o/oauth2/v2/auth`,
        device_authorization_endpoint: `${env.GOOGLE_ISSUER}/device/code`,
        token_endpoint: `${env.GOOGLE_ISSUER}/token`,
        userinfo_endpoint: `${env.GOOGLE_ISSUER}/v1/userinfo`,
        revocation_endpoint: `${env.GOOGLE_ISSUER}/revoke`,
        jwks_uri: `${env.GOOGLE_ISSUER}/oauth2/v3/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    /** Google names the page `verification_url`. */
    device: (): Responder => () =>
      json(200, { device_code: DEVICE, user_code: 'ABC-DEF-GHI', verification_url: 'https://www.google.com/device', expires_in: 1800, interval: 5 }),
    error: (status: number, error: string): Responder => () => json(status, { error, error_description: `${error} description` }),
    /** The device flow's answer: the ID token is for the device client (`aud`). */
    success: (claims: Record<string, unknown> = {}): Responder => () =>
      json(200, {
        access_token: ACCESS,
        expires_in: 3599,
        scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
        token_type: 'Bearer',
        id_token: jwt({
          iss: env.GOOGLE_ISSUER,
          aud: env.GOOGLE_CLIENT_ID,
          sub: '110248495921238986420',
          email: 'ada@example.test',
          name: 'Ada Lovelace',
          picture: 'https://lh3.googleusercontent.com/a/ada',
          iat: nowSeconds(),
          exp: nowSeconds() + 3600,
          ...claims,
        }),
      }),
    /** The browser login's code exchange: the ID token is for the "Web application" client. */
    webSuccess: (claims: Record<string, unknown> = {}): Responder =>
      providers.google.success({ aud: env.GOOGLE_WEB_CLIENT_ID, azp: env.GOOGLE_WEB_CLIENT_ID, ...claims }),
  },
  microsoft: {
    discovery: () => `GET ${env.MICROSOFT_LOGIN_URL}/common/v2.0/.well-known/openid-configuration`,
    deviceCode: () => `POST ${env.MICROSOFT_LOGIN_URL}/common/oauth2/v2.0/devicecode`,
    token: () => `POST ${env.MICROSOFT_LOGIN_URL}/common/oauth2/v2.0/token`,
    /** Entra's multi-tenant discovery names a templated issuer. */
    metadata: (): Responder => () =>
      json(200, {
        issuer: `${env.MICROSOFT_LOGIN_URL}/{tenantid}/v2.0`,
        authorization_endpoint: `${env.MICROSOFT_LOGIN_URL}/common/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${env.MICROSOFT_LOGIN_URL}/common/oauth2/v2.0/devicecode`,
        token_endpoint: `${env.MICROSOFT_LOGIN_URL}/common/oauth2/v2.0/token`,
        userinfo_endpoint: 'https://graph.microsoft.test/oidc/userinfo',
        jwks_uri: `${env.MICROSOFT_LOGIN_URL}/common/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    device: (): Responder => () =>
      json(200, {
        user_code: 'FJK7RGT3B',
        device_code: DEVICE,
        verification_uri: 'https://www.microsoft.com/link',
        expires_in: 900,
        interval: 5,
        message: 'To sign in, use a web browser to open the page https://www.microsoft.com/link and enter the code FJK7RGT3B to authenticate.',
      }),
    error: (error: string): Responder => () =>
      json(400, { error, error_description: `AADSTS70016: ${error}`, error_codes: [70016], timestamp: '2026-12-01 10:00:00Z', trace_id: 't', correlation_id: 'c' }),
    success: (claims: Record<string, unknown> = {}): Responder => () =>
      json(200, {
        token_type: 'Bearer',
        scope: 'openid profile',
        expires_in: 3599,
        access_token: ACCESS,
        id_token: jwt({
          ver: '2.0',
          iss: `${env.MICROSOFT_LOGIN_URL}/${TENANT}/v2.0`,
          aud: env.MICROSOFT_CLIENT_ID,
          tid: TENANT,
          oid: '00000000-0000-0000-66f3-3332eca7ea81',
          sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
          name: 'Ada Lovelace',
          preferred_username: 'ada@outlook.test',
          iat: nowSeconds(),
          nbf: nowSeconds(),
          exp: nowSeconds() + 3600,
          ...claims,
        }),
      }),
  },
  oidc: {
    discovery: () => `GET ${env.OIDC_ISSUER}/.well-known/openid-configuration`,
    deviceCode: () => `POST ${env.OIDC_ISSUER}/device/auth`,
    token: () => `POST ${env.OIDC_ISSUER}/token`,
    userinfo: () => `GET ${env.OIDC_ISSUER}/me`,
    revoke: () => `POST ${env.OIDC_ISSUER}/token/revocation`,
    metadata: (): Responder => () =>
      json(200, {
        issuer: env.OIDC_ISSUER,
        authorization_endpoint: `${env.OIDC_ISSUER}/auth`,
        device_authorization_endpoint: `${env.OIDC_ISSUER}/device/auth`,
        token_endpoint: `${env.OIDC_ISSUER}/token`,
        userinfo_endpoint: `${env.OIDC_ISSUER}/me`,
        revocation_endpoint: `${env.OIDC_ISSUER}/token/revocation`,
        jwks_uri: `${env.OIDC_ISSUER}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    device: (extra: Record<string, unknown> = {}): Responder => () =>
      json(200, {
        device_code: DEVICE,
        user_code: 'BCDF-GHJK',
        verification_uri: `${env.OIDC_ISSUER}/device`,
        verification_uri_complete: `${env.OIDC_ISSUER}/device?user_code=BCDF-GHJK`,
        expires_in: 600,
        ...extra,
      }),
    error: (error: string): Responder => () => json(400, { error, error_description: `${error} description` }),
    /** A conforming provider may put only `sub` into the ID token. */
    success: (claims: Record<string, unknown> = {}): Responder => () =>
      json(200, {
        access_token: ACCESS,
        expires_in: 300,
        token_type: 'Bearer',
        scope: 'openid profile',
        id_token: jwt({ iss: env.OIDC_ISSUER, aud: env.OIDC_CLIENT_ID, sub: '248289761001', iat: nowSeconds(), exp: nowSeconds() + 300, ...claims }),
      }),
    userinfoAnswer: (sub = '248289761001'): Responder => () => json(200, { sub, name: 'Ada Lovelace', picture: 'https://idp.example.test/ada.png' }),
  },
} as const;

/** The discovery documents a provider needs, answered on every call. */
export function serveMetadata(net: FakeNetwork) {
  net.always(providers.google.discovery(), providers.google.metadata());
  net.always(providers.microsoft.discovery(), providers.microsoft.metadata());
  net.always(providers.oidc.discovery(), providers.oidc.metadata());
}
