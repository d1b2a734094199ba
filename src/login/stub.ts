import type { Env } from '../env.ts';

/** The Discord user's own LoginSession Durable Object: one per user, named by the user id. */
export const loginSession = (env: Env, discordUserId: string) => env.LOGIN_SESSIONS.get(env.LOGIN_SESSIONS.idFromName(discordUserId));
