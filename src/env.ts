/**
 * The Worker's bindings as wrangler.toml and `.dev.vars` / `wrangler secret put` provide them. Every value is
 * optional here on purpose: config.ts validates them and names the one that is missing.
 */
export interface Env {
  DISCORD_APPLICATION_ID?: string;
  DISCORD_PUBLIC_KEY?: string;
  DISCORD_API_URL?: string;
  FACEBOOK_APP_ID?: string;
  FACEBOOK_CLIENT_TOKEN?: string;
  FACEBOOK_APP_SECRET?: string;
  FACEBOOK_GRAPH_URL?: string;
  FACEBOOK_SCOPES?: string;
  PUBLIC_BASE_URL?: string;
  OPERATOR_NAME?: string;
  OPERATOR_CONTACT?: string;
}
