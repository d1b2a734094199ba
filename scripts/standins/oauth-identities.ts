/**
 * The test people the GitHub, Google and Microsoft stand-ins offer, and the stable ids derived from their names:
 * the same name gets the same id in every run, so tests and the playground can name people instead of ids.
 */
import { createHash } from 'node:crypto';

export interface Identity {
  /** The display name; every provider-side id is derived from it. */
  name: string;
  /** Overrides the avatar the stand-in serves for this identity. */
  pictureUrl?: string;
  /** Overrides the e-mail address the stand-in derives from the name (Google, Microsoft). */
  email?: string;
}

export const DEFAULT_IDENTITIES: readonly Identity[] = [
  { name: 'Alice Example' },
  { name: 'Bob Example' },
  { name: 'Zoë Ångström' },
];

/** SHA-256 over the parts, separated so that ('ab','c') and ('a','bc') differ. */
export function digestOf(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** `Zoë Ångström` → `zoe<sep>angstrom`: ASCII letters and digits only, as logins and mailboxes need. */
export function slugOf(name: string, separator = '.'): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator);
  const trimmed = ascii.split(separator).filter(Boolean).join(separator);
  return trimmed || 'user';
}

/** A decimal string of exactly `digits` digits (no leading zero), derived from the seed. */
export function numericIdOf(seed: string[], digits: number): string {
  const value = BigInt(`0x${digestOf(...seed).subarray(0, 16).toString('hex')}`);
  const low = 10n ** BigInt(digits - 1);
  return (low + (value % (9n * low))).toString();
}

/** A version-4-shaped GUID derived from the seed. */
export function guidOf(seed: string[]): string {
  const bytes = Buffer.from(digestOf(...seed).subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** First and family name the way OpenID providers split them: the first word, and the rest. */
export function splitName(name: string): { givenName: string; familyName: string } {
  const [givenName = name, ...rest] = name.trim().split(/\s+/);
  return { givenName, familyName: rest.join(' ') };
}
