import type { CommandHandler } from '../discord/handler.ts';
import { ephemeralMessage } from '../discord/messages.ts';

/** `/ping`: proves the endpoint is reachable and verifying signatures. */
export const ping: CommandHandler = () => ephemeralMessage('Pong!');
