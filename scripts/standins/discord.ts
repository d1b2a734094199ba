/**
 * A local stand-in for Discord's side of HTTP interactions (PLATFORM.md §4): it owns the application's key
 * pair and delivers signed interactions to the bot, keeps the resulting messages as Discord would, and serves
 * the bot-facing REST routes under /api/v10 (interaction webhooks, command registration) with Discord's error
 * codes, limits and rate-limit headers. Start it with {@link startDiscordStandin}; point the Worker's
 * DISCORD_API_URL at `apiUrl` and DISCORD_PUBLIC_KEY at `publicKeyHex`.
 *
 * It also plays Discord's OAuth2 and Linked Roles side (PLATFORM.md §8): the consent page at
 * `{webUrl}/oauth2/authorize` (the Worker's DISCORD_WEB_URL), the token, revoke and `@me` routes, role connection
 * metadata (bot token) and each user's role connection (bearer token); see discord-oauth2.ts and
 * discord-role-connections.ts for the rules and the choices made where Discord documents none.
 *
 * Defaults: webhook bucket of 5 requests per 2 s per interaction token (see discord-rate-limit.ts); tokens
 * live 15 minutes; the bot has 3 s to answer an interaction (real time, not the injectable clock); OAuth2 access
 * tokens live 7 days and codes 100 s (stand-in clock).
 * Requests to bot-token and webhook routes need a `DiscordBot (…)` User-Agent (else 40333); OAuth2 and bearer
 * routes do not, as Discord's own OAuth2 samples send none.
 * Not modelled: the interaction callback endpoint (`POST /interactions/{id}/{token}/callback`), modals,
 * attachments, the global rate limit (interaction routes are exempt), the 5-follow-up cap for user installs,
 * the implicit and client-credentials grants, rate limits on the OAuth2 and bearer routes.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../lib/clock.ts';
import { FaultQueue, type DelayFault, type TransportFault } from '../lib/faults.ts';
import { listenOnLoopback, mediaType, readBody, send, sendJson } from '../lib/http.ts';
import { MASK, maskParams } from '../lib/mask.ts';
import { snowflakes } from '../lib/snowflake.ts';
import { TrafficLog } from '../lib/traffic-log.ts';
import { waitForEvent } from '../lib/wait.ts';
import { CommandRegistry, validateCommands, type RegisteredCommand } from './discord-commands.ts';
import * as errors from './discord-errors.ts';
import { generateApplicationKeys } from './discord-keys.ts';
import { ComponentKind } from './discord-limits.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS, CODE_LIFETIME_MS, OAuth2Server, type GrantChange, type GrantSummary } from './discord-oauth2.ts';
import { consentPage, notLoggedInPage, oauthErrorPage } from './discord-oauth2-pages.ts';
import {
  apiUser,
  autocompletePayload,
  commandPayload,
  componentPayload,
  newInteractionToken,
  optionList,
  pingPayload,
  type DiscordUser,
  type GuildRef,
  type InteractionPayload,
  type InteractionWhere,
  type OptionValues,
} from './discord-payloads.ts';
import { DEFAULT_WEBHOOK_RATE_LIMIT, RateLimitBuckets, type RateLimitSettings } from './discord-rate-limit.ts';
import {
  MetadataType,
  RoleConnections,
  type ApiAnswer,
  type MetadataRecord,
  type RoleConnectionChange,
  type RoleRequirement,
  type StoredRoleConnection,
} from './discord-role-connections.ts';
import {
  DiscordState,
  TOKEN_LIFETIME_MS,
  type AutocompleteChoice,
  type DiscordChange,
  type DiscordMessage,
  type InteractionSummary,
  type WebhookAnswer,
} from './discord-state.ts';

export type {
  AutocompleteChoice,
  DiscordChange,
  DiscordMessage,
  DiscordUser,
  GrantChange,
  GrantSummary,
  GuildRef,
  InteractionPayload,
  InteractionSummary,
  OptionValues,
  MetadataRecord,
  RegisteredCommand,
  RoleConnectionChange,
  RoleRequirement,
  StoredRoleConnection,
};
export { MetadataType };

export type DiscordRoute =
  | 'getOriginal'
  | 'editOriginal'
  | 'deleteOriginal'
  | 'createFollowup'
  | 'getMessage'
  | 'editMessage'
  | 'deleteMessage'
  | 'putCommands'
  | 'getCommands'
  /** The browser's `GET`/`POST {webUrl}/oauth2/authorize` (the consent page and the user's decision). */
  | 'authorize'
  | 'oauth2Token'
  | 'oauth2Revoke'
  | 'oauth2Me'
  | 'usersMe'
  | 'putRoleConnectionMetadata'
  | 'getRoleConnectionMetadata'
  | 'getRoleConnection'
  | 'putRoleConnection'
  | 'deleteRoleConnection';

/** `change`: interactions and messages; `roleConnection`: metadata records and users' connections; `grant`: OAuth2 grants. */
export type DiscordEvents = {
  change: [DiscordChange];
  roleConnection: [RoleConnectionChange];
  grant: [GrantChange];
};

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
  /** What `Authorization: Bot <token>` must carry on command and metadata registration. Default: random. */
  botToken?: string;
  /** The OAuth2 client secret (Developer Portal › OAuth2). Default: random. */
  clientSecret?: string;
  /** The registered OAuth2 redirects (exact match); more with allowRedirectUri(). */
  oauth2RedirectUris?: readonly string[];
  /** Who is logged in to Discord in the browser that opens the consent page. Default: the first user the stand-in knows. */
  webUser?: DiscordUser;
  /** `expires_in` of OAuth2 access tokens. Default 604800 (7 days). */
  accessTokenLifetimeSeconds?: number;
  /** How long an authorization code can be exchanged. Default 100 s. */
  authorizationCodeLifetimeMs?: number;
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
  /**
   * Origins that may show the consent pages in a frame (a playground's "phone"), by `frame-ancestors`. Default
   * none: `X-Frame-Options: DENY`, as discord.com answers.
   */
  frameAncestors?: readonly string[];
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
  /** `{ provider: 'github' }` (see `optionList`), or the raw list as Discord sends it. */
  options?: OptionValues | unknown[];
}

export interface AutocompleteInput {
  /** The command being typed, e.g. `login`. */
  name: string;
  user: DiscordUser;
  /** What is typed so far in each option, e.g. `{ provider: 'gi' }`; the focused one may be ''. */
  options: OptionValues;
  /** The option the user is typing in (Discord marks it `focused: true`). */
  focused: string;
  locale?: string;
  guild?: GuildRef | string;
}

export interface AutocompleteResult extends InteractionResult {
  /** The choices the bot offered, as Discord shows them (in order); undefined when it failed to answer. */
  choices?: AutocompleteChoice[];
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

export type ConsentDecision = 'authorize' | 'cancel';

export interface DiscordStandin {
  readonly url: string;
  /** `<url>/api/v10`: the Worker's DISCORD_API_URL. */
  readonly apiUrl: string;
  /** Same as `url`: where `/oauth2/authorize` is (the Worker's DISCORD_WEB_URL). */
  readonly webUrl: string;
  /** Also the OAuth2 client_id. */
  readonly applicationId: string;
  /** The Worker's DISCORD_PUBLIC_KEY. */
  readonly publicKeyHex: string;
  readonly botToken: string;
  /** The OAuth2 client secret. */
  readonly clientSecret: string;
  readonly interactionsUrl: string | undefined;
  setInteractionsUrl(url: string): void;
  /** A user runs a slash command; resolves once the bot answered (or failed to within the answer timeout). */
  sendCommand(input: CommandInput): Promise<InteractionResult>;
  /**
   * A user types in an autocompleted option (`/login provider:gi`): Discord asks the bot for choices (type 4) and
   * shows what it answers (type 8). Resolves with the choices once the bot answered, or with the failure.
   */
  sendAutocomplete(input: AutocompleteInput): Promise<AutocompleteResult>;
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

  // ---- OAuth2 and Linked Roles --------------------------------------------------------------------------
  /** Registers an OAuth2 redirect (e.g. the Worker's callback, once its URL is known). */
  allowRedirectUri(uri: string): void;
  redirectUris(): string[];
  /** Who is logged in to Discord in the browser: the consent page acts as this user. */
  setWebUser(user: DiscordUser): void;
  /** The consent page's acting user: the one set, else the first user the stand-in met (options, interactions). */
  webUser(): DiscordUser | undefined;
  /**
   * The browser part of an authorize link, without a browser: `user` presses Authorize (or Cancel) on the consent
   * page. Resolves with the Location Discord redirects to (the redirect_uri with `code`, or with an error). Rejects
   * when Discord shows an error page instead (unknown client_id, unregistered redirect_uri).
   */
  authorize(authorizeUrl: string, user: DiscordUser, decision?: ConsentDecision): Promise<string>;
  /** Token families issued so far (no token values), oldest first. */
  grants(): GrantSummary[];
  /** Moves the expiry of the access tokens (of `userId`, or everyone's) to now; returns how many families. */
  expireAccessTokens(userId?: string): number;
  /** The user deauthorizes the app in Discord's settings: every token of theirs stops working, their connection goes. */
  revokeGrant(userId: string): number;
  /** What the app stored for the user (`PUT …/role-connection`), or undefined. */
  roleConnection(userId: string): StoredRoleConnection | undefined;
  roleConnectionMetadata(): MetadataRecord[];
  /** Whether the user would get a role with this requirement (see discord-role-connections.ts). */
  meetsRequirement(userId: string, requirement: RoleRequirement): boolean;
  /** The user's connection once it exists and matches (e.g. has a certain metadata value). */
  waitForRoleConnection(userId: string, match?: (connection: StoredRoleConnection) => boolean, timeoutMs?: number): Promise<StoredRoleConnection>;
  /** The user's connection once it meets `requirement`, checked on every role connection change. */
  waitForRequirement(userId: string, requirement: RoleRequirement, timeoutMs?: number): Promise<StoredRoleConnection>;

  readonly traffic: TrafficLog;
  readonly events: EventEmitter<DiscordEvents>;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v10';
const DISCORD_USER_AGENT = 'Discord-Interactions/1.0 (+https://discord.com)';

interface Matched {
  route: DiscordRoute;
  applicationId?: string;
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
  m = /^\/applications\/(\d+)\/role-connections\/metadata$/.exec(rest);
  if (m) {
    const route = ({ PUT: 'putRoleConnectionMetadata', GET: 'getRoleConnectionMetadata' } as const)[method as 'PUT'];
    return route ? { route, applicationId: m[1]! } : { route: undefined, known: true };
  }
  m = /^\/users\/@me\/applications\/(\d+)\/role-connection$/.exec(rest);
  if (m) {
    const route = ({ GET: 'getRoleConnection', PUT: 'putRoleConnection', DELETE: 'deleteRoleConnection' } as const)[method as 'PUT'];
    return route ? { route, applicationId: m[1]! } : { route: undefined, known: true };
  }
  const single = ({ '/oauth2/token': ['POST', 'oauth2Token'], '/oauth2/token/revoke': ['POST', 'oauth2Revoke'], '/oauth2/@me': ['GET', 'oauth2Me'], '/users/@me': ['GET', 'usersMe'] } as const)[
    rest as '/users/@me'
  ];
  if (single) return single[0] === method ? { route: single[1] } : { route: undefined, known: true };
  return { route: undefined, known: false };
}

/** How a route authenticates, which decides its User-Agent rule and how its body is read. */
function routeKind(route: DiscordRoute): 'webhook' | 'bot' | 'form' | 'bearer' | 'web' {
  switch (route) {
    case 'putCommands':
    case 'getCommands':
    case 'putRoleConnectionMetadata':
    case 'getRoleConnectionMetadata':
      return 'bot';
    case 'oauth2Token':
    case 'oauth2Revoke':
      return 'form';
    case 'oauth2Me':
    case 'usersMe':
    case 'getRoleConnection':
    case 'putRoleConnection':
    case 'deleteRoleConnection':
      return 'bearer';
    case 'authorize':
      return 'web';
    default:
      return 'webhook';
  }
}

/** Parameters whose values never reach the traffic log. */
const SECRET_PARAMS: ReadonlySet<string> = new Set(['code', 'client_secret', 'refresh_token', 'token', 'access_token', 'code_verifier']);

const AUTHORIZE_PATH = /^(?:\/api(?:\/v\d+)?)?\/oauth2\/authorize$/;

const discordTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000+00:00');

const HTML_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The page's URL and the redirect carry codes and state: no Referer, no framing.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

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
  const appName = options.appName ?? 'Facebook Login';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const state = new DiscordState({
    applicationId,
    appName,
    now,
    newId,
    tokenLifetimeMs: options.tokenLifetimeMs ?? TOKEN_LIFETIME_MS,
  });
  const events = new EventEmitter<DiscordEvents>();
  events.setMaxListeners(0); // live views, tests and waiters all listen
  state.on('change', (change) => events.emit('change', change));
  const roles = new RoleConnections({ now, onChange: (change) => events.emit('roleConnection', change) });
  const oauth2 = new OAuth2Server({
    applicationId,
    clientSecret,
    now,
    newId,
    redirectUris: options.oauth2RedirectUris ?? [],
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS,
    codeLifetimeMs: options.authorizationCodeLifetimeMs ?? CODE_LIFETIME_MS,
    onChange: (change) => {
      events.emit('grant', change);
      // The connection belongs to the user's authorization of the app and goes with it.
      if (change.action === 'revoked') roles.deleteConnection(change.grant.userId, 'deauthorized');
    },
  });
  // Everyone the stand-in has met, in order: the consent page's default user is the first.
  const knownUsers = new Map<string, DiscordUser>();
  const rememberUser = (user: DiscordUser) => knownUsers.set(user.id, { ...user });
  let chosenWebUser: DiscordUser | undefined;
  if (options.webUser) {
    rememberUser(options.webUser);
    chosenWebUser = options.webUser;
  }
  const currentWebUser = () => (chosenWebUser ? knownUsers.get(chosenWebUser.id) : knownUsers.values().next().value);
  const registry = new CommandRegistry(applicationId, newId);
  const buckets = new RateLimitBuckets(options.rateLimit ?? DEFAULT_WEBHOOK_RATE_LIMIT, now);
  const faults = new FaultQueue<DiscordRoute, DiscordFault>();
  const traffic = new TrafficLog(options.logCap);
  const closing = new AbortController();
  const channels = new Map<string, string>();
  const htmlHeaders: Record<string, string> = { ...HTML_HEADERS };
  if (options.frameAncestors?.length) {
    delete htmlHeaders['x-frame-options'];
    htmlHeaders['content-security-policy'] = `frame-ancestors ${options.frameAncestors.join(' ')}`;
  }
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
    if (user && !knownUsers.has(user.id)) rememberUser(user);
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
    const options = input.options === undefined || Array.isArray(input.options) ? input.options : optionList(input.options);
    const payload = commandPayload({
      id,
      applicationId,
      token: newInteractionToken(id),
      commandId: registry.idFor(input.name, at.guild?.id),
      name: input.name,
      ...(options && options.length > 0 ? { options } : {}),
      where: at,
    });
    return deliver(payload, input.user, `/${input.name}`);
  }

  async function sendAutocomplete(input: AutocompleteInput): Promise<AutocompleteResult> {
    if (!(input.focused in input.options)) throw new Error(`the focused option ${JSON.stringify(input.focused)} is not among the options`);
    const id = newId();
    const at = where(input.user, input.locale, input.guild);
    const payload = autocompletePayload({
      id,
      applicationId,
      token: newInteractionToken(id),
      commandId: registry.idFor(input.name, at.guild?.id),
      name: input.name,
      options: optionList(input.options, input.focused),
      where: at,
    });
    const result = await deliver(payload, input.user, `autocomplete /${input.name} ${input.focused}`);
    const choices = state.interaction(id)?.choices;
    return { ...result, ...(choices ? { choices } : {}) };
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
    const { applicationId: app = '', token = '', messageId = '' } = matched;
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

  function metadataRoute(matched: Matched, request: IncomingMessage, body: unknown): WebhookAnswer {
    if (request.headers.authorization !== `Bot ${botToken}`) return errors.unauthorized();
    if (matched.applicationId !== applicationId) return errors.missingAccess();
    if (matched.route === 'getRoleConnectionMetadata') return { status: 200, body: roles.metadata() };
    return roles.putMetadata(body);
  }

  /** `POST /oauth2/token` and `/oauth2/token/revoke`: form parameters, client authentication, RFC 6749 errors. */
  function tokenRoute(matched: Matched, request: IncomingMessage, params: Record<string, string>): ApiAnswer & { note?: string } {
    const isToken = matched.route === 'oauth2Token';
    if (isToken && params.grant_type !== 'authorization_code' && params.grant_type !== 'refresh_token') {
      // What Discord answers a JSON body too: it reads no grant_type from it (discord-api-docs#5249).
      const name = params.grant_type === undefined ? 'None' : params.grant_type;
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Grant type ${name} is not supported` }, note: 'unsupported_grant_type' };
    }
    const refused = oauth2.authenticateClient(params, request.headers.authorization);
    if (refused) return refused;
    if (!isToken) return oauth2.revokeToken(params);
    return params.grant_type === 'authorization_code' ? oauth2.exchangeCode(params) : oauth2.refresh(params);
  }

  function applicationObject(): Record<string, unknown> {
    return {
      id: applicationId,
      name: appName,
      icon: null,
      description: '',
      type: null,
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: keys.publicKeyHex,
      flags: 0,
      hook: true,
    };
  }

  /** Routes a user's OAuth2 access token opens: `@me`s and the user's role connection. */
  function bearerRoute(matched: Matched, request: IncomingMessage, body: unknown): ApiAnswer & { note?: string } {
    if (matched.route === 'usersMe' && request.headers.authorization === `Bot ${botToken}`) {
      return { status: 200, body: { ...apiUser({ id: applicationId, username: appName }), bot: true, flags: 0, mfa_enabled: false, locale: 'en-US' } };
    }
    const check = oauth2.bearer(request.headers.authorization);
    if (!check.ok) return { ...errors.unauthorized(), note: `${check.why} token` };
    const { user, scopes, expiresAt } = check.grant;
    const missing = (scope: string) => ({ ...errors.unauthorized(), note: `no ${scope} scope` });
    switch (matched.route) {
      case 'oauth2Me':
        return {
          status: 200,
          body: { application: applicationObject(), scopes, expires: discordTime(expiresAt), ...(scopes.includes('identify') ? { user: apiUser(user) } : {}) },
        };
      case 'usersMe':
        if (!scopes.includes('identify')) return missing('identify');
        return {
          status: 200,
          body: {
            ...apiUser(user),
            flags: 0,
            banner: null,
            accent_color: null,
            banner_color: null,
            avatar_decoration_data: null,
            mfa_enabled: false,
            locale: 'en-US',
            premium_type: 0,
            ...(scopes.includes('email') ? { email: `${user.username}@users.discord.test`, verified: true } : {}),
          },
        };
      default:
        break;
    }
    // The scope is granted per application: a token of this app opens only this app's role connection.
    if (matched.applicationId !== applicationId || !scopes.includes('role_connections.write')) return missing('role_connections.write');
    if (matched.route === 'getRoleConnection') return roles.getConnection(user.id);
    if (matched.route === 'deleteRoleConnection') {
      roles.deleteConnection(user.id, 'delete');
      return { status: 204 };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return errors.invalidFormBody({ _errors: [{ code: 'MODEL_TYPE_CONVERT', message: 'Only dictionaries may be used in a ModelType' }] });
    }
    return roles.putConnection(user.id, body as Record<string, unknown>);
  }

  /** Applies an injected fault. Returns true when the request was answered (or left hanging) by it. */
  async function applyFault(
    fault: DiscordFault | undefined,
    response: ServerResponse,
    finish: (status: number, value: unknown, headers?: Record<string, string>, fault?: string) => void,
    onHang: () => void,
  ): Promise<boolean> {
    if (fault?.kind === 'hang') {
      onHang();
      return true; // closeAllConnections() ends it when the stand-in closes.
    }
    if (fault?.kind === 'delay') {
      try {
        await sleep(fault.ms, undefined, { signal: closing.signal });
      } catch {
        response.destroy();
        return true;
      }
    }
    if (fault?.kind === 'serverError') {
      const failure = errors.serverError();
      finish(failure.status, failure.body, {}, fault.kind);
      return true;
    }
    if (fault?.kind === 'rateLimited') {
      const limited = errors.rateLimited(fault.retryAfter, fault.global ?? false);
      const headers: Record<string, string> = {
        'retry-after': String(Math.ceil(fault.retryAfter)),
        'x-ratelimit-scope': fault.global ? 'global' : 'user',
        ...(fault.global ? { 'x-ratelimit-global': 'true' } : {}),
      };
      finish(limited.status, limited.body, headers, fault.kind);
      return true;
    }
    return false;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (!path.startsWith('/api/') || AUTHORIZE_PATH.test(path)) return handleWeb(request, response);
    const started = performance.now();
    const time = now();
    const method = request.method ?? 'GET';
    const matched = matchRoute(method, path);
    const kind = matched.route ? routeKind(matched.route) : undefined;
    const raw = await readBody(request, 1024 * 1024);
    let logBody: unknown;
    let logParams: Record<string, string> | undefined;
    let logNote: string | undefined;
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
        ...(logParams !== undefined ? { params: logParams } : {}),
        ...(logBody !== undefined ? { body: logBody } : {}),
        ...(fault ? { fault } : {}),
        durationMs: performance.now() - started,
        ...(logNote ? { note: logNote } : {}),
      });
    };

    if (kind !== 'form' && kind !== 'bearer' && !(request.headers['user-agent'] ?? '').startsWith('DiscordBot (')) {
      const blocked = errors.cloudflareBlock();
      return finish(blocked.status, blocked.body);
    }
    if (!matched.route) {
      const problem = matched.known ? errors.methodNotAllowed() : errors.notFound();
      return finish(problem.status, problem.body);
    }

    const fault = faults.take(matched.route);
    const faulted = await applyFault(fault, response, finish, () => {
      if (matched.token) state.countRequest(matched.token, false);
      traffic.add({ time, direction: 'in', method, path: maskPath(path), route: matched.route, status: 0, fault: 'hang', durationMs: 0 });
    });
    if (faulted) return;

    let rateHeaders: Record<string, string> = {};
    if (matched.token) {
      const decision = buckets.take(`${matched.applicationId}/${matched.token}`);
      rateHeaders = decision.headers;
      if (!decision.allowed) {
        const limited = errors.rateLimited(decision.retryAfter, false);
        return finish(limited.status, limited.body, rateHeaders, fault?.kind);
      }
    }

    if (kind === 'form') {
      // Form-encoded only (developers/topics/oauth2.mdx); any other body yields no parameters at all.
      const params: Record<string, string> =
        mediaType(request) === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) : {};
      logParams = maskParams(params, SECRET_PARAMS);
      if (request.headers.authorization?.startsWith('Basic ')) logNote = 'client auth: basic';
      const result = tokenRoute(matched, request, params);
      if (result.note) logNote = logNote ? `${logNote}; ${result.note}` : result.note;
      return finish(result.status, result.body, { 'cache-control': 'no-store', pragma: 'no-cache' }, fault?.kind);
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

    let result: WebhookAnswer & { note?: string };
    if (matched.route === 'putCommands' || matched.route === 'getCommands') result = commandsRoute(matched, request, body);
    else if (kind === 'bot') result = metadataRoute(matched, request, body);
    else if (kind === 'bearer') result = bearerRoute(matched, request, body);
    else if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      result = errors.invalidFormBody({ _errors: [{ code: 'MODEL_TYPE_CONVERT', message: 'Only dictionaries may be used in a ModelType' }] });
    } else result = webhook(matched, body as Record<string, unknown>);
    if (result.note) logNote = result.note;
    finish(result.status, result.body, rateHeaders, fault?.kind);
  }

  // ---- the browser on discord.com ---------------------------------------------------------------------

  /** `GET /oauth2/authorize` shows the consent page; `POST` is the user's decision on it. */
  async function handleWeb(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const isAuthorize = AUTHORIZE_PATH.test(url.pathname);
    const raw = await readBody(request, 64 * 1024);
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (method === 'POST' && mediaType(request) === 'application/x-www-form-urlencoded') {
      Object.assign(params, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
    }
    const finish = (status: number, html: string | undefined, extra: { location?: string; note?: string; fault?: string } = {}) => {
      const headers: Record<string, string> = { ...htmlHeaders, ...(extra.location ? { location: extra.location } : {}) };
      send(response, status, html ?? '', headers);
      traffic.add({
        time,
        direction: 'in',
        method,
        path: url.pathname,
        route: isAuthorize ? 'authorize' : undefined,
        status,
        params: maskParams(params, SECRET_PARAMS),
        ...(extra.fault ? { fault: extra.fault } : {}),
        durationMs: performance.now() - started,
        ...(extra.note ? { note: extra.note } : {}),
      });
    };

    if (!isAuthorize) return finish(404, oauthErrorPage('Page not found', 'The stand-in serves only /oauth2/authorize here.'));
    if (method !== 'GET' && method !== 'POST') return finish(405, oauthErrorPage('Method not allowed', `${method} is not allowed here.`));
    const fault = faults.take('authorize');
    const faulted = await applyFault(
      fault,
      response,
      (status, _value, headers = {}, kind) => {
        send(response, status, oauthErrorPage('Something went wrong', `HTTP ${status} from the stand-in (injected fault).`), { ...htmlHeaders, ...headers });
        traffic.add({ time, direction: 'in', method, path: url.pathname, route: 'authorize', status, ...(kind ? { fault: kind } : {}), durationMs: performance.now() - started });
      },
      () => traffic.add({ time, direction: 'in', method, path: url.pathname, route: 'authorize', status: 0, fault: 'hang', durationMs: 0 }),
    );
    if (faulted) return;
    const faultKind = fault ? { fault: fault.kind } : {};

    const check = oauth2.checkAuthorize(params);
    if (check.kind === 'page') return finish(400, oauthErrorPage(check.title, check.text), { note: check.title, ...faultKind });
    if (check.kind === 'redirect') return finish(302, undefined, { location: check.location, note: check.error, ...faultKind });
    const { request: authorizeRequest } = check;

    if (method === 'GET') {
      const user = currentWebUser();
      if (!user) return finish(200, notLoggedInPage(), { note: 'nobody logged in', ...faultKind });
      if (authorizeRequest.prompt === 'none' && oauth2.hasAuthorized(user.id, authorizeRequest.scopes)) {
        return finish(302, undefined, { location: oauth2.approve(authorizeRequest, user), note: 'already authorized', ...faultKind });
      }
      const otherUsers = [...knownUsers.values()].filter((candidate) => candidate.id !== user.id);
      const page = consentPage({ appName, applicationId, user, otherUsers, scopes: authorizeRequest.scopes, redirectUri: authorizeRequest.redirectUri, params });
      return finish(200, page, { note: 'consent page', ...faultKind });
    }
    const user = knownUsers.get(params.user_id ?? '');
    if (!user) return finish(400, oauthErrorPage('Unknown user', 'The stand-in does not know the user this decision is for.'), { note: 'unknown user', ...faultKind });
    if (params.action === 'authorize') return finish(302, undefined, { location: oauth2.approve(authorizeRequest, user), note: 'authorized', ...faultKind });
    if (params.action === 'cancel') return finish(302, undefined, { location: oauth2.deny(authorizeRequest), note: 'access_denied', ...faultKind });
    return finish(400, oauthErrorPage('Unknown decision', 'Press Authorize or Cancel.'), { note: 'no decision', ...faultKind });
  }

  async function authorize(authorizeUrl: string, user: DiscordUser, decision: ConsentDecision = 'authorize'): Promise<string> {
    const target = new URL(authorizeUrl);
    if (target.origin !== server.url || !AUTHORIZE_PATH.test(target.pathname)) throw new Error(`not an authorize link of this stand-in: ${target.origin}${target.pathname}`);
    rememberUser(user);
    const form = new URLSearchParams(target.searchParams);
    form.set('action', decision);
    form.set('user_id', user.id);
    const response = await fetch(`${server.url}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const location = response.headers.get('location');
    if (response.status !== 302 || !location) {
      const title = /<h1[^>]*>([^<]*)<\/h1>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
      throw new Error(`Discord refused the authorize link: ${title}`);
    }
    return location;
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
    webUrl: server.url,
    applicationId,
    publicKeyHex: keys.publicKeyHex,
    botToken,
    clientSecret,
    get interactionsUrl() {
      return interactionsUrl;
    },
    setInteractionsUrl(url) {
      interactionsUrl = url;
    },
    sendCommand,
    sendAutocomplete,
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
    allowRedirectUri: (uri) => oauth2.allowRedirectUri(uri),
    redirectUris: () => oauth2.redirectUris(),
    setWebUser(user) {
      rememberUser(user);
      chosenWebUser = user;
    },
    webUser: () => currentWebUser(),
    authorize,
    grants: () => oauth2.grants(),
    expireAccessTokens: (userId) => oauth2.expireAccessTokens(userId),
    revokeGrant: (userId) => oauth2.revokeUser(userId, 'user'),
    roleConnection: (userId) => roles.connection(userId),
    roleConnectionMetadata: () => roles.metadata(),
    meetsRequirement: (userId, requirement) => roles.meetsRequirement(userId, requirement),
    async waitForRoleConnection(userId, match = () => true, timeoutMs = 10_000) {
      return waitForEvent<StoredRoleConnection, [RoleConnectionChange]>(
        events,
        'roleConnection',
        () => {
          const connection = roles.connection(userId);
          return connection && match(connection) ? connection : undefined;
        },
        `a matching role connection of user ${userId}`,
        timeoutMs,
      );
    },
    async waitForRequirement(userId, requirement, timeoutMs = 10_000) {
      return waitForEvent<StoredRoleConnection, [RoleConnectionChange]>(
        events,
        'roleConnection',
        () => {
          // The records may be registered later: until then the requirement cannot be met.
          if (!roles.metadata().some((record) => record.key === requirement.key)) return undefined;
          return roles.meetsRequirement(userId, requirement) ? roles.connection(userId) : undefined;
        },
        `user ${userId} to meet the requirement on ${requirement.key}`,
        timeoutMs,
      );
    },
    traffic,
    events,
    close() {
      closing.abort();
      return server.close();
    },
  };
}
