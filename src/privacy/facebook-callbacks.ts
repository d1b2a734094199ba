/**
 * Facebook's callbacks for a user who removed the app: POST /facebook/deauthorize and POST
 * /facebook/data-deletion, each with a form field `signed_request` (PLATFORM.md §1.6). Nothing is deleted unless
 * the signature verifies; a bad or missing one is a 400.
 */
import { siteSetting } from '../config.ts';
import type { Env } from '../env.ts';
import { facebookSetting } from '../providers/facebook.ts';
import { verifySignedRequest } from '../facebook/signed-request.ts';
import { jsonResponse, readBodyWithLimit, textResponse, TOO_LARGE } from '../http.ts';
import { eraseFacebookUser, eraseFacebookUserOnRequest } from '../links/erase.ts';

/** A signed_request is a few hundred bytes; this leaves room for form noise and nothing more. */
export const MAX_CALLBACK_BODY_BYTES = 16 * 1024;

/**
 * The `signed_request` field of the body. Facebook posts a urlencoded form; a missing or unusual content type is
 * read as urlencoded too, and multipart/form-data is read as such.
 */
async function signedRequestField(body: Uint8Array, contentType: string | null): Promise<string | null> {
  if (contentType?.toLowerCase().startsWith('multipart/form-data')) {
    try {
      const value = (await new Response(body, { headers: { 'content-type': contentType } }).formData()).get('signed_request');
      return typeof value === 'string' ? value : null;
    } catch {
      return null;
    }
  }
  return new URLSearchParams(new TextDecoder().decode(body)).get('signed_request');
}

type Verified = { facebookUserId: string } | { response: Response };

async function verifiedUser(request: Request, env: Env): Promise<Verified> {
  const facebook = facebookSetting(env);
  if (!facebook?.ok) return { response: textResponse(503, 'Facebook is not set up on this bot; the operator can see why in the Worker logs') };
  const appSecret = facebook.value.appSecret;
  const body = await readBodyWithLimit(request, MAX_CALLBACK_BODY_BYTES);
  if (body === TOO_LARGE) return { response: textResponse(413, 'request body too large') };
  const signedRequest = await signedRequestField(body, request.headers.get('content-type'));
  if (!signedRequest) return { response: textResponse(400, 'missing form field signed_request') };
  const verification = await verifySignedRequest(signedRequest.trim(), appSecret);
  if (!verification.ok) return { response: textResponse(400, `invalid signed_request: ${verification.problem}`) };
  return { facebookUserId: verification.payload.user_id };
}

/** The user removed the app from their Facebook account: forget them. */
export async function handleDeauthorize(request: Request, env: Env): Promise<Response> {
  const verified = await verifiedUser(request, env);
  if ('response' in verified) return verified.response;
  await eraseFacebookUser(env, verified.facebookUserId);
  return jsonResponse({ success: true });
}

/** The user asked Facebook to have their data deleted: forget them, and answer with a status URL and code. */
export async function handleDataDeletion(request: Request, env: Env): Promise<Response> {
  // Without the public URL there is no status page to point Facebook to: refuse before erasing anything, so that
  // Facebook retries once the operator has fixed it.
  const site = siteSetting(env);
  if (!site.ok) return textResponse(503, 'the data-deletion status page is not set up; the operator can see why in the Worker logs');
  const verified = await verifiedUser(request, env);
  if ('response' in verified) return verified.response;
  const { confirmationCode } = await eraseFacebookUserOnRequest(env, verified.facebookUserId, Date.now());
  const url = `${site.value.publicBaseUrl}/facebook/deletion?code=${confirmationCode}`;
  return jsonResponse({ url, confirmation_code: confirmationCode });
}
