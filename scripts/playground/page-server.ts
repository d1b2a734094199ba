/**
 * The playground's own HTTP routes: the page (static files from ./page), a live event stream, and a small JSON
 * API through which the page acts as the Discord user. The API only asks the Discord stand-in to deliver an
 * interaction; the stand-in signs it with the application's private key, which never leaves this process.
 *
 *   GET  /               the page
 *   GET  /<name>.js|css  its scripts and style
 *   GET  /api/events        Server-Sent Events: `snapshot` first, then `message`, `failure`, `traffic`
 *   POST /api/command       {"name": "login", "options": {"provider": "github"}}  -> the user runs /login provider:github
 *   POST /api/autocomplete  {"name": "login", "options": {"provider": "gi"}, "focused": "provider"}
 *                           -> the user types in an autocompleted option: Discord asks the Worker (type 4) and
 *                              the answer is the choices it offered (type 8), as Discord would list them
 *   POST /api/click         {"messageId": "…", "customId": "…"}    -> the user clicks that button
 *   POST /api/linked-roles  {}  -> the user picks Linked Roles in the server menu: the stand-in's Discord web session
 *                              becomes theirs, and the answer is the app's Linked Roles Verification URL to open
 *
 * Every POST may say `"locale": "de"` (one of Discord's locale codes; default en-US): the language of the user's
 * Discord client, which each interaction carries. The commands are the ones registered at the Discord stand-in,
 * with their name and description localizations, as Discord's client lists them.
 *
 * The page acts as `user`; opened as `/?as=<name>` it acts as another person of that name on the same server
 * (`"as"` in each POST body, `?as=` on the event stream), who sees the channel as Discord would show it to them:
 * everyone's public messages, only their own ephemeral ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { mediaType, readBody, send, sendJson, type Handler } from '../lib/http.ts';
import type { ProviderStandins } from '../lib/provider-standins.ts';
import type { DiscordStandin, DiscordUser, GuildRef, InteractionResult } from '../standins/discord.ts';
import { DISCORD_LOCALES } from '../standins/discord-role-connections.ts';
import { providerTrafficSources, subscribe, trafficSoFar, type LiveEvent } from './live-events.ts';
import { linkedRolesView, PLAYGROUND_ROLES, watchRoles, type ServerRole } from './server-roles.ts';

export const PAGE_DIR = join(import.meta.dirname, 'page');

export interface PageServerOptions {
  discord: DiscordStandin;
  /** The provider stand-ins the Worker talks to: their traffic is shown, their device pages are the phone's bookmarks. */
  providers: Omit<ProviderStandins, 'ids' | 'close'>;
  /** Who the page acts as (unless it says `as`). */
  user: DiscordUser;
  /** The server the commands are run in. */
  guild: GuildRef;
  /** The server's Linked Roles: without it, the page's Linked Roles entry says they are not set up. */
  linkedRoles?: {
    /** The app's name, as Discord shows it on a requirement. */
    appName: string;
    /** The app's Linked Roles Verification URL: the Worker's `/linked-roles`. */
    verificationUrl: string;
    /** Default {@link PLAYGROUND_ROLES}. */
    roles?: readonly ServerRole[];
  };
  pageDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// The page may load only what it is served from here (and the stand-ins' pages in its phone frame, and their
// pictures): a last guard against anything from the network.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' http://127.0.0.1:*; frame-src http://127.0.0.1:*; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** Reads the page's files once: only plain names with a known extension, so no path ever reaches the disk. */
function loadPage(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type && /^[\w-]+\.\w+$/.test(name)) files.set(`/${name}`, { body: readFileSync(join(dir, name)), type });
  }
  const index = files.get('/index.html');
  if (!index) throw new Error(`no index.html in ${dir}`);
  files.set('/', index);
  return files;
}

class BadRequest extends Error {
  override name = 'BadRequest';
}

async function readJsonObject(request: IncomingMessage): Promise<Record<string, unknown>> {
  if (mediaType(request) !== 'application/json') throw new BadRequest('send a JSON body (Content-Type: application/json)');
  let value: unknown;
  try {
    value = JSON.parse((await readBody(request, 16 * 1024)).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new BadRequest('the body is not valid JSON');
    throw error;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequest('the body must be a JSON object');
  return value as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, name: string, pattern: RegExp): string {
  const value = body[name];
  if (typeof value !== 'string' || !pattern.test(value)) throw new BadRequest(`"${name}" is missing or malformed`);
  return value;
}

type Localizations = Record<string, string>;

/** An option as the page offers it: from the registered command. */
interface OptionInfo {
  name: string;
  description: string;
  name_localizations?: Localizations;
  description_localizations?: Localizations;
  required: boolean;
  autocomplete: boolean;
}

/** A command as Discord's client knows it: registered, with the names and descriptions to show in each language. */
interface CommandInfo {
  name: string;
  description: string;
  name_localizations?: Localizations;
  description_localizations?: Localizations;
  options: OptionInfo[];
}

const localizationsOf = (value: unknown): Localizations | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).filter(([, text]) => typeof text === 'string')) : undefined;

const withLocalizations = (declared: Record<string, unknown>) => {
  const names = localizationsOf(declared.name_localizations);
  const descriptions = localizationsOf(declared.description_localizations);
  return { ...(names ? { name_localizations: names } : {}), ...(descriptions ? { description_localizations: descriptions } : {}) };
};

/** What a member of `guildId` can run: the server's commands, and the global ones not shadowed by a server one. */
export function commandsIn(discord: DiscordStandin, guildId: string): CommandInfo[] {
  const own = discord.commands(guildId);
  const all = [...own, ...discord.commands().filter((command) => !own.some((mine) => mine.name === command.name))];
  return all
    .filter((command) => (command.type ?? 1) === 1)
    .map((command) => ({
      name: command.name,
      description: String(command.description ?? ''),
      ...withLocalizations(command),
      options: (Array.isArray(command.options) ? (command.options as Array<Record<string, unknown>>) : []).map(
        (option): OptionInfo => ({
          name: String(option.name),
          description: String(option.description ?? ''),
          ...withLocalizations(option),
          required: option.required === true,
          autocomplete: option.autocomplete === true,
        }),
      ),
    }));
}

/** A provider's device page: one of the phone's bookmarks. */
export interface DevicePage {
  id: string;
  name: string;
  url: string;
}

export function devicePagesOf(providers: PageServerOptions['providers']): DevicePage[] {
  const pages: DevicePage[] = [];
  if (providers.facebook) pages.push({ id: 'facebook', name: 'Facebook', url: `${providers.facebook.url}/device` });
  if (providers.github) pages.push({ id: 'github', name: 'GitHub', url: providers.github.deviceUrl });
  if (providers.google) pages.push({ id: 'google', name: 'Google', url: providers.google.deviceUrl });
  if (providers.microsoft) pages.push({ id: 'microsoft', name: 'Microsoft', url: providers.microsoft.deviceUrl });
  if (providers.oidc) pages.push({ id: 'oidc', name: 'OpenID', url: `${providers.oidc.issuer}/device` });
  return pages;
}

const PERSON_NAME = /^[A-Za-z0-9_-]{1,32}$/;
/** A command's name as Discord allows it (PLATFORM.md §4.6), with a leading slash allowed. */
const COMMAND_NAME = /^\/?[-_'\p{L}\p{N}\p{M}]{1,32}$/u;

/** Another person on the playground's server: a stable snowflake per name (case-insensitive). */
export function personNamed(name: string): DiscordUser {
  let hash = 0n;
  for (const byte of Buffer.from(name.toLowerCase())) hash = (hash * 131n + BigInt(byte)) % 10n ** 15n;
  return { id: String(300_000_000_000_000_000n + hash), username: name.toLowerCase(), globalName: name };
}

/** What Discord shows `user` of a message: public ones, and the ephemeral ones of their own interactions. */
const visibleTo = (user: DiscordUser) => (message: { flags: number; interaction_metadata?: unknown }) =>
  (message.flags & 64) === 0 || (message.interaction_metadata as { user?: { id?: string } } | undefined)?.user?.id === user.id;

/** What the page learns of a delivery: never the interaction itself, which holds its token. */
const outcome = (result: InteractionResult) => ({
  botStatus: result.status,
  ...(result.failure ? { failure: result.failure } : {}),
  ...(result.message ? { messageId: result.message.id } : {}),
});

export function pageHandler(options: PageServerOptions): Handler {
  const { discord, user, guild, linkedRoles } = options;
  const files = loadPage(options.pageDir ?? PAGE_DIR);
  const sources = providerTrafficSources(options.providers);
  const devicePages = devicePagesOf(options.providers);
  const serverRoles = linkedRoles?.roles ?? PLAYGROUND_ROLES;
  const rolesOf = (person: DiscordUser) => (linkedRoles ? linkedRolesView(discord, linkedRoles.appName, serverRoles, person.id) : undefined);

  function personOf(as: unknown): DiscordUser {
    if (as === undefined || as === null || as === '') return user;
    if (typeof as !== 'string' || !PERSON_NAME.test(as)) throw new BadRequest('"as" must be a name of 1 to 32 letters, digits, _ or -');
    return personNamed(as);
  }

  /** The user's client language: one of Discord's locale codes. */
  function localeOf(body: Record<string, unknown>): string {
    const { locale } = body;
    if (locale === undefined || locale === null || locale === '') return 'en-US';
    if (typeof locale !== 'string' || !DISCORD_LOCALES.has(locale)) throw new BadRequest(`"locale" must be one of Discord's locale codes: ${[...DISCORD_LOCALES].join(', ')}`);
    return locale;
  }

  function commandOf(body: Record<string, unknown>) {
    const name = stringField(body, 'name', COMMAND_NAME).replace(/^\//, '');
    const commands = commandsIn(discord, guild.id);
    const command = commands.find((candidate) => candidate.name === name);
    if (!command) {
      throw new BadRequest(commands.length ? `unknown command /${name}: try ${commands.map((c) => `/${c.name}`).join(', ')}` : `unknown command /${name}: no command is registered`);
    }
    return command;
  }

  /** The options the user filled in: only the command's own, as strings (all its options are strings). */
  function optionsOf(command: CommandInfo, body: Record<string, unknown>, allowEmpty: boolean): Record<string, string> {
    const given = body.options ?? {};
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new BadRequest('"options" must be an object');
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(given)) {
      if (!command.options.some((option) => option.name === name)) {
        const known = command.options.map((option) => `${option.name}:`).join(', ');
        throw new BadRequest(`/${command.name} has no option ${name}${known ? `: try ${known}` : ''}`);
      }
      if (typeof value !== 'string' || value.length > 100 || (!allowEmpty && value === '')) throw new BadRequest(`the value of ${name}: must be text of 1 to 100 characters`);
      out[name] = value;
    }
    return out;
  }

  async function runCommand(body: Record<string, unknown>) {
    const command = commandOf(body);
    const filled = optionsOf(command, body, false);
    return outcome(await discord.sendCommand({ name: command.name, user: personOf(body.as), guild, options: filled, locale: localeOf(body) }));
  }

  async function autocomplete(body: Record<string, unknown>) {
    const command = commandOf(body);
    const filled = optionsOf(command, body, true);
    const focused = stringField(body, 'focused', /^[\w-]{1,32}$/);
    if (!command.options.some((option) => option.name === focused && option.autocomplete)) {
      throw new BadRequest(`/${command.name} has no autocompleted option ${focused}`);
    }
    const options = { ...filled, [focused]: filled[focused] ?? '' };
    const result = await discord.sendAutocomplete({ name: command.name, user: personOf(body.as), guild, options, focused, locale: localeOf(body) });
    return { botStatus: result.status, ...(result.failure ? { failure: result.failure } : {}), choices: result.choices ?? [] };
  }

  async function click(body: Record<string, unknown>) {
    const messageId = stringField(body, 'messageId', /^\d{1,20}$/);
    const customId = stringField(body, 'customId', /^[\s\S]{1,100}$/);
    try {
      return outcome(await discord.clickButton({ messageId, customId, user: personOf(body.as), locale: localeOf(body) }));
    } catch (error) {
      // clickButton refuses a click Discord's client could not make: no such message or button, a disabled one.
      throw new BadRequest(error instanceof Error ? error.message : String(error));
    }
  }

  /** Server menu › Linked Roles: Discord opens the app's verification URL in the browser, where this user is logged in to Discord. */
  async function openLinkedRoles(body: Record<string, unknown>) {
    const person = personOf(body.as);
    if (!linkedRoles) throw new BadRequest('Linked Roles are not set up in this playground');
    discord.setWebUser(person);
    return { url: linkedRoles.verificationUrl };
  }

  const actions = new Map<string, (body: Record<string, unknown>) => Promise<unknown>>([
    ['/api/command', runCommand],
    ['/api/autocomplete', autocomplete],
    ['/api/click', click],
    ['/api/linked-roles', openLinkedRoles],
  ]);

  function events(request: IncomingMessage, response: ServerResponse, person: DiscordUser): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const write = (type: string, data: unknown) => response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    const visible = visibleTo(person);
    write('snapshot', {
      user: { id: person.id, name: person.globalName ?? person.username },
      commands: commandsIn(discord, guild.id),
      devicePages,
      linkedRoles: rolesOf(person) ?? null,
      messages: discord.messages().filter(visible),
      traffic: trafficSoFar(discord, sources),
    });
    const unsubscribe = subscribe(discord, sources, (event: LiveEvent) => {
      if (event.type === 'message' && !visible(event.message)) return;
      if (event.type === 'failure' && event.failure.userId !== person.id) return;
      write(event.type, event);
    });
    // Whether the person meets each role's requirements, again after every change of their role connection.
    const unwatch = linkedRoles ? watchRoles(discord, person.id, () => write('linkedRoles', rolesOf(person))) : () => undefined;
    request.once('close', () => {
      unsubscribe();
      unwatch();
    });
  }

  /** Only the page itself may act: a request from another site, or to another host name, is refused. */
  function fromThePage(request: IncomingMessage): boolean {
    const host = request.headers.host ?? '';
    if (!/^(127\.0\.0\.1|localhost):\d+$/.test(host)) return false;
    const origin = request.headers.origin;
    return origin === undefined || origin === `http://${host}`;
  }

  return async (request, response) => {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (!fromThePage(request)) return sendJson(response, 403, { error: 'only the playground page may use this server' });

    const action = actions.get(path);
    if (action) {
      if (method !== 'POST') return sendJson(response, 405, { error: 'use POST' }, { allow: 'POST' });
      try {
        const body = await readJsonObject(request);
        return sendJson(response, 200, await action(body));
      } catch (error) {
        if (error instanceof BadRequest) return sendJson(response, 400, { error: error.message });
        throw error;
      }
    }
    if (path === '/api/events') {
      if (method !== 'GET') return sendJson(response, 405, { error: 'use GET' }, { allow: 'GET' });
      let person: DiscordUser;
      try {
        person = personOf(new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('as'));
      } catch (error) {
        return sendJson(response, 400, { error: (error as Error).message });
      }
      return events(request, response, person);
    }
    const file = files.get(path);
    if (!file) return sendJson(response, 404, { error: `no ${path} here` });
    if (method !== 'GET') return sendJson(response, 405, { error: 'use GET' }, { allow: 'GET' });
    send(response, 200, file.body, {
      'content-type': file.type,
      'cache-control': 'no-store',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
  };
}
