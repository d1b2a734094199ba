/**
 * POST /interactions: Discord's interactions endpoint. Reads the raw body once (bounded), verifies the
 * signature over `timestamp + body` before parsing anything, parses the interaction into a typed value (or
 * refuses it), then dispatches.
 */
import { discordSetting, interactionsSetting } from '../config.ts';
import type { Env } from '../env.ts';
import { jsonResponse, readBodyWithLimit, textResponse, TOO_LARGE } from '../http.ts';
import { dispatch } from './dispatch.ts';
import { parseInteraction } from './interaction.ts';
import { isFreshTimestamp, isValidDiscordSignature } from './verify.ts';

/** Discord's interaction payloads are a few KiB; anything near this is not from Discord. */
export const MAX_INTERACTION_BODY_BYTES = 1024 * 1024;

export async function handleInteractionRequest(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  // Without a usable public key nothing can be verified, so nothing is accepted.
  const publicKey = interactionsSetting(env);
  if (!publicKey.ok) return textResponse(500, 'the bot is misconfigured; see the Worker logs');

  const signature = request.headers.get('x-signature-ed25519');
  const timestamp = request.headers.get('x-signature-timestamp');
  if (!signature || !timestamp) return textResponse(401, 'missing request signature');

  const body = await readBodyWithLimit(request, MAX_INTERACTION_BODY_BYTES);
  if (body === TOO_LARGE) return textResponse(413, 'request body too large');

  if (!isFreshTimestamp(timestamp, Date.now())) return textResponse(401, 'stale or invalid request timestamp');
  if (!(await isValidDiscordSignature(body, signature, timestamp, publicKey.value))) {
    return textResponse(401, 'invalid request signature');
  }

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return textResponse(400, 'body is not JSON');
  }
  const parsed = parseInteraction(json);
  if (!parsed.ok) {
    console.warn(`malformed interaction refused: ${parsed.problem}`);
    return textResponse(400, `malformed interaction: ${parsed.problem}`);
  }
  const { interaction } = parsed;
  const discord = discordSetting(env);
  const expectedApplication = discord.ok ? discord.value.applicationId : undefined;
  if (interaction.kind !== 'ping' && expectedApplication !== undefined && interaction.applicationId !== expectedApplication) {
    console.warn('malformed interaction refused: application_id is not this application');
    return textResponse(400, 'malformed interaction: application_id is not this application');
  }
  return jsonResponse(await dispatch(interaction, { env, ctx }));
}
