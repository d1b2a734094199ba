/**
 * The playground's own HTTP routes: the page (static files from ./page), a live event stream, and a small JSON
 * API through which the page acts as the Discord user. The API only asks the Discord stand-in to deliver an
 * interaction; the stand-in signs it with the application's private key, which never leaves this process.
 *
 *   GET  /               the page
 *   GET  /<name>.js|css  its scripts and style
 *   GET  /api/events     Server-Sent Events: `snapshot` first, then `message`, `failure`, `traffic`
 *   POST /api/command    {"name": "login"}                      -> the user runs /login
 *   POST /api/click      {"messageId": "…", "customId": "…"}    -> the user clicks that button
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { commandList } from '../../src/discord/commands.ts';
import { mediaType, readBody, send, sendJson, type Handler } from '../lib/http.ts';
import type { DiscordStandin, DiscordUser, GuildRef, InteractionResult } from '../standins/discord.ts';
import type { FacebookStandin } from '../standins/facebook.ts';
import { subscribe, trafficSoFar, type LiveEvent } from './live-events.ts';

export const PAGE_DIR = join(import.meta.dirname, 'page');

export interface PageServerOptions {
  discord: DiscordStandin;
  facebook: FacebookStandin;
  /** Who the page acts as. */
  user: DiscordUser;
  /** The server the commands are run in. */
  guild: GuildRef;
  pageDir?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// The page may load only what it is served from here (and the Facebook stand-in's page in its frame and
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

/** What the page learns of a delivery: never the interaction itself, which holds its token. */
const outcome = (result: InteractionResult) => ({
  botStatus: result.status,
  ...(result.failure ? { failure: result.failure } : {}),
  ...(result.message ? { messageId: result.message.id } : {}),
});

export function pageHandler(options: PageServerOptions): Handler {
  const { discord, facebook, user, guild } = options;
  const files = loadPage(options.pageDir ?? PAGE_DIR);
  const commands = commandList().map(({ name, description }) => ({ name, description }));
  const commandNames = new Set(commands.map((command) => command.name));

  async function runCommand(body: Record<string, unknown>) {
    const name = stringField(body, 'name', /^\/?[\w-]{1,32}$/).replace(/^\//, '');
    if (!commandNames.has(name)) throw new BadRequest(`unknown command /${name}: try ${commands.map((c) => `/${c.name}`).join(', ')}`);
    return outcome(await discord.sendCommand({ name, user, guild }));
  }

  async function click(body: Record<string, unknown>) {
    const messageId = stringField(body, 'messageId', /^\d{1,20}$/);
    const customId = stringField(body, 'customId', /^[\s\S]{1,100}$/);
    try {
      return outcome(await discord.clickButton({ messageId, customId, user }));
    } catch (error) {
      // clickButton refuses a click Discord's client could not make: no such message or button, a disabled one.
      throw new BadRequest(error instanceof Error ? error.message : String(error));
    }
  }

  function events(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const write = (type: string, data: unknown) => response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    write('snapshot', {
      user: { id: user.id, name: user.globalName ?? user.username },
      commands,
      facebookDeviceUrl: `${facebook.url}/device`,
      messages: discord.messages(),
      traffic: trafficSoFar(discord, facebook),
    });
    const unsubscribe = subscribe(discord, facebook, (event: LiveEvent) => write(event.type, event));
    request.once('close', unsubscribe);
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

    if (path === '/api/command' || path === '/api/click') {
      if (method !== 'POST') return sendJson(response, 405, { error: 'use POST' }, { allow: 'POST' });
      try {
        const body = await readJsonObject(request);
        return sendJson(response, 200, path === '/api/command' ? await runCommand(body) : await click(body));
      } catch (error) {
        if (error instanceof BadRequest) return sendJson(response, 400, { error: error.message });
        throw error;
      }
    }
    if (path === '/api/events') {
      if (method !== 'GET') return sendJson(response, 405, { error: 'use GET' }, { allow: 'GET' });
      return events(request, response);
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
