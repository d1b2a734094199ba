/** A Discord stand-in wired to a fake bot, plus the users and URLs the Discord stand-in tests share. */
import { startDiscordStandin, type DiscordStandin, type DiscordStandinOptions, type DiscordUser } from '../../../scripts/standins/discord.ts';
import { startFakeBot, type Answerer } from './fake-bot.ts';

export const alice: DiscordUser = { id: '111111111111111111', username: 'alice', globalName: 'Alice' };
export const bob: DiscordUser = { id: '222222222222222222', username: 'bob' };

export const ephemeral = (content: string) => ({ type: 4, data: { content, flags: 64 } });
export const deferEphemeral = { type: 5, data: { flags: 64 } };

export async function discordWithBot(answer: Answerer, options: DiscordStandinOptions = {}) {
  const discord = await startDiscordStandin(options);
  const bot = await startFakeBot(discord.publicKeyHex, answer);
  discord.setInteractionsUrl(bot.url);
  return {
    discord,
    bot,
    close: async () => {
      await discord.close();
      await bot.close();
    },
  };
}

/** The interaction webhook URL for `token`, e.g. `/messages/@original` or `` (follow-ups). */
export const webhookUrl = (discord: DiscordStandin, token: string, suffix = '/messages/@original') =>
  `${discord.apiUrl}/webhooks/${discord.applicationId}/${token}${suffix}`;
