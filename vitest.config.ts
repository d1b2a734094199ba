import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// A fresh Ed25519 key pair per run: the Worker gets the public half as DISCORD_PUBLIC_KEY, exactly as in
// production, and the tests sign every interaction with the private half. The verifier is never stubbed.
const keys = generateKeyPairSync('ed25519');
const publicKeyHex = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const privateKeyPkcs8 = keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');

export const testBindings = {
  DISCORD_APPLICATION_ID: '1234567890123456789',
  DISCORD_PUBLIC_KEY: publicKeyHex,
  DISCORD_API_URL: 'https://discord.test/api/v10',
  FACEBOOK_APP_ID: '987654321012345',
  FACEBOOK_CLIENT_TOKEN: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  FACEBOOK_APP_SECRET: '5ec2e75ec2e75ec2e75ec2e75ec2e700',
  FACEBOOK_GRAPH_URL: 'https://graph.facebook.test/v25.0',
  FACEBOOK_SCOPES: 'public_profile',
  // Every provider is enabled in the tests, each pointed at a host the fake network answers for.
  GITHUB_CLIENT_ID: 'Iv1.0123456789abcdef',
  GITHUB_CLIENT_SECRET: 'github-client-secret-0123456789abcdef',
  GITHUB_URL: 'https://github.test',
  GITHUB_API_URL: 'https://api.github.test',
  GOOGLE_CLIENT_ID: '123456789012-test.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'GOCSPX-testsecret0123456789',
  GOOGLE_ISSUER: 'https://accounts.google.test',
  // Google's browser login needs its own "Web application" client (the one above is the device flow's).
  GOOGLE_WEB_CLIENT_ID: '123456789012-web.apps.googleusercontent.com',
  GOOGLE_WEB_CLIENT_SECRET: 'GOCSPX-websecret0123456789',
  MICROSOFT_CLIENT_ID: '00000000-1111-2222-3333-444444444444',
  MICROSOFT_LOGIN_URL: 'https://login.microsoftonline.test',
  OIDC_ISSUER: 'https://idp.example.test',
  OIDC_CLIENT_ID: 'discord-bot',
  OIDC_NAME: 'Example SSO',
  // Linked Roles: the OAuth2 client secret and a key made as the README says (32 random bytes, base64).
  DISCORD_CLIENT_SECRET: 'discord-client-secret-for-tests-0123',
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  PUBLIC_BASE_URL: 'https://bot.example',
  OPERATOR_NAME: 'Example Bot Operator',
  OPERATOR_CONTACT: 'privacy@bot.example',
  TEST_DISCORD_PRIVATE_KEY: privateKeyPkcs8,
};

// The same migrations `wrangler d1 migrations apply` runs; test/support/worker/apply-migrations.ts applies them.
const migrations = await readD1Migrations('./migrations');

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { ...testBindings, TEST_MIGRATIONS: migrations } },
          }),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['./test/support/worker/apply-migrations.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
