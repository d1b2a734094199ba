/**
 * The playground server's roles with Linked Roles requirements, as Discord's Server Settings › Roles › Links shows
 * them, and whether a member meets them: judged by the Discord stand-in against the role connection the Worker
 * pushed (discord-role-connections.ts), so the page shows exactly what Discord would decide. Live: `watchRoles`
 * calls back on every change of a role connection or of the app's metadata records.
 */
import type { DiscordStandin, RoleConnectionChange, RoleRequirement } from '../standins/discord.ts';

/** A role of the server and the app's metadata it requires (Roles › Links › Add requirement). */
export interface ServerRole {
  name: string;
  /** Discord's role colour, e.g. 0x57f287. */
  color: number;
  requirements: RoleRequirement[];
}

/** One role, with the server's default requirement: a linked Facebook account. */
export const PLAYGROUND_ROLES: readonly ServerRole[] = [{ name: 'Verified', color: 0x57f287, requirements: [{ key: 'facebook', value: 1 }] }];

export interface RequirementView {
  key: string;
  /** As Discord lists it: `<app> — <record name>`, e.g. "Login Bot — Facebook account linked". */
  label: string;
  /** Whether the app registered a metadata record with this key (without one, nobody can meet it). */
  registered: boolean;
  met: boolean;
}

export interface RoleView {
  name: string;
  color: number;
  requirements: RequirementView[];
  /** Every requirement met: the member may take the role (Discord requires all of a role's links). */
  eligible: boolean;
}

/** What the page shows of a member: the server's roles, and the member's role connection as their profile shows it. */
export interface LinkedRolesView {
  appName: string;
  roles: RoleView[];
  /** The member's connection to the app (their profile's "platform"), if the app pushed one. */
  connection?: { platformName: string | null; platformUsername: string | null };
}

export function linkedRolesView(discord: DiscordStandin, appName: string, roles: readonly ServerRole[], userId: string): LinkedRolesView {
  const records = discord.roleConnectionMetadata();
  const views = roles.map((role): RoleView => {
    const requirements = role.requirements.map((requirement): RequirementView => {
      const record = records.find((candidate) => candidate.key === requirement.key);
      return {
        key: requirement.key,
        label: `${appName} — ${record?.name ?? requirement.key}`,
        registered: record !== undefined,
        met: record !== undefined && discord.meetsRequirement(userId, requirement),
      };
    });
    return { name: role.name, color: role.color, requirements, eligible: requirements.every((requirement) => requirement.met) };
  });
  const connection = discord.roleConnection(userId);
  return {
    appName,
    roles: views,
    ...(connection ? { connection: { platformName: connection.platform_name, platformUsername: connection.platform_username } } : {}),
  };
}

/** Calls `listener` when `userId`'s connection or the app's metadata records change; returns the function that stops it. */
export function watchRoles(discord: DiscordStandin, userId: string, listener: () => void): () => void {
  const onChange = (change: RoleConnectionChange) => {
    if (change.kind === 'metadata' || change.userId === userId) listener();
  };
  discord.events.on('roleConnection', onChange);
  return () => discord.events.off('roleConnection', onChange);
}
