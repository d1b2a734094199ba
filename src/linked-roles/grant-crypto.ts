/**
 * The Discord grant at rest: AES-256-GCM (WebCrypto) under a key derived from TOKEN_ENCRYPTION_KEY.
 *
 * Sealed form, as base64url text: `[format 0x01][key id][96-bit IV][ciphertext + 128-bit tag]`. The IV is random
 * for every write (at most a few writes per user per week, far below GCM's 2^32 random-IV budget per key). The
 * associated data is the two header bytes plus the Discord user id, so a header edit, or a row copied to another
 * user, fails authentication like any other tampering.
 *
 * Key id: one byte derived from the key itself (HKDF, below), so the operator never numbers keys. Rotation: set
 * the new key as TOKEN_ENCRYPTION_KEY and the old one as TOKEN_ENCRYPTION_KEY_PREVIOUS. Reads pick the key by id
 * (both, should the two ids collide: the tag tells them apart); writes always use the current key, and a grant read
 * with the previous key is written back under the current one (src/linked-roles/push.ts). Once every stored grant
 * has been rewritten (or after the 7-day life of Discord's access tokens, since each refresh rewrites), remove
 * TOKEN_ENCRYPTION_KEY_PREVIOUS. A grant that no key opens reads as "no grant": the user reconnects through
 * Linked Roles.
 *
 * The raw key is never used directly: HKDF-SHA-256 derives the AES key, the key id and the HMAC key that signs the
 * Linked Roles `state` (src/linked-roles/state.ts), each under its own label.
 */
import { fromBase64Url, toBase64Url } from '../encoding.ts';
import type { GrantKeys } from './settings.ts';

/** What Discord's token endpoint gave for a user: secret, and only ever stored sealed. */
export interface DiscordGrant {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (Unix ms). */
  expiresAtMs: number;
  /** Space-separated scopes, as Discord reported them. */
  scope: string;
}

export type Opened =
  | { ok: true; grant: DiscordGrant; withPreviousKey: boolean }
  /** `unknown-key`: no configured key has this id; `unauthentic`: tampered, or sealed for another user or key. */
  | { ok: false; problem: 'malformed' | 'unknown-key' | 'unauthentic' };

const FORMAT = 1;
const HEADER_BYTES = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();

interface DerivedKey {
  id: number;
  aes: CryptoKey;
}

// Keys come from the settings object, which config.ts caches per env: derive once per isolate.
const derived = new WeakMap<Uint8Array, Promise<DerivedKey>>();
const stateKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

const hkdfParams = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: encoder.encode(info) });

function importMaster(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey', 'deriveBits']);
}

function derive(raw: Uint8Array): Promise<DerivedKey> {
  let key = derived.get(raw);
  if (!key) {
    key = (async () => {
      const master = await importMaster(raw);
      const [idBits, aes] = await Promise.all([
        crypto.subtle.deriveBits(hkdfParams('discord-grant key id v1'), master, 8),
        crypto.subtle.deriveKey(hkdfParams('discord-grant aes-256-gcm v1'), master, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
      ]);
      return { id: new Uint8Array(idBits)[0]!, aes };
    })();
    derived.set(raw, key);
  }
  return key;
}

/** The HMAC-SHA-256 key that signs the Linked Roles `state`, derived from the current key. */
export function stateSigningKey(raw: Uint8Array): Promise<CryptoKey> {
  let key = stateKeys.get(raw);
  if (!key) {
    key = importMaster(raw).then((master) =>
      crypto.subtle.deriveKey(hkdfParams('linked-roles state hmac v1'), master, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
    );
    stateKeys.set(raw, key);
  }
  return key;
}

function associatedData(header: Uint8Array, discordUserId: string): Uint8Array {
  const user = encoder.encode(discordUserId);
  const data = new Uint8Array(header.length + user.length);
  data.set(header);
  data.set(user, header.length);
  return data;
}

/** Encrypts `grant` for `discordUserId` under the current key. */
export async function sealGrant(keys: GrantKeys, discordUserId: string, grant: DiscordGrant): Promise<string> {
  const key = await derive(keys.current);
  const header = new Uint8Array([FORMAT, key.id]);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = encoder.encode(JSON.stringify(grant));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: associatedData(header, discordUserId) }, key.aes, plaintext),
  );
  const sealed = new Uint8Array(HEADER_BYTES + IV_BYTES + ciphertext.length);
  sealed.set(header);
  sealed.set(iv, HEADER_BYTES);
  sealed.set(ciphertext, HEADER_BYTES + IV_BYTES);
  return toBase64Url(sealed);
}

function asGrant(value: unknown): DiscordGrant | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { accessToken, refreshToken, expiresAtMs, scope } = value as Record<string, unknown>;
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof scope !== 'string') return undefined;
  if (typeof expiresAtMs !== 'number' || !Number.isFinite(expiresAtMs)) return undefined;
  return { accessToken, refreshToken, expiresAtMs, scope };
}

/** Decrypts what {@link sealGrant} wrote for `discordUserId`, with whichever configured key has its id. */
export async function openGrant(keys: GrantKeys, discordUserId: string, sealedText: string): Promise<Opened> {
  const sealed = fromBase64Url(sealedText);
  if (!sealed || sealed.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT) return { ok: false, problem: 'malformed' };
  const header = sealed.subarray(0, HEADER_BYTES);
  const iv = sealed.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const ciphertext = sealed.subarray(HEADER_BYTES + IV_BYTES);
  const candidates: Array<{ raw: Uint8Array; previous: boolean }> = [{ raw: keys.current, previous: false }];
  if (keys.previous) candidates.push({ raw: keys.previous, previous: true });
  let known = false;
  for (const candidate of candidates) {
    const key = await derive(candidate.raw);
    if (key.id !== header[1]) continue;
    known = true;
    let plaintext: ArrayBuffer;
    try {
      plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: associatedData(header, discordUserId) }, key.aes, ciphertext);
    } catch {
      continue;
    }
    let grant: DiscordGrant | undefined;
    try {
      grant = asGrant(JSON.parse(new TextDecoder().decode(plaintext)));
    } catch {
      grant = undefined;
    }
    return grant ? { ok: true, grant, withPreviousKey: candidate.previous } : { ok: false, problem: 'malformed' };
  }
  return { ok: false, problem: known ? 'unauthentic' : 'unknown-key' };
}
