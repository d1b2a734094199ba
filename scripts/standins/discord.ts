/**
 * A local stand-in for Discord's side of HTTP interactions (PLATFORM.md §4): it owns the application's key
 * pair and delivers signed interactions to the bot, keeps the resulting messages as Discord would, and serves
 * the bot-facing REST routes under /api/v10 (interaction webhooks, command registration) with Discord's error
 * codes, limits and rate-limit headers. Start it with {@link startDiscordStandin}; point the Worker's
 * DISCORD_API_URL at `apiUrl` and DISCORD_PUBLIC_KEY at `publicKeyHex`.
 *
 * Defaults: webhook bucket of 5 requests per 2 s per interaction token (see discord-rate-limit.ts); tokens
 * live 15 minutes; the bot has 3 s to answer an interaction (real time, not the injectable clock).
 * Not modelled: the interaction callback endpoint (`POST /interactions/{id}/{token}/callback`), modals,
 * attachments, the global rate limit (interaction routes are exempt), the 5-follow-up cap for user installs.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue, type DelayFault, type TransportFault } from '../lib/faults.ts';
import { listenOnLoopback, mediaType, readBody, send, sendJson } from '../lib/http.ts';
import { MASK } from '../lib/mask.ts';
import { snowflakes } from '../lib/snowflake.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { waitForEvent } from '../lib/wait.ts';
import { CommandRegistry, validateCommands, type RegisteredCommand } from './discord-commands.ts';
import * as errors from './discord-errors.ts';
import { generateApplicationKeys } from './discord-keys.ts';
import { ComponentKind } from './discord-limits.ts';
import {
  commandPayload,
  componentPayload,
  newInteractionToken,
  pingPayload,
  type DiscordUser,
  type GuildRef,
  type InteractionPayload,
  type InteractionWhere,
} from './discord-payloads.ts';
import { DEFAULT_WEBHOOK_RATE_LIMIT, RateLimitBuckets, type RateLimitSettings } from './discord-rate-limit.ts';
import {
  DiscordState,
  TOKEN_LIFETIME_MS,
  type DiscordChange,
  type DiscordMessage,
  type InteractionSummary,
  type WebhookAnswer,
} from './discord-state.ts';

export type { DiscordChange, DiscordMessage, DiscordUser, GuildRef, InteractionPayload, InteractionSummary, RegisteredCommand };

export type DiscordRoute =
  | 'getOriginal'
  | 'editOriginal'
  | 'deleteOriginal'
  | 'createFollowup'
  | 'getMessage'
  | 'editMessage'
  | 'deleteMessage'
  | 'putCommands'
  | 'getCommands';

export type DiscordFault =
  /** HTTP 500 `{"message":"500: Internal Server Error","code":0}`. */
  | { kind: 'serverError' }
  /** HTTP 429 with this `retry_after` (seconds, may be fractional) whatever the bucket says. */
  | { kind: 'rateLimited'; retryAfter: number; global?: boolean }
  | TransportFault
  | DelayFault;

export interface DiscordStandinOptions {
  /** Default 1234567890123456789. */
  applicationId?: string;
  /** The bot's name on its messages. */
  appName?: string;
  /** What `Authorization: Bot <token>` must carry on command registration. Default: random. */
  botToken?: string;
  /** Where interactions are delivered (the Worker's `/interactions`); can be set later. */
  interactionsUrl?: string;
  /** Per interaction token. Default 5 requests per 2 s. */
  rateLimit?: RateLimitSettings;
  /** Default 15 minutes. */
  tokenLifetimeMs?: number;
  /** How long the bot may take to answer an interaction, in real ms. Default 3000. */
  answerTimeoutMs?: number;
  now?: Clock;
  port?: number;
  logCap?: number;
}

export interface InteractionResult {
  /** The bot's HTTP status; 0 when no answer arrived. */
  status: number;
  /** The bot's answer: parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  /** The interaction as delivered (it holds the token: keep it out of logs). */
  interaction: InteractionPayload;
  /** Why Discord would show "This interaction failed", if it would. */
  failure?: string;
  /** The interaction's original message after the answer, if there is one. */
  message?: DiscordMessage;
}

export interface CommandInput {
  name: string;
  user: DiscordUser;
  /** The user's client language. Default en-US. */
  locale?: string;
  /** Invoke in this server (as `member.user`); in the bot's DM (as `user`) when absent. */
  guild?: GuildRef | string;
  options?: unknown[];
}

export interface ClickInput {
  customId: string;
  /** The message with the button… */
  messageId?: string;
  /** …or the interaction whose original message has it (e.g. `result.interaction` of sendCommand). */
  interaction?: { id: string };
  /** Who clicks. Default: the user of the interaction that created the message. */
  user?: DiscordUser;
  locale?: string;
}

export type SignatureMode = 'valid' | 'invalid' | 'missing';

export interface DiscordStandin {
  readonly url: string;
  /** `<url>/api/v10`: the Worker's DISCORD_API_URL. */
  readonly apiUrl: string;
  readonly applicationId: string;
  /** The Worker's DISCORD_PUBLIC_KEY. */
  readonly publicKeyHex: string;
  readonly botToken: string;
  readonly interactionsUrl: string | undefined;
  setInteractionsUrl(url: string): void;
  /** A user runs a slash command; resolves once the bot answered (or failed to within the answer timeout). */
  sendCommand(input: CommandInput): Promise<InteractionResult>;
  /** A user clicks a button on a message. Rejects if there is no such clickable button for that user. */
  clickButton(input: ClickInput): Promise<InteractionResult>;
  /** Discord's PING, as when the endpoint URL is saved in the Developer Portal. */
  sendPing(): Promise<InteractionResult>;
  /** POSTs `body` as-is to the interactions URL, signed, with a wrong signature, or unsigned. */
  deliverRaw(body: string, options?: { signature?: SignatureMode; timestamp?: string }): Promise<{ status: number; body: string }>;
  message(id: string): DiscordMessage | undefined;
  messages(): DiscordMessage[];
  /** By interaction id or token. */
  interaction(idOrToken: string): InteractionSummary | undefined;
  interactions(): InteractionSummary[];
  /** The first message (existing or future) that matches, e.g. one whose content says "Logged in as". */
  waitForMessage(match: (message: DiscordMessage) => boolean, timeoutMs?: number): Promise<DiscordMessage>;
  /** Registered commands, global or of one server. */
  commands(guildId?: string): RegisteredCommand[];
  injectFault(route: DiscordRoute | '*', fault: DiscordFault, times?: number): void;
  clearFaults(): void;
  readonly traffic: TrafficLog;
  readonly events: EventEmitter<{ change: [DiscordChange] }>;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v10';
const DISCORD_USER_AGENT = 'Discord-Interactions/1.0 (+https://discord.com)';

interface Matched {
  route: DiscordRoute;
  applicationId: string;
  token?: string;
  messageId?: string;
  guildId?: string;
}

/** Matches a path under /api/v10. Without a route, `known` tells a wrong method (405) from a wrong path (404). */
function matchRoute(method: string, path: string): Matched | { route: undefined; known: boolean } {
  const rest = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : undefined;
  if (rest === undefined) return { route: undefined, known: false };
  let m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/.exec(rest);
  if (m) {
    const original = m[3] === '@original';
    const route = ({ GET: original ? 'getOriginal' : 'getMessage', PATCH: original ? 'editOriginal' : 'editMessage', DELETE: original ? 'deleteOriginal' : 'deleteMessage' } as const)[method as 'GET'];
    if (!route) return { route: undefined, known: true };
    return { route, applicationId: m[1]!, token: m[2]!, ...(original ? {} : { messageId: m[3]! }) };
  }
  m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(rest);
  if (m) return method === 'POST' ? { route: 'createFollowup', applicationId: m[1]!, token: m[2]! } : { route: undefined, known: true };
  m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(rest);
  if (m) {
    const route = ({ PUT: 'putCommands', GET: 'getCommands' } as const)[method as 'PUT'];
    if (!route) return { route: undefined, known: true };
    return { route, applicationId: m[1]!, ...(m[2] ? { guildId: m[2] } : {}) };
  }
  return { route: undefined, known: false };
}

const maskPath = (path: string) => path.replace(/^(\/api\/v10\/webhooks\/\d+\/)[^/]+/, `$1${MASK}`);

function findButton(components: unknown, customId: string): Record<string, unknown> | undefined {
  if (!Array.isArray(components)) return undefined;
  for (const component of components) {
    if (!component || typeof component !== 'object') continue;
    const c = component as Record<string, unknown>;
    if (c.type === ComponentKind.Button && c.custom_id === customId) return c;
    const nested = findButton(c.components, customId) ?? findButton(c.accessory ? [c.accessory] : undefined, customId);
    if (nested) return nested;
  }
  return undefined;
}

export async function startDiscordStandin(options: DiscordStandinOptions = {}): Promise<DiscordStandin> {
  const now = options.now ?? systemClock;
  const applicationId = options.applicationId ?? '1234567890123456789';
  const botToken = options.botToken ?? `${Buffer.from(applicationId).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
  const answerTimeoutMs = options.answerTimeoutMs ?? 3_000;
  if (!/^\d{17,20}$/.test(applicationId)) throw new Error('applicationId must be a snowflake');

  const newId = snowflakes(now);
  const keys = generateApplicationKeys();
  const state = new DiscordState({
    applicationId,
    appName: options.appName ?? 'Facebook Login',
    now,
    newId,
    tokenLifetimeMs: options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS,
  });
  const registry = new CommandRegistry(applicationId, newId);
  const buckets = new RateLimitBuckets(options.rateLimit ?? DEFAULT_WEBHOOK_RATE_LIMIT, now);
  const faults = new FaultQueue<DiscordRoute, DiscordFault>();
  const traffic = new TrafficLog(options.logCap);
  const closing = new AbortController();
  const channels = new Map<string, string>();
  let interactionsUrl = options.interactionsUrl;

  const channelFor = (key: string) => {
    let id = channels.get(key);
    if (!id) channels.set(key, (id = newId()));
    return id;
  };

  // ---- Discord -> bot ---------------------------------------------------------------------------------

  function targetUrl(): string {
    if (!interactionsUrl) throw new Error('no interactions URL: pass interactionsUrl or call setInteractionsUrl()');
    return interactionsUrl;
  }

  async function post(body: string, signature: SignatureMode, timestamp: string, note: string) {
    const target = targetUrl();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': DISCORD_USER_AGENT };
    if (signature !== 'missing') {
      // Discord's routine security check sends a well-formed signature over something else.
      headers['x-signature-ed25519'] = keys.sign(timestamp, signature === 'valid' ? body : `${body} `);
      headers['x-signature-timestamp'] = timestamp;
    }
    const started = performance.now();
    const time = now();
    const path = new URL(target).pathname;
    let status = 0;
    let text = '';
    let problem: string | undefined;
    // A plain timer held in this frame, not AbortSignal.any(AbortSignal.timeout(...)): under load Node can collect
    // a composite signal before its timeout fires, and the delivery then waits forever.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, answerTimeoutMs);
    const onClosing = () => controller.abort();
    closing.signal.addEventListener('abort', onClosing);
    try {
      const response = await fetch(target, { method: 'POST', headers, body, signal: controller.signal });
      status = response.status;
      text = await response.text();
    } catch {
      problem = timedOut ? `no answer within ${answerTimeoutMs} ms` : 'the interactions URL could not be reached';
      status = 0;
    } finally {
      clearTimeout(timer);
      closing.signal.removeEventListener('abort', onClosing);
    }
    traffic.add({
      time,
      direction: 'out',
      method: 'POST',
      path,
      route: 'interaction',
      status,
      durationMs: performance.now() - started,
      note: signature === 'valid' ? note : `${note} (${signature} signature)`,
    });
    return { status, text, problem };
  }

  const timestampNow = () => String(Math.floor(now() / 1000));

  async function deliver(payload: InteractionPayload, user: DiscordUser | undefined, note: string, clickedMessageId?: string): Promise<InteractionResult> {
    targetUrl(); // fail before Discord "sends" anything
    state.addInteraction(payload, user ?? { id: '0', username: 'discord' }, clickedMessageId);
    const { status, text, problem } = await post(JSON.stringify(payload), 'valid', timestampNow(), note);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the caller to see.
    }
    const applied = state.applyAnswer(payload.token, status, body, problem);
    return { status, body, interaction: payload, ...applied };
  }

  function where(user: DiscordUser, locale: string | undefined, guild: GuildRef | string | undefined, channelId?: string): InteractionWhere {
    const guildRef = typeof guild === 'string' ? { id: guild } : guild;
    return {
      user,
      locale: locale ?? 'en-US',
      guild: guildRef,
      channelId: channelId ?? channelFor(guildRef ? `guild:${guildRef.id}` : `dm:${user.id}`),
    };
  }

  function sendCommand(input: CommandInput): Promise<InteractionResult> {
    const id = newId();
    const at = where(input.user, input.locale, input.guild);
    const payload = commandPayload({
      id,
      applicationId,
      token: newInteractionToken(id),
      commandId: registry.idFor(input.name, at.guild?.id),
      name: input.name,
      ...(input.options ? { options: input.options } : {}),
      where: at,
    });
    return deliver(payload, input.user, `/${input.name}`);
  }

  async function clickButton(input: ClickInput): Promise<InteractionResult> {
    const messageId = input.messageId ?? (input.interaction && state.interaction(input.interaction.id)?.originalMessageId);
    const message = messageId ? state.message(messageId) : undefined;
    const audience = messageId ? state.messageAudience(messageId) : undefined;
    if (!message || !audience) throw new Error('no such message to click on');
    const button = findButton(message.components, input.customId);
    if (!button) throw new Error(`the message has no button with custom_id ${JSON.stringify(input.customId)}`);
    if (button.disabled === true) throw new Error('that button is disabled');
    const user = input.user ?? audience.user;
    if (audience.ephemeral && user.id !== audience.userId) throw new Error('only the user who ran the command can see this ephemeral message');

    // A click happens where the message is: same server (or DM) and channel as the interaction that made it.
    const source = state.payload(audience.interactionId);
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const guildId = text(source?.guild_id);
    const guild = guildId ? { id: guildId, locale: text(source?.guild_locale) ?? 'en-US' } : undefined;
    const id = newId();
    const payload = componentPayload({
      id,
      applicationId,
      token: newInteractionToken(id),
      customId: input.customId,
      message,
      where: where(user, input.locale ?? text(source?.locale), guild, message.channel_id),
    });
    return deliver(payload, user, `button ${input.customId}`, message.id);
  }

  function sendPing(): Promise<InteractionResult> {
    const id = newId();
    return deliver(pingPayload({ id, applicationId, token: newInteractionToken(id) }), undefined, 'PING');
  }

  async function deliverRaw(body: string, rawOptions: { signature?: SignatureMode; timestamp?: string } = {}) {
    const { status, text } = await post(body, rawOptions.signature ?? 'valid', rawOptions.timestamp ?? timestampNow(), 'raw');
    return { status, body: text };
  }

  // ---- bot -> Discord ---------------------------------------------------------------------------------

  function webhook(matched: Matched, body: Record<string, unknown>): WebhookAnswer {
    const { applicationId: app, token = '', messageId = '' } = matched;
    switch (matched.route) {
      case 'getOriginal':
        return state.getOriginal(app, token);
      case 'editOriginal':
        return state.editOriginal(app, token, body);
      case 'deleteOriginal':
        return state.deleteOriginal(app, token);
      case 'createFollowup':
        return state.createFollowup(app, token, body);
      case 'getMessage':
        return state.getMessage(app, token, messageId);
      case 'editMessage':
        return state.editMessage(app, token, messageId, body);
      case 'deleteMessage':
        return state.deleteMessage(app, token, messageId);
      default:
        throw new Error(`not a webhook route: ${matched.route}`);
    }
  }

  function commandsRoute(matched: Matched, request: IncomingMessage, body: unknown): WebhookAnswer {
    if (request.headers.authorization !== `Bot ${botToken}`) return errors.unauthorized();
    if (matched.applicationId !== applicationId) return errors.missingAccess();
    if (matched.route === 'getCommands') return { status: 200, body: registry.list(matched.guildId) };
    const problems = validateCommands(body);
    if (problems) return errors.invalidFormBody(problems.root);
    return { status: 200, body: registry.overwrite(body as Record<string, unknown>[], matched.guildId) };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = now();
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const matched = matchRoute(method, path);
    const raw = await readBody(request, 1024 * 1024);
    let logBody: unknown;
    const finish = (status: number, value: unknown, headers: Record<string, string> = {}, fault?: string) => {
      if (value === undefined) send(response, status, '', headers);
      else sendJson(response, status, value, headers);
      if (matched.route && 'token' in matched && matched.token) state.countRequest(matched.token, status === 429);
      traffic.add({
        time,
        direction: 'in',
        method,
        path: maskPath(path),
        route: matched.route,
        status,
        ...(logBody !== undefined ? { body: logBody } : {}),
        ...(fault ? { fault } : {}),
        durationMs: performance.now() - started,
      });
    };

    if (!(request.headers['user-agent'] ?? '').startsWith('DiscordBot (')) {
      const blocked = errors.cloudflareBlock();
      return finish(blocked.status, blocked.body);
    }
    if (!matched.route) {
      const problem = matched.known ? errors.methodNotAllowed() : errors.notFound();
      return finish(problem.status, problem.body);
    }

    const fault = faults.take(matched.route);
    if (fault?.kind === 'hang') {
      if (matched.token) state.countRequest(matched.token, false);
      traffic.add({ time, direction: 'in', method, path: maskPath(path), route: matched.route, status: 0, fault: 'hang', durationMs: 0 });
      return; // closeAllConnections() ends it when the stand-in closes.
    }
    if (fault?.kind === 'delay') {
      try {
        await sleep(fault.ms, undefined, { signal: closing.signal });
      } catch {
        response.destroy();
        return;
      }
    }
    if (fault?.kind === 'serverError') {
      const failure = errors.serverError();
      return finish(failure.status, failure.body, {}, fault.kind);
    }
    if (fault?.kind === 'rateLimited') {
      const limited = errors.rateLimited(fault.retryAfter, fault.global ?? false);
      const headers: Record<string, string> = {
        'retry-after': String(Math.ceil(fault.retryAfter)),
        'x-ratelimit-scope': fault.global ? 'global' : 'user',
        ...(fault.global ? { 'x-ratelimit-global': 'true' } : {}),
      };
      return finish(limited.status, limited.body, headers, fault.kind);
    }

    let rateHeaders: Record<string, string> = {};
    if (matched.token) {
      const decision = buckets.take(`${matched.applicationId}/${matched.token}`);
      rateHeaders = decision.headers;
      if (!decision.allowed) {
        const limited = errors.rateLimited(decision.retryAfter, false);
        return finish(limited.status, limited.body, rateHeaders, fault?.kind);
      }
    }

    let body: unknown = {};
    if (method === 'PATCH' || method === 'POST' || method === 'PUT') {
      if (mediaType(request) !== 'application/json') {
        const invalid = errors.invalidContentType();
        return finish(invalid.status, invalid.body, rateHeaders, fault?.kind);
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        const invalid = errors.invalidJson();
        return finish(invalid.status, invalid.body, rateHeaders, fault?.kind);
      }
      logBody = body;
    }

    let result: WebhookAnswer;
    if (matched.route === 'putCommands' || matched.route === 'getCommands') result = commandsRoute(matched, request, body);
    else if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      result = errors.invalidFormBody({ _errors: [{ code: 'MODEL_TYPE_CONVERT', message: 'Only dictionaries may be used in a ModelType' }] });
    } else result = webhook(matched, body as Record<string, unknown>);
    finish(result.status, result.body, rateHeaders, fault?.kind);
  }

  const server = await listenOnLoopback(handle, {
    port: options.port,
    // A bug in the stand-in shows up in its log (a 500 with the error), never on the console.
    onError: (error, request) =>
      traffic.add({
        time: now(),
        direction: 'in',
        method: request.method ?? '?',
        path: maskPath(new URL(request.url ?? '/', 'http://127.0.0.1').pathname),
        route: undefined,
        status: 500,
        durationMs: 0,
        note: `stand-in error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      }),
  });

  return {
    url: server.url,
    apiUrl: `${server.url}${API_PREFIX}`,
    applicationId,
    publicKeyHex: keys.publicKeyHex,
    botToken,
    get interactionsUrl() {
      return interactionsUrl;
    },
    setInteractionsUrl(url) {
      interactionsUrl = url;
    },
    sendCommand,
    clickButton,
    sendPing,
    deliverRaw,
    message: (id) => state.message(id),
    messages: () => state.messages(),
    interaction: (idOrToken) => state.interaction(idOrToken),
    interactions: () => state.interactions(),
    waitForMessage(match, timeoutMs = 10_000) {
      return waitForEvent<DiscordMessage, [DiscordChange]>(
        state,
        'change',
        (change?: DiscordChange) => {
          if (!change) return state.messages().find(match);
          return change.kind === 'message' && change.action !== 'deleted' && match(change.message) ? change.message : undefined;
        },
        'a matching Discord message',
        timeoutMs,
      );
    },
    commands: (guildId) => registry.list(guildId),
    injectFault: (route, fault, times) => faults.add(route, fault, times),
    clearFaults: () => faults.clear(),
    traffic,
    events: state,
    close() {
      closing.abort();
      return server.close();
    },
  };
}
