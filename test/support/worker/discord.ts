/**
 * Sends interactions to the real Worker entry exactly as Discord would: JSON body, Ed25519 signature over
 * `timestamp + body` made with the test run's private key.
 */
import { env, exports } from 'cloudflare:workers';
import { InteractionType } from '../../../src/discord/constants.ts';

let privateKey: Promise<CryptoKey> | undefined;

function signingKey(): Promise<CryptoKey> {
  privateKey ??= crypto.subtle.importKey(
    'pkcs8',
    Uint8Array.from(atob(env.TEST_DISCORD_PRIVATE_KEY), (c) => c.charCodeAt(0)),
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  return privateKey;
}

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function sign(timestamp: string, body: string | Uint8Array): Promise<string> {
  const bodyBytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const message = new Uint8Array([...new TextEncoder().encode(timestamp), ...bodyBytes]);
  return toHex(await crypto.subtle.sign({ name: 'Ed25519' }, await signingKey(), message));
}

export const nowSeconds = () => String(Math.floor(Date.now() / 1000));

export interface SignedRequestOptions {
  timestamp?: string;
  /** Change the body after signing it. */
  tamper?: (body: string) => string;
  headers?: Record<string, string>;
}

/** POSTs `payload` (an object, or a raw string) to /interactions through the Worker's real fetch handler. */
export async function postInteraction(payload: unknown, options: SignedRequestOptions = {}): Promise<Response> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const timestamp = options.timestamp ?? nowSeconds();
  const signature = await sign(timestamp, body);
  return exports.default.fetch('https://bot.example/interactions', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-ed25519': signature,
      'x-signature-timestamp': timestamp,
      ...options.headers,
    },
    body: options.tamper ? options.tamper(body) : body,
  });
}

let nextId = 1;
const snowflake = () => String(1_100_000_000_000_000_000n + BigInt(nextId++));

export interface TestUser {
  id: string;
  username: string;
  /** Discord's `global_name`: the display name the user chose (any text). */
  globalName?: string;
}

export const alice: TestUser = { id: '111111111111111111', username: 'alice' };

let nextUser = 1;
/** A user no other test has used: Durable Object storage lasts for a whole test file. */
export function freshUser(name = 'user'): TestUser {
  return { id: String(500_000_000_000_000_000n + BigInt(nextUser++)), username: `${name}${nextUser}` };
}
export const bob: TestUser = { id: '222222222222222222', username: 'bob' };

/** A slash command interaction as Discord sends it from a DM (`user`) or a server (`member.user`). */
export function commandInteraction(name: string, user: TestUser = alice, options: { inGuild?: boolean; options?: Record<string, string> } = {}) {
  const discordUser = { id: user.id, username: user.username, global_name: user.globalName ?? null };
  const who = options.inGuild ? { guild_id: '333333333333333333', member: { user: discordUser } } : { user: discordUser };
  return {
    id: snowflake(),
    application_id: env.DISCORD_APPLICATION_ID,
    type: InteractionType.ApplicationCommand,
    token: `interaction-token-${snowflake()}`,
    version: 1,
    locale: 'en-US',
    data: {
      id: snowflake(),
      name,
      type: 1,
      ...(options.options ? { options: Object.entries(options.options).map(([option, value]) => ({ name: option, type: 3, value })) } : {}),
    },
    ...who,
  };
}

export function componentInteraction(customId: string, user: TestUser = alice) {
  return {
    id: snowflake(),
    application_id: env.DISCORD_APPLICATION_ID,
    type: InteractionType.MessageComponent,
    token: `interaction-token-${snowflake()}`,
    version: 1,
    locale: 'en-US',
    message: { id: snowflake() },
    data: { custom_id: customId, component_type: 2 },
    user: { id: user.id, username: user.username },
  };
}
