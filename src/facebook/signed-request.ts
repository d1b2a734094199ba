/**
 * Facebook's `signed_request` (sent to the deauthorize and data-deletion callbacks): `base64url(signature)` "."
 * `base64url(payload)`, where the signature is HMAC-SHA256 over the payload *as encoded*, keyed with the app
 * secret. Verified before the payload is even decoded. Facts: shared/PLATFORM.md §1.6.
 */
import { fromBase64Url } from '../encoding.ts';

/** The payload fields this bot relies on; Facebook may send more (`issued_at`, `expires`, ...). */
export interface SignedRequestPayload {
  algorithm: string;
  /** The app-scoped user id (ASID) of the user who removed the app or asked for deletion. */
  user_id: string;
  issued_at?: number;
  [field: string]: unknown;
}

export type SignedRequestVerification =
  | { ok: true; payload: SignedRequestPayload }
  /** `problem` says which rule was broken, for a 400 answer; it never contains the secret or the signature. */
  | { ok: false; problem: string };

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(appSecret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(appSecret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(appSecret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    hmacKeys.set(appSecret, key);
  }
  return key;
}

const fail = (problem: string): SignedRequestVerification => ({ ok: false, problem });

/**
 * Verifies a `signed_request` with the app secret and returns its payload. The signature is checked with
 * WebCrypto's HMAC verify (a constant-time comparison) before the payload is parsed; then `algorithm` must be
 * HMAC-SHA256 (any case, as Facebook's SDKs accept) and `user_id` a non-empty string.
 */
export async function verifySignedRequest(signedRequest: string, appSecret: string): Promise<SignedRequestVerification> {
  const parts = signedRequest.split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return fail('signed_request must be two base64url parts joined by "."');
  }
  const [encodedSignature, encodedPayload] = parts as [string, string];
  const signature = fromBase64Url(encodedSignature);
  if (!signature) return fail('the signature is not base64url');
  const payloadBytes = fromBase64Url(encodedPayload);
  if (!payloadBytes) return fail('the payload is not base64url');

  const signed = new TextEncoder().encode(encodedPayload);
  if (!(await crypto.subtle.verify('HMAC', await hmacKey(appSecret), signature, signed))) {
    return fail('the signature does not match');
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(payloadBytes));
  } catch {
    return fail('the payload is not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return fail('the payload is not a JSON object');
  const { algorithm, user_id } = payload as Record<string, unknown>;
  if (typeof algorithm !== 'string' || algorithm.toUpperCase() !== 'HMAC-SHA256') {
    return fail('the payload\'s algorithm is not HMAC-SHA256');
  }
  if (typeof user_id !== 'string' || user_id === '') return fail('the payload has no user_id');
  return { ok: true, payload: payload as SignedRequestPayload };
}
