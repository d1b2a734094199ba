/**
 * npm run register-commands
 *
 * Bulk-overwrites the bot's slash commands with the ones in src/discord/commands.ts: in one server when
 * DISCORD_GUILD_ID is set (instant; for development), otherwise globally. Then replaces the app's Linked Roles
 * metadata records with the schema in src/linked-roles/metadata.ts for the providers these settings enable (the
 * same registry the Worker uses, so run it with the deployed Worker's provider settings). Reads
 * DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (and optionally DISCORD_GUILD_ID, DISCORD_API_URL, the provider
 * settings) from the environment or `.dev.vars`. Exits non-zero when either registration fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { discordSetting, type Vars } from '../src/config.ts';
import { DiscordApiError, DiscordRest } from '../src/discord/rest.ts';
import { metadataRecords } from '../src/linked-roles/metadata.ts';
import { enabledProviders, providerLabel, providerState } from '../src/providers/registry.ts';
import { PROVIDER_IDS } from '../src/providers/types.ts';
import { putCommands, putMetadata } from './lib/register-application.ts';

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

  // Checked as the Worker checks it (https, plain http only on loopback): the bot token must not travel in clear.
  const discord = discordSetting(vars as Vars);
  if (!discord.ok) return 1;
  const rest = new DiscordRest({ baseUrl: discord.value.apiUrl, timeoutMs: 15_000 });
  const commandsOk = await registerCommands(rest, applicationId, botToken, guildId);
  const metadataOk = await registerMetadata(rest, applicationId, botToken, vars as Vars);
  return commandsOk && metadataOk ? 0 : 1;
}

/** Prints Discord's status and own error text (never the token). */
function printFailure(what: string, error: DiscordApiError, hints: { notFound: string }): void {
  console.error(`${what} failed.`);
  console.error(`Discord answered: ${error.status === 0 ? 'no response' : `HTTP ${error.status}`}` +
    (error.code !== undefined ? `, code ${error.code}` : '') +
    (error.discordMessage ? `: ${error.discordMessage}` : ''));
  if (error.status === 401) console.error('Check DISCORD_BOT_TOKEN (Developer Portal > Bot > Reset Token).');
  if (error.status === 404) console.error(hints.notFound);
}

async function registerCommands(rest: DiscordRest, applicationId: string, botToken: string, guildId: string | undefined): Promise<boolean> {
  const where = guildId ? `server ${guildId}` : 'globally';
  try {
    const registered = await putCommands(rest, applicationId, botToken, guildId);
    console.log(`Registered ${registered.length} command(s) ${where}:`);
    for (const command of registered) console.log(`  /${command.name}  (id ${command.id})`);
    if (!guildId) console.log('Global commands can take a few minutes to appear in every client.');
    return true;
  } catch (error) {
    if (!(error instanceof DiscordApiError)) throw error;
    printFailure(`Registering commands ${where}`, error, { notFound: 'Check DISCORD_APPLICATION_ID (and DISCORD_GUILD_ID, if set).' });
    return false;
  }
}

/** The Linked Roles schema is the application's (no server variant): one PUT replaces every record. */
async function registerMetadata(rest: DiscordRest, applicationId: string, botToken: string, vars: Vars): Promise<boolean> {
  for (const id of PROVIDER_IDS) {
    if (providerState(vars, id).kind === 'misconfigured') {
      console.error(`${providerLabel(vars, id)} is partly set up in these settings (see above), so it gets no Linked Roles record.`);
    }
  }
  const providers = enabledProviders(vars);
  if (providers.length === 0) {
    console.error('No login provider is set up in these settings: the Linked Roles metadata gets only linked_since. ' +
      "Run this with the deployed Worker's provider settings.");
  }
  const records = metadataRecords(providers);
  try {
    const registered = await putMetadata(rest, applicationId, botToken, records);
    console.log(`Registered ${registered.length} Linked Roles metadata record(s):`);
    for (const record of registered) console.log(`  ${record.key}  (${record.name})`);
    if (providers.length > records.length - 1) {
      console.log(`Discord allows 5 records: ${providers.slice(records.length - 1).map((p) => p.name).join(', ')} count only toward linked_since.`);
    }
    return true;
  } catch (error) {
    if (!(error instanceof DiscordApiError)) throw error;
    printFailure('Registering the Linked Roles metadata', error, { notFound: 'Check DISCORD_APPLICATION_ID.' });
    return false;
  }
}

process.exitCode = await main();
