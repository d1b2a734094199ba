/**
 * The Discord grant at rest: AES-GCM with a fresh IV per write, bound to the user; tampered text, another user's
 * row, a wrong or unknown key all read as "no grant" (logged without secrets); a rotation reads the previous key
 * and writes the current one.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../src/encoding.ts';
import { openGrant, sealGrant, type DiscordGrant } from '../../src/linked-roles/grant-crypto.ts';
import { deleteGrant, readGrant, readSealedGrant, writeGrant } from '../../src/linked-roles/grants.ts';
import type { GrantKeys } from '../../src/linked-roles/settings.ts';
import { clearDatabase } from '../support/worker/database.ts';

const key = (byte: number) => new Uint8Array(32).fill(byte);
const OLD = key(1);
const NEW = key(2);
const OTHER = key(3);
const USER = '111111111111111111';
const GRANT: DiscordGrant = {
  accessToken: 'AccessTokenQ2mZ8wY4vB7nK1pL3sD5fG9',
  refreshToken: 'RefreshTokenZ8xC6vB4nM2qW0eR7tY5uI',
  expiresAtMs: 1_900_000_000_000,
  scope: 'identify role_connections.write',
};
const keys = (current: Uint8Array, previous?: Uint8Array): GrantKeys => ({ current, previous });

let logged: string[];
beforeEach(async () => {
  await clearDatabase();
  logged = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
});
afterEach(() => vi.restoreAllMocks());

/** The sealed bytes with one byte changed. */
function flip(sealed: string, index: number): string {
  const bytes = fromBase64Url(sealed)!;
  bytes[index < 0 ? bytes.length + index : index]! ^= 0x01;
  return toBase64Url(bytes);
}

describe('sealing a grant', () => {
  it('round trip: what is sealed for a user opens for that user, and the text holds no token', async () => {
    const sealed = await sealGrant(keys(NEW), USER, GRANT);
    expect(await openGrant(keys(NEW), USER, sealed)).toEqual({ ok: true, grant: GRANT, withPreviousKey: false });
    for (const secret of [GRANT.accessToken, GRANT.refreshToken, btoa(GRANT.accessToken)]) expect(sealed).not.toContain(secret);
  });

  it('has the documented layout: format 1, a key id, a 96-bit IV that differs on every write, then ciphertext and tag', async () => {
    const [a, b] = [fromBase64Url(await sealGrant(keys(NEW), USER, GRANT))!, fromBase64Url(await sealGrant(keys(NEW), USER, GRANT))!];
    expect(a[0]).toBe(1);
    expect(a[1]).toBe(b[1]);
    expect(toBase64Url(a.subarray(2, 14))).not.toBe(toBase64Url(b.subarray(2, 14)));
    expect(a.length).toBe(2 + 12 + new TextEncoder().encode(JSON.stringify(GRANT)).length + 16);
  });

  it('tampering anywhere (header, IV, ciphertext, tag) or truncating makes it unreadable', async () => {
    const sealed = await sealGrant(keys(NEW), USER, GRANT);
    expect(await openGrant(keys(NEW), USER, flip(sealed, 0))).toEqual({ ok: false, problem: 'malformed' });
    expect(await openGrant(keys(NEW), USER, flip(sealed, 1))).toMatchObject({ ok: false, problem: 'unknown-key' });
    for (const index of [2, 13, 20, -1]) expect(await openGrant(keys(NEW), USER, flip(sealed, index))).toEqual({ ok: false, problem: 'unauthentic' });
    expect(await openGrant(keys(NEW), USER, sealed.slice(0, 30))).toEqual({ ok: false, problem: 'malformed' });
    expect(await openGrant(keys(NEW), USER, 'not base64url!')).toEqual({ ok: false, problem: 'malformed' });
  });

  it("another user's row does not open: the user id is bound in", async () => {
    const sealed = await sealGrant(keys(NEW), USER, GRANT);
    expect(await openGrant(keys(NEW), '222222222222222222', sealed)).toEqual({ ok: false, problem: 'unauthentic' });
  });

  it('a wrong key does not open it', async () => {
    const sealed = await sealGrant(keys(NEW), USER, GRANT);
    expect(await openGrant(keys(OTHER), USER, sealed)).toEqual({ ok: false, problem: 'unknown-key' });
  });

  it('rotation: with the old key as TOKEN_ENCRYPTION_KEY_PREVIOUS, old grants open (flagged), new ones use the new key', async () => {
    const old = await sealGrant(keys(OLD), USER, GRANT);
    expect(await openGrant(keys(NEW, OLD), USER, old)).toEqual({ ok: true, grant: GRANT, withPreviousKey: true });
    const rewritten = await sealGrant(keys(NEW, OLD), USER, GRANT);
    expect(await openGrant(keys(NEW), USER, rewritten)).toEqual({ ok: true, grant: GRANT, withPreviousKey: false });
    // Once the previous key is removed, what it alone wrote is gone.
    expect(await openGrant(keys(NEW), USER, old)).toEqual({ ok: false, problem: 'unknown-key' });
  });
});

describe('the grant in D1', () => {
  it('write, read, replace only the version read, delete', async () => {
    expect(await readGrant(env.DB, keys(NEW), USER)).toBeUndefined();
    await writeGrant(env.DB, keys(NEW), USER, GRANT, 1_000);
    const stored = (await readGrant(env.DB, keys(NEW), USER))!;
    expect(stored.grant).toEqual(GRANT);
    const newer = { ...GRANT, accessToken: 'NewerAccessToken0123456789abcdefgh' };
    expect(await writeGrant(env.DB, keys(NEW), USER, newer, 2_000, stored.version)).toBe(true);
    // The version read before is stale now: neither a write nor a delete with it does anything.
    expect(await writeGrant(env.DB, keys(NEW), USER, GRANT, 3_000, stored.version)).toBe(false);
    expect(await deleteGrant(env.DB, USER, stored.version)).toBeNull();
    expect((await readGrant(env.DB, keys(NEW), USER))!.grant).toEqual(newer);
    expect(await env.DB.prepare('SELECT updated_at_ms FROM discord_grants').first('updated_at_ms')).toBe(2_000);
    expect(await deleteGrant(env.DB, USER)).not.toBeNull();
    expect(await readSealedGrant(env.DB, USER)).toBeNull();
  });

  it('a tampered row or a wrong key reads as no grant, logged without the user, the text or any token', async () => {
    await writeGrant(env.DB, keys(NEW), USER, GRANT, 1_000);
    const sealed = (await readSealedGrant(env.DB, USER))!;
    await env.DB.prepare('UPDATE discord_grants SET ciphertext = ?1').bind(flip(sealed, 20)).run();
    expect(await readGrant(env.DB, keys(NEW), USER)).toBeUndefined();
    await env.DB.prepare('UPDATE discord_grants SET ciphertext = ?1').bind(sealed).run();
    expect(await readGrant(env.DB, keys(OTHER), USER)).toBeUndefined();
    expect(logged).toEqual([
      'linked roles: a stored Discord grant could not be read (unauthentic); treated as no grant',
      'linked roles: a stored Discord grant could not be read (unknown-key); treated as no grant',
    ]);
    // Left in place: the user's next authorization replaces it.
    expect(await readSealedGrant(env.DB, USER)).toBe(sealed);
  });
});
