/**
 * POST /interactions: Discord's interactions endpoint. Reads the raw body once (bounded), verifies the
 * signature over `timestamp + body` before parsing anything, then dispatches.
 */
import type { APIInteraction } from 'discord-api-types/v10';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { jsonResponse, readBodyWithLimit, textResponse, TOO_LARGE } from '../http.ts';
import { dispatch, UnsupportedInteractionError } from './dispatch.ts';
import { isFreshTimestamp, isValidDiscordSignature } from './verify.ts';

/** Discord's interaction payloads are a few KiB; anything near this is not from Discord. */
export const MAX_INTERACTION_BODY_BYTES = 1024 * 1024;

export async function handleInteractionRequest(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const config = loadConfig(env);

  const signature = request.headers.get('x-signature-ed25519');
  const timestamp = request.headers.get('x-signature-timestamp');
  if (!signature || !timestamp) return textResponse(401, 'missing request signature');

  const body = await readBodyWithLimit(request, MAX_INTERACTION_BODY_BYTES);
  if (body === TOO_LARGE) return textResponse(413, 'request body too large');

  if (!isFreshTimestamp(timestamp, Date.now())) return textResponse(401, 'stale or invalid request timestamp');
  if (!(await isValidDiscordSignature(body, signature, timestamp, config.discordPublicKey))) {
    return textResponse(401, 'invalid request signature');
  }

  let interaction: APIInteraction;
  try {
    interaction = JSON.parse(new TextDecoder().decode(body)) as APIInteraction;
  } catch {
    return textResponse(400, 'body is not JSON');
  }
  if (interaction === null || typeof interaction !== 'object' || typeof interaction.type !== 'number') {
    return textResponse(400, 'not an interaction');
  }

  try {
    return jsonResponse(await dispatch(interaction, { config, env, ctx }));
  } catch (error) {
    if (error instanceof UnsupportedInteractionError) return textResponse(400, `unsupported: ${error.message}`);
    throw error;
  }
}
