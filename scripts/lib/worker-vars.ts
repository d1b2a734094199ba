/**
 * The Worker's configuration (src/config.ts) for a run against the local stand-ins: Discord's, and any subset of
 * the identity providers' (a provider is enabled exactly when its stand-in is passed). Every base URL points at a
 * stand-in, so nothing leaves loopback. `startProviderStandins` (provider-standins.ts) starts all five by default.
 */
import { createHash } from 'node:crypto';

export interface DiscordSide {
  /** e.g. http://127.0.0.1:PORT/api/v10 */
  apiUrl: string;
  applicationId: string;
  publicKeyHex: string;
  /** Where `/oauth2/authorize` is. With `clientSecret`, turns Linked Roles on. */
  webUrl?: string;
  /** The OAuth2 client secret: with it, Linked Roles are on. */
  clientSecret?: string;
}

export interface FacebookSide {
  /** e.g. http://127.0.0.1:PORT/v25.0 */
  graphUrl: string;
  appId: string;
  clientToken: string;
  appSecret: string;
  /** The stand-in's root (www.facebook.com's login dialog), when the browser login matters. */
  url?: string;
}

export interface GitHubSide {
  /** github.com: the device and token endpoints. */
  url: string;
  /** api.github.com: `GET /user`, the grant deletion. */
  apiUrl: string;
  clientId: string;
  /** Optional at GitHub: with it the Worker gives the token back right after the login. */
  clientSecret?: string;
}

export interface GoogleSide {
  /** accounts.google.com: endpoints by discovery below it. */
  issuer: string;
  /** The "TVs and Limited Input devices" client: the device flow. */
  clientId: string;
  clientSecret: string;
  /** The "Web application" client: with it, the Worker offers Google's browser login. */
  webClient?: { clientId: string; clientSecret: string } | undefined;
}

export interface MicrosoftSide {
  /** login.microsoftonline.com (the tenant is a path segment below it). */
  url: string;
  clientId: string;
}

export interface OidcSide {
  issuer: string;
  clientId: string;
  /** Absent for a public client. */
  clientSecret?: string | undefined;
}

export interface WorkerVarsInput {
  discord: DiscordSide;
  facebook?: FacebookSide;
  github?: GitHubSide;
  google?: GoogleSide;
  microsoft?: MicrosoftSide;
  oidc?: OidcSide;
  /** Facebook's comma-separated permissions. Default public_profile. */
  scopes?: string;
  /** Default `common`. */
  microsoftTenant?: string;
  /** OIDC_NAME: what users see for the OpenID provider. Default the Worker's ("OpenID"). */
  oidcName?: string;
  /** OIDC_SCOPES. Default the Worker's (`openid profile`). */
  oidcScopes?: string;
  /** DEFAULT_PROVIDER. Default: unset (the Worker takes the first enabled one). */
  defaultProvider?: string;
  /** GITHUB_CLIENT_SECRET is set when the stand-in has one, unless this is false. */
  githubClientSecret?: boolean;
  /** Where the Worker is reachable. Default http://127.0.0.1 (set it to the Worker's URL when links matter). */
  publicBaseUrl?: string;
  operatorName?: string;
  operatorContact?: string;
  /** TOKEN_ENCRYPTION_KEY (32 bytes, base64). Default: derived from the client secret, so a restart keeps it. */
  tokenEncryptionKey?: string;
}

/** A stable key per stand-in: the Worker can still read its stored grants after a restart. */
const keyFor = (clientSecret: string) => createHash('sha256').update(`token-encryption-key:${clientSecret}`).digest('base64');

/** Every variable src/config.ts reads, pointing the Worker at the given stand-ins; a provider left out is disabled. */
export function workerVarsFor(input: WorkerVarsInput): Record<string, string> {
  const { facebook, github, google, microsoft, oidc } = input;
  const vars: Record<string, string> = {
    DISCORD_APPLICATION_ID: input.discord.applicationId,
    DISCORD_PUBLIC_KEY: input.discord.publicKeyHex,
    DISCORD_API_URL: input.discord.apiUrl,
    PUBLIC_BASE_URL: input.publicBaseUrl ?? 'http://127.0.0.1',
    OPERATOR_NAME: input.operatorName ?? 'Stand-in Operator',
    OPERATOR_CONTACT: input.operatorContact ?? 'operator@example.test',
    ...(input.discord.clientSecret
      ? {
          DISCORD_WEB_URL: input.discord.webUrl ?? input.discord.apiUrl.replace(/\/api\/v\d+$/, ''),
          DISCORD_CLIENT_SECRET: input.discord.clientSecret,
          TOKEN_ENCRYPTION_KEY: input.tokenEncryptionKey ?? keyFor(input.discord.clientSecret),
        }
      : {}),
  };
  if (facebook) {
    Object.assign(vars, {
      FACEBOOK_APP_ID: facebook.appId,
      FACEBOOK_CLIENT_TOKEN: facebook.clientToken,
      FACEBOOK_APP_SECRET: facebook.appSecret,
      FACEBOOK_GRAPH_URL: facebook.graphUrl,
      FACEBOOK_SCOPES: input.scopes ?? 'public_profile',
      ...(facebook.url ? { FACEBOOK_WEB_URL: facebook.url } : {}),
    });
  }
  if (github) {
    Object.assign(vars, { GITHUB_CLIENT_ID: github.clientId, GITHUB_URL: github.url, GITHUB_API_URL: github.apiUrl });
    if (github.clientSecret && input.githubClientSecret !== false) vars.GITHUB_CLIENT_SECRET = github.clientSecret;
  }
  if (google) {
    Object.assign(vars, { GOOGLE_CLIENT_ID: google.clientId, GOOGLE_CLIENT_SECRET: google.clientSecret, GOOGLE_ISSUER: google.issuer });
    if (google.webClient) Object.assign(vars, { GOOGLE_WEB_CLIENT_ID: google.webClient.clientId, GOOGLE_WEB_CLIENT_SECRET: google.webClient.clientSecret });
  }
  if (microsoft) {
    Object.assign(vars, { MICROSOFT_CLIENT_ID: microsoft.clientId, MICROSOFT_TENANT: input.microsoftTenant ?? 'common', MICROSOFT_LOGIN_URL: microsoft.url });
  }
  if (oidc) {
    Object.assign(vars, { OIDC_ISSUER: oidc.issuer, OIDC_CLIENT_ID: oidc.clientId });
    if (oidc.clientSecret) vars.OIDC_CLIENT_SECRET = oidc.clientSecret;
    if (input.oidcName) vars.OIDC_NAME = input.oidcName;
    if (input.oidcScopes) vars.OIDC_SCOPES = input.oidcScopes;
  }
  if (input.defaultProvider) vars.DEFAULT_PROVIDER = input.defaultProvider;
  return vars;
}
