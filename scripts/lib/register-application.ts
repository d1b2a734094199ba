/**
 * What `npm run register-commands` (scripts/register-commands.ts) does, as a function for a run against the Discord
 * stand-in: bulk-overwrite the slash commands of src/discord/commands.ts (with their name and description
 * localizations), then replace the Linked Roles metadata with the schema of src/linked-roles/metadata.ts for the
 * providers the Worker's settings enable. The same modules and the same requests as the script; a refusal throws
 * Discord's error (DiscordApiError), which names the route and Discord's own message, never the token.
 */
import type { Vars } from '../../src/config.ts';
import { commandList } from '../../src/discord/commands.ts';
import { DiscordRest } from '../../src/discord/rest.ts';
import { metadataRecords, type MetadataRecord } from '../../src/linked-roles/metadata.ts';
import { enabledProviders } from '../../src/providers/registry.ts';

export interface RegisterApplicationInput {
  /** DISCORD_API_URL, e.g. the stand-in's `apiUrl`. */
  apiUrl: string;
  applicationId: string;
  botToken: string;
  /** The Worker's settings: which providers get a metadata record. */
  vars: Vars;
  /** Register the commands in this server only (DISCORD_GUILD_ID); default global. */
  guildId?: string;
}

export interface RegisteredApplication {
  commands: Array<{ id: string; name: string }>;
  metadata: MetadataRecord[];
}

/** PUT the commands (bulk overwrite): globally, or in one server. Throws DiscordApiError. */
export function putCommands(rest: DiscordRest, applicationId: string, botToken: string, guildId?: string) {
  return rest.bulkOverwriteCommands<Array<{ id: string; name: string }>>(applicationId, botToken, commandList(), guildId);
}

/** PUT the Linked Roles metadata records (always app-wide; one PUT replaces every record). Throws DiscordApiError. */
export function putMetadata(rest: DiscordRest, applicationId: string, botToken: string, records: MetadataRecord[]) {
  return rest.request<MetadataRecord[]>('PUT', `/applications/${applicationId}/role-connections/metadata`, {
    body: records,
    authorization: `Bot ${botToken}`,
    secrets: [botToken],
  });
}

export async function registerApplication(input: RegisterApplicationInput): Promise<RegisteredApplication> {
  const rest = new DiscordRest({ baseUrl: input.apiUrl, timeoutMs: 15_000 });
  const commands = await putCommands(rest, input.applicationId, input.botToken, input.guildId);
  const metadata = await putMetadata(rest, input.applicationId, input.botToken, metadataRecords(enabledProviders(input.vars)));
  return { commands, metadata };
}
