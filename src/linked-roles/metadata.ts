/**
 * The Linked Roles metadata schema and a user's values: the one module that `npm run register-commands` (which
 * registers the schema) and the Worker (which pushes each user's values) both read, so the keys cannot drift.
 * Pure: no Workers or Node APIs, so it runs on both sides.
 *
 * Records (Discord allows 5): one BOOLEAN_EQUAL per enabled provider, keyed by its id, for the first four enabled
 * in the registry's order; and `linked_since`, a DATETIME_LESS_THAN_OR_EQUAL that a server uses as "linked for at
 * least N days". PLATFORM.md §8.
 */
import type * as D from 'discord-api-types/v10';

export const MetadataType = {
  DatetimeLessThanOrEqual: 5,
  BooleanEqual: 7,
} as const satisfies {
  DatetimeLessThanOrEqual: D.ApplicationRoleConnectionMetadataType.DatetimeLessThanOrEqual;
  BooleanEqual: D.ApplicationRoleConnectionMetadataType.BooleanEqual;
};

/** Discord's limits (PLATFORM.md §8). */
export const LIMITS = {
  records: 5,
  key: /^[a-z0-9_]{1,50}$/,
  name: 100,
  description: 200,
  value: 100,
  platformName: 50,
  platformUsername: 100,
} as const;

/** How many providers get a record: the rest of the five go to `linked_since`. */
export const MAX_PROVIDER_RECORDS = LIMITS.records - 1;
export const LINKED_SINCE_KEY = 'linked_since';
/** What the user's profile shows as the connection's platform. */
export const PLATFORM_NAME = 'Linked accounts';

/** A provider as the schema needs it (a registry `Provider` fits). */
export interface ProviderFacts {
  id: string;
  name: string;
}

/** A link as the values need it (a links/store `Link` fits). */
export interface LinkFacts {
  provider: string;
  linkedAtMs: number;
}

/** A record of the schema: Discord's shape, without localizations, of one of the two types used. */
export type MetadataRecord = Pick<D.APIApplicationRoleConnectionMetadata, 'key' | 'name' | 'description'> & {
  type: (typeof MetadataType)[keyof typeof MetadataType];
};

export interface RoleConnection {
  platform_name: string;
  /** Left out when the user has no link: Discord then shows none. */
  platform_username?: string;
  metadata: Record<string, string>;
}

const clamp = (text: string, max: number) => ([...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`);

/** The providers that get a BOOLEAN record: the first four enabled, in the registry's order. */
export const providersWithRecords = <P extends ProviderFacts>(enabled: readonly P[]): P[] => enabled.slice(0, MAX_PROVIDER_RECORDS);

/** The schema for `PUT /applications/{app}/role-connections/metadata` under these enabled providers. */
export function metadataRecords(enabled: readonly ProviderFacts[]): MetadataRecord[] {
  const providers = providersWithRecords(enabled).map(
    (provider): MetadataRecord => ({
      type: MetadataType.BooleanEqual,
      key: provider.id,
      name: clamp(`${provider.name} account linked`, LIMITS.name),
      description: clamp(`Has linked a ${provider.name} account to Discord with this bot's /login`, LIMITS.description),
    }),
  );
  return [
    ...providers,
    {
      type: MetadataType.DatetimeLessThanOrEqual,
      key: LINKED_SINCE_KEY,
      name: 'Days since first link',
      description: "Linked for at least N days: counted from the first account the member linked with this bot's /login",
    },
  ];
}

/** Links at providers that are enabled now: what the metadata speaks for. */
const currentLinks = (links: readonly LinkFacts[], enabled: readonly ProviderFacts[]) =>
  links.filter((link) => enabled.some((provider) => provider.id === link.provider));

/**
 * A user's metadata values: "1"/"0" per provider record, and `linked_since`, the ISO 8601 time of their earliest
 * link at an enabled provider (left out when there is none). Values are strings, as Discord wants them.
 */
export function metadataFor(links: readonly LinkFacts[], enabled: readonly ProviderFacts[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const provider of providersWithRecords(enabled)) metadata[provider.id] = links.some((link) => link.provider === provider.id) ? '1' : '0';
  const relevant = currentLinks(links, enabled);
  if (relevant.length > 0) metadata[LINKED_SINCE_KEY] = new Date(Math.min(...relevant.map((link) => link.linkedAtMs))).toISOString();
  return metadata;
}

/**
 * The body of `PUT /users/@me/applications/{app}/role-connection`. The username is the list of providers linked
 * ("Facebook, GitHub"), never an outside account's name: the profile shows it to other people.
 */
export function roleConnectionFor(links: readonly LinkFacts[], enabled: readonly ProviderFacts[]): RoleConnection {
  const linked = enabled.filter((provider) => links.some((link) => link.provider === provider.id)).map((provider) => provider.name);
  return {
    platform_name: PLATFORM_NAME,
    ...(linked.length > 0 ? { platform_username: clamp(linked.join(', '), LIMITS.platformUsername) } : {}),
    metadata: metadataFor(links, enabled),
  };
}
