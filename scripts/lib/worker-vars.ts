/** The Worker's configuration (src/config.ts) for a run against the local stand-ins. */
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
}

export interface WorkerVarsInput {
  discord: DiscordSide;
  facebook: FacebookSide;
  /** Comma-separated permissions. Default public_profile. */
  scopes?: string;
  /** Where the Worker is reachable. Default http://127.0.0.1 (set it to the Worker's URL when links matter). */
  publicBaseUrl?: string;
  operatorName?: string;
  operatorContact?: string;
  /** TOKEN_ENCRYPTION_KEY (32 bytes, base64). Default: derived from the client secret, so a restart keeps it. */
  tokenEncryptionKey?: string;
}

/** A stable key per stand-in: the Worker can still read its stored grants after a restart. */
const keyFor = (clientSecret: string) => createHash('sha256').update(`token-encryption-key:${clientSecret}`).digest('base64');

/** Every variable src/config.ts reads, pointing the Worker at the given stand-ins. */
export function workerVarsFor(input: WorkerVarsInput): Record<string, string> {
  return {
    DISCORD_APPLICATION_ID: input.discord.applicationId,
    DISCORD_PUBLIC_KEY: input.discord.publicKeyHex,
    DISCORD_API_URL: input.discord.apiUrl,
    FACEBOOK_APP_ID: input.facebook.appId,
    FACEBOOK_CLIENT_TOKEN: input.facebook.clientToken,
    FACEBOOK_APP_SECRET: input.facebook.appSecret,
    FACEBOOK_GRAPH_URL: input.facebook.graphUrl,
    FACEBOOK_SCOPES: input.scopes ?? 'public_profile',
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
}
