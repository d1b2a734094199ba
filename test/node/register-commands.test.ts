import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandList } from '../../src/discord/commands.ts';
import { metadataRecords } from '../../src/linked-roles/metadata.ts';
import { startDiscordStandin } from '../../scripts/standins/discord.ts';

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
type Answer = { status: number; body: unknown };
let answer: Answer = { status: 200, body: [] };
/** What the metadata route answers; by default it echoes the records, as Discord does. */
let metadataAnswer: ((body: unknown) => Answer) | undefined;
const METADATA_PATH = `/api/v10/applications/${APP}/role-connections/metadata`;

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
    const last = seen.at(-1)!;
    const reply = last.url === METADATA_PATH ? (metadataAnswer ?? ((body) => ({ status: 200, body })))(last.body) : answer;
    response.writeHead(reply.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v10`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

beforeEach(() => {
  seen = [];
  metadataAnswer = undefined;
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
    expect(seen).toHaveLength(2);
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

  it('refuses a plain-http DISCORD_API_URL off loopback before sending the bot token anywhere', async () => {
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: 'http://discord.example/api/v10' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DISCORD_API_URL must be an https URL');
    expect(result.stderr).not.toContain(BOT_TOKEN);
    expect(seen).toHaveLength(0);
  });

  it('exits non-zero when Discord cannot be reached', async () => {
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: 'http://127.0.0.1:9/api/v10' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no response');
  });
});

/** Provider settings that enable each provider, as in the Worker's tests. */
const PROVIDERS: Record<string, Record<string, string>> = {
  facebook: { FACEBOOK_APP_ID: '987654321012345', FACEBOOK_CLIENT_TOKEN: 'c0ffee00c0ffee00c0ffee00c0ffee00', FACEBOOK_APP_SECRET: '5ec2e75ec2e75ec2e75ec2e75ec2e700' },
  github: { GITHUB_CLIENT_ID: 'Iv1.0123456789abcdef' },
  google: { GOOGLE_CLIENT_ID: '123456789012-test.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'GOCSPX-testsecret0123456789' },
  microsoft: { MICROSOFT_CLIENT_ID: '00000000-1111-2222-3333-444444444444' },
  oidc: { OIDC_ISSUER: 'https://idp.example.test', OIDC_CLIENT_ID: 'discord-bot', OIDC_NAME: 'Example SSO' },
};
const withProviders = (...ids: string[]) => Object.assign({}, ...ids.map((id) => PROVIDERS[id]));

describe('npm run register-commands: the Linked Roles metadata', () => {
  it('after the commands, replaces the metadata records with the schema for the providers the settings enable', async () => {
    answer = { status: 200, body: registered() };
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl, ...withProviders('github', 'facebook') });
    expect(result.code).toBe(0);
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([`PUT /api/v10/applications/${APP}/commands`, `PUT ${METADATA_PATH}`]);
    expect(seen[1]!.authorization).toBe(`Bot ${BOT_TOKEN}`);
    expect(seen[1]!.userAgent).toMatch(/^DiscordBot \(/);
    // Registry order, whatever order the settings come in; the same module the Worker reads.
    expect(seen[1]!.body).toEqual(metadataRecords([{ id: 'facebook', name: 'Facebook' }, { id: 'github', name: 'GitHub' }]));
    expect((seen[1]!.body as Array<{ key: string }>).map((record) => record.key)).toEqual(['facebook', 'github', 'linked_since']);
    expect(result.stdout).toContain('Registered 3 Linked Roles metadata record(s)');
    expect(result.stdout).toContain('facebook  (Facebook account linked)');
  });

  it('with no provider set up, registers linked_since alone and says why', async () => {
    answer = { status: 200, body: registered() };
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl });
    expect(result.code).toBe(0);
    expect((seen[1]!.body as Array<{ key: string }>).map((record) => record.key)).toEqual(['linked_since']);
    expect(result.stderr).toContain('No login provider is set up');
  });

  it("when Discord refuses the metadata, prints Discord's field errors and exits non-zero, though the commands went through", async () => {
    answer = { status: 200, body: registered() };
    metadataAnswer = () => ({
      status: 400,
      body: { message: 'Invalid Form Body', code: 50035, errors: { '0': { key: { _errors: [{ code: 'STRING_TYPE_REGEX', message: 'String value did not match validation regex.' }] } } } },
    });
    const result = await run({ DISCORD_APPLICATION_ID: APP, DISCORD_BOT_TOKEN: BOT_TOKEN, DISCORD_API_URL: baseUrl });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Registered');
    expect(result.stderr).toContain('Registering the Linked Roles metadata failed.');
    expect(result.stderr).toContain('code 50035');
    expect(result.stderr).toContain('STRING_TYPE_REGEX');
    expect(result.stdout + result.stderr).not.toContain(BOT_TOKEN);
  });

  it('against the Discord stand-in, with all five providers enabled: accepted, and the first four get a record', async () => {
    const discord = await startDiscordStandin();
    try {
      const result = await run({
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_BOT_TOKEN: discord.botToken,
        DISCORD_API_URL: discord.apiUrl,
        ...withProviders('facebook', 'github', 'google', 'microsoft', 'oidc'),
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(discord.roleConnectionMetadata().map((record) => [record.key, record.type])).toEqual([
        ['facebook', 7],
        ['github', 7],
        ['google', 7],
        ['microsoft', 7],
        ['linked_since', 5],
      ]);
      expect(result.stdout).toContain('Example SSO count only toward linked_since');
      expect(discord.commands().map((command) => command.name)).toEqual(commandList().map((command) => command.name));
    } finally {
      await discord.close();
    }
  });
});
