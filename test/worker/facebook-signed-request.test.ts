/**
 * Both Facebook callbacks verify `signed_request` before deleting anything: only a request signed with the app
 * secret over the still-encoded payload, with algorithm HMAC-SHA256 and a user_id, deletes that user's link.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, linkOfAccount } from '../support/worker/database.ts';
import {
  base64Url,
  facebookPayload,
  hmacSha256,
  postCallback,
  postSignedRequest,
  signedRequest,
  type FacebookCallback,
} from '../support/worker/facebook.ts';

const VICTIM = '20001';
const OTHER = '20002';

async function deletionRequestCount(): Promise<number> {
  return (await env.DB.prepare('SELECT count(*) AS n FROM deletion_requests').first<{ n: number }>())!.n;
}

/** Signs an arbitrary payload text (not necessarily JSON) the way Facebook signs. */
async function signText(payloadText: string, secret = env.FACEBOOK_APP_SECRET!): Promise<string> {
  const encoded = base64Url(payloadText);
  return `${base64Url(await hmacSha256(secret, encoded))}.${encoded}`;
}

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, { discordUserId: '111111111111111111', provider: 'facebook', subject: VICTIM, name: 'Victim', scopes: ['public_profile'], now: 1 });
});

describe.each<FacebookCallback>(['deauthorize', 'data-deletion'])('POST /facebook/%s: signed_request', (callback) => {
  async function expectDeleted(response: Response) {
    expect(response.status).toBe(200);
    expect(await linkOfAccount('facebook', VICTIM)).toBeNull();
    expect(await deletionRequestCount()).toBe(callback === 'data-deletion' ? 1 : 0);
  }

  async function expectRejectedAndNothingDeleted(response: Response) {
    expect(response.status).toBe(400);
    expect(await linkOfAccount('facebook', VICTIM)).not.toBeNull();
    expect(await deletionRequestCount()).toBe(0);
  }

  it('a valid request (parts without padding, as Facebook sends them) deletes that user\'s link', async () => {
    const value = await signedRequest(facebookPayload(VICTIM));
    expect(value).not.toContain('=');
    await expectDeleted(await postSignedRequest(callback, value));
  });

  it('a valid request whose parts keep their "=" padding is accepted too', async () => {
    // A 32-byte signature always needs one "="; pad the payload's JSON until its base64 needs some too.
    const payload: Record<string, unknown> = { ...facebookPayload(VICTIM), pad: '' };
    while (JSON.stringify(payload).length % 3 === 0) payload.pad += 'x';
    const value = await signedRequest(payload, { padded: true });
    const [signature, encodedPayload] = value.split('.');
    expect(signature).toMatch(/=$/);
    expect(encodedPayload).toMatch(/=$/);
    await expectDeleted(await postSignedRequest(callback, value));
  });

  it('accepts the algorithm name in any case, as Facebook\'s SDKs do', async () => {
    await expectDeleted(await postSignedRequest(callback, await signedRequest({ ...facebookPayload(VICTIM), algorithm: 'hmac-sha256' })));
  });

  it('rejects a request signed with another secret', async () => {
    const value = await signedRequest(facebookPayload(VICTIM), { secret: 'not-the-app-secret-0123456789abcdef' });
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, value));
  });

  it('rejects a payload swapped after signing (a valid signature for another user id)', async () => {
    const [signature] = (await signedRequest(facebookPayload(OTHER))).split('.');
    const tampered = `${signature}.${base64Url(JSON.stringify(facebookPayload(VICTIM)))}`;
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, tampered));
  });

  it('rejects a payload changed by one character', async () => {
    const value = await signedRequest(facebookPayload(VICTIM));
    const last = value.at(-1)!;
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, value.slice(0, -1) + (last === 'A' ? 'B' : 'A')));
  });

  it('rejects a correctly signed payload whose algorithm is not HMAC-SHA256', async () => {
    await expectRejectedAndNothingDeleted(
      await postSignedRequest(callback, await signedRequest({ ...facebookPayload(VICTIM), algorithm: 'HMAC-SHA1' })),
    );
  });

  it('rejects a correctly signed payload without an algorithm', async () => {
    const { algorithm: _, ...payload } = facebookPayload(VICTIM);
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signedRequest(payload)));
  });

  it('rejects a correctly signed payload without a user_id, or with an empty or numeric one', async () => {
    const { user_id: _, ...payload } = facebookPayload(VICTIM);
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signedRequest(payload)));
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signedRequest({ ...payload, user_id: '' })));
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signedRequest({ ...payload, user_id: Number(VICTIM) })));
  });

  it('rejects a correctly signed payload that is not a JSON object', async () => {
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signText('not json')));
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, await signText(`["${VICTIM}"]`)));
  });

  // Each corrupt part below is correctly signed (the HMAC is computed over the corrupt text itself), so only the
  // base64url decoder can refuse it: the answer must name the decoder's rule, not the signature check.
  const signEncoded = async (encoded: string) => `${base64Url(await hmacSha256(env.FACEBOOK_APP_SECRET!, encoded))}.${encoded}`;

  it.each([
    ['a payload with characters outside base64url', (p: string) => `${p}$`],
    ['a payload of impossible base64 length (4n+1)', (p: string) => `${p}${'A'.repeat((5 - (p.length % 4)) % 4)}`],
    ['standard base64 ("+" and "/") instead of base64url', (p: string) => `${p}+/`],
  ])('rejects %s, correctly signed, as not base64url', async (_, corrupt) => {
    const encoded = corrupt(base64Url(JSON.stringify(facebookPayload(VICTIM))));
    const response = await postSignedRequest(callback, await signEncoded(encoded));
    expect(await response.clone().text()).toBe('invalid signed_request: the payload is not base64url\n');
    await expectRejectedAndNothingDeleted(response);
  });

  it('rejects a signature with characters outside base64url as not base64url (before any HMAC)', async () => {
    const [signature, payload] = (await signedRequest(facebookPayload(VICTIM))).split('.') as [string, string];
    const response = await postSignedRequest(callback, `${signature.slice(0, -2)}*!.${payload}`);
    expect(await response.clone().text()).toBe('invalid signed_request: the signature is not base64url\n');
    await expectRejectedAndNothingDeleted(response);
  });

  it('rejects a request without the signature part, or without the "."', async () => {
    const [, payload] = (await signedRequest(facebookPayload(VICTIM))).split('.') as [string, string];
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, `.${payload}`));
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, payload));
    await expectRejectedAndNothingDeleted(await postSignedRequest(callback, ''));
  });

  it('rejects a body without the signed_request field', async () => {
    await expectRejectedAndNothingDeleted(await postCallback(callback, `user_id=${VICTIM}`));
    await expectRejectedAndNothingDeleted(await postCallback(callback, ''));
  });

  it('reads the field when the content type is missing', async () => {
    const form = `signed_request=${encodeURIComponent(await signedRequest(facebookPayload(VICTIM)))}`;
    await expectDeleted(await postCallback(callback, form, null));
  });

  it('reads the field as a urlencoded form when the content type is odd', async () => {
    const form = `signed_request=${encodeURIComponent(await signedRequest(facebookPayload(VICTIM)))}`;
    await expectDeleted(await postCallback(callback, form, 'text/plain;charset=UTF-8'));
  });

  it('reads the field from multipart/form-data', async () => {
    const multipart = new FormData();
    multipart.set('signed_request', await signedRequest(facebookPayload(VICTIM)));
    // The runtime sets the multipart content type with its boundary.
    await expectDeleted(await postCallback(callback, multipart, null));
  });

  it('refuses a body over the size limit with 413 and deletes nothing', async () => {
    const value = await signedRequest(facebookPayload(VICTIM));
    const response = await postCallback(callback, `signed_request=${value}&padding=${'x'.repeat(17 * 1024)}`);
    expect(response.status).toBe(413);
    expect(await linkOfAccount('facebook', VICTIM)).not.toBeNull();
    expect(await deletionRequestCount()).toBe(0);
  });
});
