/**
 * npm run register-commands
 *
 * Bulk-overwrites the bot's slash commands with the ones in src/discord/commands.ts: in one server when
 * DISCORD_GUILD_ID is set (instant; for development), otherwise globally. Reads DISCORD_APPLICATION_ID and
 * DISCORD_BOT_TOKEN (and optionally DISCORD_GUILD_ID, DISCORD_API_URL) from the environment or `.dev.vars`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { commandList } from '../src/discord/commands.ts';
import { DEFAULT_DISCORD_API_URL } from '../src/config.ts';
import { DiscordApiError, DiscordRest } from '../src/discord/rest.ts';

function settings(): Record<string, string | undefined> {
  const file = '.dev.vars';
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  // The real environment wins over the file, so CI or a one-off run can override it.
  return { ...fromFile, ...process.env };
}

async function main(): Promise<number> {
  const vars = settings();
  const applicationId = vars.DISCORD_APPLICATION_ID?.trim();
  const botToken = vars.DISCORD_BOT_TOKEN?.trim();
  const guildId = vars.DISCORD_GUILD_ID?.trim() || undefined;
  const missing = [!applicationId && 'DISCORD_APPLICATION_ID', !botToken && 'DISCORD_BOT_TOKEN'].filter(Boolean);
  if (!applicationId || !botToken) {
    console.error(`Missing ${missing.join(' and ')}: set it in .dev.vars or the environment (see .dev.vars.example).`);
    return 1;
  }

  const rest = new DiscordRest({ baseUrl: vars.DISCORD_API_URL?.trim() || DEFAULT_DISCORD_API_URL, timeoutMs: 15_000 });
  const commands = commandList();
  const where = guildId ? `server ${guildId}` : 'globally';
  try {
    const registered = await rest.bulkOverwriteCommands<Array<{ name: string; id: string }>>(
      applicationId,
      botToken,
      commands,
      guildId,
    );
    console.log(`Registered ${registered.length} command(s) ${where}:`);
    for (const command of registered) console.log(`  /${command.name}  (id ${command.id})`);
    if (!guildId) console.log('Global commands can take a few minutes to appear in every client.');
    return 0;
  } catch (error) {
    if (error instanceof DiscordApiError) {
      console.error(`Registering commands ${where} failed.`);
      console.error(`Discord answered: ${error.status === 0 ? 'no response' : `HTTP ${error.status}`}` +
        (error.code !== undefined ? `, code ${error.code}` : '') +
        (error.discordMessage ? `: ${error.discordMessage}` : ''));
      if (error.status === 401) console.error('Check DISCORD_BOT_TOKEN (Developer Portal > Bot > Reset Token).');
      if (error.status === 404) console.error('Check DISCORD_APPLICATION_ID (and DISCORD_GUILD_ID, if set).');
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
