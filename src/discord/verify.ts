/**
 * Discord's request signature: Ed25519 over `timestamp + raw body`, checked with WebCrypto against the
 * application's public key (imported once per isolate). This is what discord-interactions' `verifyKey` does
 * since its v4; calling WebCrypto directly keeps that package's CommonJS build (8 KB, not tree-shakeable) out of
 * the Worker and saves a key import per request.
 */
import { fromHex } from '../encoding.ts';

/** How far a signed timestamp may be from now before the request is treated as a replay. */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;

const importedKeys = new Map<string, Promise<CryptoKey>>();

function publicKey(hex: string): Promise<CryptoKey> {
  let key = importedKeys.get(hex);
  if (!key) {
    key = crypto.subtle.importKey('raw', fromHex(hex), { name: 'Ed25519' }, false, ['verify']);
    importedKeys.set(hex, key);
  }
  return key;
}

/** Whether `timestamp` (Unix seconds, as Discord sends it) is within the allowed skew of `nowMs`. */
export function isFreshTimestamp(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= MAX_TIMESTAMP_SKEW_SECONDS;
}

/**
 * Checks Discord's Ed25519 signature over `timestamp + raw body`, as the interactions endpoint must before it
 * trusts (or even parses) anything in the request.
 */
export async function isValidDiscordSignature(
  body: Uint8Array,
  signatureHex: string,
  timestamp: string,
  publicKeyHex: string,
): Promise<boolean> {
  if (!/^[0-9a-fA-F]{128}$/.test(signatureHex)) return false;
  const stamp = new TextEncoder().encode(timestamp);
  const message = new Uint8Array(stamp.length + body.length);
  message.set(stamp);
  message.set(body, stamp.length);
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, await publicKey(publicKeyHex), fromHex(signatureHex), message);
  } catch {
    return false;
  }
}
