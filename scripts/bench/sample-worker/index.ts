/**
 * Discord's official sample Worker (github.com/discord/cloudflare-sample-app, src/server.js), its hot path
 * re-created: an itty-router AutoRouter, the body read as text, `verifyKey` from discord-interactions (which
 * imports the public key again on every call), JSON.parse, then PONG or a command's reply. The budget's reference
 * point ("the official sample costs 1.08-1.10x the floor: we mean to be ahead of it"), measured in the same run.
 * Two deliberate differences: it answers at /interactions (where the benchmark posts, the sample uses /), and its
 * one command is the benchmark's /ping (the sample's /awwww and /invite reach Reddit or read an env var).
 */
import { AutoRouter } from 'itty-router';
import { InteractionResponseFlags, InteractionResponseType, InteractionType, verifyKey } from 'discord-interactions';

interface Env {
  DISCORD_PUBLIC_KEY: string;
}

class JsonResponse extends Response {
  constructor(body: unknown, init?: ResponseInit) {
    super(JSON.stringify(body), init ?? { headers: { 'content-type': 'application/json;charset=UTF-8' } });
  }
}

async function verifyDiscordRequest(request: Request, env: Env) {
  const signature = request.headers.get('x-signature-ed25519');
  const timestamp = request.headers.get('x-signature-timestamp');
  const body = await request.text();
  const isValidRequest = signature && timestamp && (await verifyKey(body, signature, timestamp, env.DISCORD_PUBLIC_KEY));
  if (!isValidRequest) return { isValid: false };
  return { interaction: JSON.parse(body) as { type: number; data?: { name: string } }, isValid: true };
}

const router = AutoRouter();

router.post('/interactions', async (request, env: Env) => {
  const { isValid, interaction } = await verifyDiscordRequest(request, env);
  if (!isValid || !interaction) return new Response('Bad request signature.', { status: 401 });
  if (interaction.type === InteractionType.PING) return new JsonResponse({ type: InteractionResponseType.PONG });
  if (interaction.type === InteractionType.APPLICATION_COMMAND) {
    switch (interaction.data?.name.toLowerCase()) {
      case 'ping':
        return new JsonResponse({ type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE, data: { content: 'Pong!', flags: InteractionResponseFlags.EPHEMERAL } });
      default:
        return new JsonResponse({ error: 'Unknown Type' }, { status: 400 });
    }
  }
  return new JsonResponse({ error: 'Unknown Type' }, { status: 400 });
});
router.all('*', () => new Response('Not Found.', { status: 404 }));

export default { fetch: router.fetch };
