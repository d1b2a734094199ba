/** The application's Ed25519 key pair, as Discord holds it: Discord signs, the bot verifies with the public key. */
import { generateKeyPairSync, sign } from 'node:crypto';

export interface ApplicationKeys {
  /** 64 hex characters: the Worker's DISCORD_PUBLIC_KEY. */
  publicKeyHex: string;
  /** Hex Ed25519 signature over `timestamp + body`, as in X-Signature-Ed25519. */
  sign(timestamp: string, body: string): string;
}

export function generateApplicationKeys(): ApplicationKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // The SPKI encoding of an Ed25519 key ends with the 32 raw key bytes.
  const publicKeyHex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  return {
    publicKeyHex,
    sign: (timestamp, body) => sign(null, Buffer.from(timestamp + body, 'utf8'), privateKey).toString('hex'),
  };
}
