import { verifyKey } from 'discord-interactions';
import { fromHex } from '../encoding.ts';

/** How far a signed timestamp may be from now before the request is treated as a replay. */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;

const importedKeys = new Map<string, Promise<CryptoKey>>();

// Importing the key costs as much as a verification; the key never changes within an isolate, so import it once.
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
  return verifyKey(body, signatureHex, timestamp, await publicKey(publicKeyHex));
}
