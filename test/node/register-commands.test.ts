import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandList } from '../../src/discord/commands.ts';

const script = resolve('scripts/register-commands.ts');
const APP = '1234567890123456789';
const BOT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.fake.bot-token-for-tests';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  body: unknown;
}

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: [] };

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

beforeAll(async () => {
  // A stand-in for Discord's command endpoints: records each request, answers what the test scripted.
  server = createServer(async (request, response) => {
    seen.push({
      method: request.method!,
      url: request.url!,
      authorization: request.headers.authorization,
      userAgent: request.headers['user-agent'],
      body: await readJson(request),
    });
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v10`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

beforeEach(() => {
  seen = [];
});

function run(env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'register-'))) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [script], { cwd, env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const registered = () => commandList().map((command, i) => ({ id: String(1000 + i), ...command }));

describe('npm run register-commands', () => {
  it('bulk-overwrites the global commands with every command from the command module', async () => {
    answer = { status: 200, body: registered() };
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl });
    expect(result.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: `/api/v10/applications/${APP}/commands`,
      authorization: `Bot ${BOT_TOKEN}`,
    });
    expect(seen[0]!.userAgent).toMatch(/^DiscordBot \(/);
    expect(seen[0]!.body).toEqual(commandList());
    for (const command of commandList()) expect(result.stdout).toContain(`/${command.name}`);
    expect(result.stdout).toContain('globally');
  });

  it('with DISCORD_GUILD_ID, overwrites that server\'s commands instead', async () => {
    answer = { status: 200, body: registered() };
    const result = await run({
      DISCORD_APPLICATION_ID: APP,
      DISCORD_BOT_TOKEN: BOT_TOKEN,
      DISCORD_GUILD_ID: '444444444444444444',
      DISCORD_API_URL: baseUrl,
    });
    expect(result.code).toBe(0);
    expect(seen[0]!.url).toBe(`/api/v10/applications/${APP}/guilds/444444444444444444/commands`);
    expect(result.stdout).toContain('server 444444444444444444');
  });

  it('reads its settings from .dev.vars when the environment has none', async () => {
    answer = { status: 200, body: registered() };
    const cwd = mkdtempSync(join(tmpdir(), 'register-'));
    writeFileSync(
      join(cwd, '.dev.vars'),
      `DISCORD_APPLICATION_ID=${APP}\nDISCORD_BOT_TOKEN="${BOT_TOKEN}"\nDISCORD_API_URL=${baseUrl}\n`,
    );
    const result = await run({}, cwd);
    expect(result.code).toBe(0);
    expect(seen[0]!.authorization).toBe(`Bot ${BOT_TOKEN}`);
  });

  it('on a 401 prints Discord\'s status and error text, never the token, and exits non-zero', async () => {
    answer = { status: 401, body: { message: '401: Unauthorized', code: 0 } };
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 401');
    expect(result.stderr).toContain('401: Unauthorized');
    expect(result.stdout + result.stderr).not.toContain(BOT_TOKEN);
  });

  it('on a 400 prints Discord\'s field errors', async () => {
    answer = {
      status: 400,
      body: { message: 'Invalid Form Body', code: 50035, errors: { '0': { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME' }] } } } },
    };
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('code 50035');
    expect(result.stderr).toContain('APPLICATION_COMMAND_INVALID_NAME');
  });

  it('without credentials says which variable is missing and exits non-zero without calling Discord', async () => {
    const result = await run({ DISCORD_API_URL: baseUrl, DISCORD_APPLICATION_ID: APP });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DISCORD_BOT_TOKEN');
    expect(seen).toHaveLength(0);
  });

  it('exits non-zero when Discord cannot be reached', async () => {
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: 'http://127.0.0.1:9/api/v10' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no response');
  });
});
