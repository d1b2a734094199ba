/**
 * What the playground page is told, live: the Discord stand-in's messages as they are created and edited,
 * interactions that failed, and the HTTP traffic between the Worker and the stand-ins (Discord and every
 * provider), plus the start-up registration of commands and metadata ("Setup"); the browser's own requests
 * (consent, login and device pages) are left out. (The roles panel's updates come from server-roles.ts.) Every value here is safe to show: messages as Discord's API returns them (no interaction token),
 * traffic as the stand-ins' masked logs hold it, reduced to method, path (never a query), status and outcome.
 */
import type { TrafficEntry, TrafficLog } from '../lib/traffic-log.ts';
import type { ProviderStandins } from '../lib/provider-standins.ts';
import type { DiscordChange, DiscordMessage, DiscordStandin } from '../standins/discord.ts';
import { GITHUB_BROWSER_ROUTES } from '../standins/github.ts';
import { GOOGLE_BROWSER_ROUTES } from '../standins/google.ts';
import { MICROSOFT_BROWSER_ROUTES } from '../standins/microsoft.ts';

/** `Setup`: the playground registering the commands and the Linked Roles metadata, as `npm run register-commands` does. */
export type Party = 'Discord' | 'Worker' | 'Setup' | 'Facebook' | 'GitHub' | 'Google' | 'Microsoft' | 'OpenID';

/** One line of the page's traffic log. */
export interface TrafficLine {
  /** Unique across the stand-ins, e.g. `facebook-12`. */
  id: string;
  time: number;
  from: Party;
  to: Party;
  method: string;
  path: string;
  /** 0 when no answer came. */
  status: number;
  /** The stand-in's word for the outcome, e.g. a poll's `pending`. */
  note?: string;
}

export interface FailureNotice {
  interactionId: string;
  /** Whose interaction it was: only they are told. */
  userId: string;
  /** `/login` or `button login-cancel:…` */
  what: string;
  reason: string;
}

export type LiveEvent =
  | { type: 'message'; action: 'created' | 'updated' | 'deleted'; message: DiscordMessage }
  | { type: 'failure'; failure: FailureNotice }
  | { type: 'traffic'; line: TrafficLine };

/** A provider stand-in's log as the traffic strip shows it: the Worker's requests only. */
export interface ProviderTrafficSource {
  /** Prefix of the line ids, e.g. `github`. */
  id: string;
  party: Party;
  traffic: TrafficLog;
  /** Routes a browser loads (the person's pages and pictures), not the Worker's protocol: left out. */
  browserRoutes: ReadonlySet<string>;
}

/** APPLICATION_COMMAND_AUTOCOMPLETE: the user typing in an option. */
const AUTOCOMPLETE = 4;

// The browser's own requests to the stand-ins (device pages, login and consent pages, pictures) are the person's,
// not the Worker's protocol: the log leaves them out.
const FACEBOOK_BROWSER_ROUTES: ReadonlySet<string> = new Set(['device', 'picture', 'dialog/oauth']);
const OIDC_BROWSER_ROUTES: ReadonlySet<string> = new Set(['code_verification', 'resume', 'interaction', 'picture', 'authorization']);
// Discord's consent page is the person's too.
const DISCORD_BROWSER_ROUTES: ReadonlySet<string> = new Set(['authorize']);
const DISCORD_SETUP_ROUTES: ReadonlySet<string> = new Set(['putCommands', 'getCommands', 'putRoleConnectionMetadata', 'getRoleConnectionMetadata']);

/** The traffic sources of the provider stand-ins that run. */
export function providerTrafficSources(standins: Omit<ProviderStandins, 'ids' | 'close'>): ProviderTrafficSource[] {
  const sources: ProviderTrafficSource[] = [];
  if (standins.facebook) sources.push({ id: 'facebook', party: 'Facebook', traffic: standins.facebook.traffic, browserRoutes: FACEBOOK_BROWSER_ROUTES });
  if (standins.github) sources.push({ id: 'github', party: 'GitHub', traffic: standins.github.traffic, browserRoutes: GITHUB_BROWSER_ROUTES });
  if (standins.google) sources.push({ id: 'google', party: 'Google', traffic: standins.google.traffic, browserRoutes: GOOGLE_BROWSER_ROUTES });
  if (standins.microsoft) sources.push({ id: 'microsoft', party: 'Microsoft', traffic: standins.microsoft.traffic, browserRoutes: MICROSOFT_BROWSER_ROUTES });
  if (standins.oidc) sources.push({ id: 'oidc', party: 'OpenID', traffic: standins.oidc.traffic, browserRoutes: OIDC_BROWSER_ROUTES });
  return sources;
}

/** A Discord stand-in's entry as a line, or undefined for the browser's own requests (the consent page). */
export function discordTrafficLine(entry: TrafficEntry): TrafficLine | undefined {
  if (entry.route && DISCORD_BROWSER_ROUTES.has(entry.route)) return undefined;
  const caller: Party = entry.route && DISCORD_SETUP_ROUTES.has(entry.route) ? 'Setup' : 'Worker';
  return {
    id: `discord-${entry.seq}`,
    time: entry.time,
    from: entry.direction === 'out' ? 'Discord' : caller,
    to: entry.direction === 'out' ? 'Worker' : 'Discord',
    method: entry.method,
    path: entry.path,
    status: entry.status,
    ...(entry.note ? { note: entry.note } : {}),
  };
}

/** A provider stand-in's entry as a line from the Worker, or undefined for the browser's own requests. */
export function providerTrafficLine(source: ProviderTrafficSource, entry: TrafficEntry): TrafficLine | undefined {
  if (entry.route && source.browserRoutes.has(entry.route)) return undefined;
  return {
    id: `${source.id}-${entry.seq}`,
    time: entry.time,
    from: 'Worker',
    to: source.party,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    ...(entry.note ? { note: entry.note } : {}),
  };
}

export function liveEventOf(change: DiscordChange): LiveEvent | undefined {
  if (change.kind === 'message') return { type: 'message', action: change.action, message: change.message };
  const { interaction } = change;
  if (interaction.state !== 'failed') return undefined;
  const what = interaction.name
    ? `${interaction.type === AUTOCOMPLETE ? 'autocomplete ' : ''}/${interaction.name}`
    : `button ${interaction.customId ?? '?'}`;
  return { type: 'failure', failure: { interactionId: interaction.id, userId: interaction.userId, what, reason: interaction.failure ?? 'no reason given' } };
}

/** The traffic so far, oldest first. */
export function trafficSoFar(discord: DiscordStandin, providers: readonly ProviderTrafficSource[]): TrafficLine[] {
  const lines = [
    ...discord.traffic.entries().flatMap((entry) => discordTrafficLine(entry) ?? []),
    ...providers.flatMap((source) => source.traffic.entries().flatMap((entry) => providerTrafficLine(source, entry) ?? [])),
  ];
  return lines.sort((a, b) => a.time - b.time);
}

/** Calls `listener` for every live event from now on; returns the function that stops it. */
export function subscribe(discord: DiscordStandin, providers: readonly ProviderTrafficSource[], listener: (event: LiveEvent) => void): () => void {
  const onChange = (change: DiscordChange) => {
    const event = liveEventOf(change);
    if (event) listener(event);
  };
  const onDiscordTraffic = (entry: TrafficEntry) => {
    const line = discordTrafficLine(entry);
    if (line) listener({ type: 'traffic', line });
  };
  discord.events.on('change', onChange);
  discord.traffic.on('entry', onDiscordTraffic);
  const stops = providers.map((source) => {
    const onEntry = (entry: TrafficEntry) => {
      const line = providerTrafficLine(source, entry);
      if (line) listener({ type: 'traffic', line });
    };
    source.traffic.on('entry', onEntry);
    return () => source.traffic.off('entry', onEntry);
  });
  return () => {
    discord.events.off('change', onChange);
    discord.traffic.off('entry', onDiscordTraffic);
    for (const stop of stops) stop();
  };
}
