/** Discord's JSON error answers (PLATFORM.md §4.3, §4.7), as `{ status, body }`. */

export interface DiscordErrorAnswer {
  status: number;
  body: { message: string; code: number; errors?: unknown };
}

const answer = (status: number, message: string, code: number, errors?: unknown): DiscordErrorAnswer => ({
  status,
  body: errors === undefined ? { message, code } : { message, code, errors },
});

/** The interaction token is unknown, older than 15 minutes, or not answered yet. */
export const unknownWebhook = () => answer(404, 'Unknown Webhook', 10015);
export const unknownMessage = () => answer(404, 'Unknown Message', 10008);
/** What Cloudflare in front of Discord answers a request without a `DiscordBot (…)` User-Agent. */
export const cloudflareBlock = () => answer(403, 'internal network error', 40333);
export const invalidFormBody = (errors: unknown) => answer(400, 'Invalid Form Body', 50035, errors);
export const invalidContentType = () =>
  invalidFormBody({
    _errors: [{ code: 'CONTENT_TYPE_INVALID', message: 'Expected "Content-Type" header to be one of {\'application/json\'}.' }],
  });
export const invalidJson = () => answer(400, 'The request body contains invalid JSON.', 50109);
export const emptyMessage = () => answer(400, 'Cannot send an empty message', 50006);
export const unauthorized = () => answer(401, '401: Unauthorized', 0);
export const notFound = () => answer(404, '404: Not Found', 0);
export const methodNotAllowed = () => answer(405, '405: Method Not Allowed', 0);
export const missingAccess = () => answer(403, 'Missing Access', 50001);
export const rateLimited = (retryAfter: number, global: boolean) => ({
  status: 429,
  body: { message: 'You are being rate limited.', retry_after: retryAfter, global },
});
export const serverError = () => answer(500, '500: Internal Server Error', 0);
