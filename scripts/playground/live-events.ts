/**
 * What the playground page is told, live: the Discord stand-in's messages as they are created and edited,
 * interactions that failed, and the HTTP traffic between the Worker and the stand-ins. Every value here is
 * safe to show: messages as Discord's API returns them (no interaction token), traffic as the stand-ins'
 * masked logs hold it, reduced to method, path, status and outcome.
 */
import type { TrafficEntry } from '../lib/traffic-log.ts';
import type { DiscordChange, DiscordMessage, DiscordStandin } from '../standins/discord.ts';
import type { FacebookStandin } from '../standins/facebook.ts';

/** One line of the page's traffic log. */
export interface TrafficLine {
  /** Unique across both stand-ins, e.g. `facebook-12`. */
  id: string;
  time: number;
  from: 'Discord' | 'Worker';
  to: 'Worker' | 'Discord' | 'Facebook';
  method: string;
  path: string;
  /** 0 when no answer came. */
  status: number;
  /** The stand-in's word for the outcome, e.g. a poll's `pending`. */
  note?: string;
}

export interface FailureNotice {
  interactionId: string;
  /** `/login` or `button login-cancel:…` */
  what: string;
  reason: string;
}

export type LiveEvent =
  | { type: 'message'; action: 'created' | 'updated' | 'deleted'; message: DiscordMessage }
  | { type: 'failure'; failure: FailureNotice }
  | { type: 'traffic'; line: TrafficLine };

// The browser's own requests to the Facebook stand-in (the /device page, pictures) are the user's, not the
// Worker's protocol: the log leaves them out.
const BROWSER_ROUTES = new Set(['device', 'picture']);

export function discordTrafficLine(entry: TrafficEntry): TrafficLine {
  return {
    id: `discord-${entry.seq}`,
    time: entry.time,
    from: entry.direction === 'out' ? 'Discord' : 'Worker',
    to: entry.direction === 'out' ? 'Worker' : 'Discord',
    method: entry.method,
    path: entry.path,
    status: entry.status,
    ...(entry.note ? { note: entry.note } : {}),
  };
}

export function facebookTrafficLine(entry: TrafficEntry): TrafficLine | undefined {
  if (entry.route && BROWSER_ROUTES.has(entry.route)) return undefined;
  return {
    id: `facebook-${entry.seq}`,
    time: entry.time,
    from: 'Worker',
    to: 'Facebook',
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
  const what = interaction.name ? `/${interaction.name}` : `button ${interaction.customId ?? '?'}`;
  return { type: 'failure', failure: { interactionId: interaction.id, what, reason: interaction.failure ?? 'no reason given' } };
}

/** The traffic so far, oldest first. */
export function trafficSoFar(discord: DiscordStandin, facebook: FacebookStandin): TrafficLine[] {
  const lines = [
    ...discord.traffic.entries().map(discordTrafficLine),
    ...facebook.traffic.entries().flatMap((entry) => facebookTrafficLine(entry) ?? []),
  ];
  return lines.sort((a, b) => a.time - b.time);
}

/** Calls `listener` for every live event from now on; returns the function that stops it. */
export function subscribe(discord: DiscordStandin, facebook: FacebookStandin, listener: (event: LiveEvent) => void): () => void {
  const onChange = (change: DiscordChange) => {
    const event = liveEventOf(change);
    if (event) listener(event);
  };
  const onDiscordTraffic = (entry: TrafficEntry) => listener({ type: 'traffic', line: discordTrafficLine(entry) });
  const onFacebookTraffic = (entry: TrafficEntry) => {
    const line = facebookTrafficLine(entry);
    if (line) listener({ type: 'traffic', line });
  };
  discord.events.on('change', onChange);
  discord.traffic.on('entry', onDiscordTraffic);
  facebook.traffic.on('entry', onFacebookTraffic);
  return () => {
    discord.events.off('change', onChange);
    discord.traffic.off('entry', onDiscordTraffic);
    facebook.traffic.off('entry', onFacebookTraffic);
  };
}
