/** Hex and base64url, and random identifiers: the one place the Worker turns bytes into text and back. */

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** The SHA-256 of a text, in hex: how secrets that need only be recognized later are kept. */
export const sha256Hex = async (text: string) => toHex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

/** Bytes of a hex string of even length (callers validate the text first). */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export const toBase64Url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes base64url with or without `=` padding (padding is not checked); undefined when the text is not
 * base64url. Standard base64's `+` and `/` are refused.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  const remainder = unpadded.length % 4;
  if (remainder === 1) return undefined;
  return fromBase64(unpadded.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - remainder) % 4));
}

/** Decodes standard base64; undefined when it is not. */
export function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** `bytes` random bytes as base64url: opaque, unguessable ids and tokens (16 bytes = 128 bits). */
export const randomToken = (bytes = 16) => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
