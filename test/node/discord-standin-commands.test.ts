import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDiscordStandin, type DiscordStandin } from '../../scripts/standins/discord.ts';
import { commandList } from '../../src/discord/commands.ts';
import { discordCall } from '../support/node/http.ts';

let discord: DiscordStandin;
beforeEach(async () => {
  discord = await startDiscordStandin();
});
afterEach(() => discord.close());

const globalUrl = () => `${discord.apiUrl}/applications/${discord.applicationId}/commands`;
const guildUrl = (guild: string) => `${discord.apiUrl}/applications/${discord.applicationId}/guilds/${guild}/commands`;
const put = (url: string, body: unknown, authorization = `Bot ${discord.botToken}`) => discordCall(url, 'PUT', body, { authorization });

const ping = { name: 'ping', description: 'Check that the bot is up.' };
const login = { name: 'login', description: 'Link your Facebook account.' };

describe('Discord stand-in: command registration', () => {
  it('bulk-overwrites the global commands and answers them with ids', async () => {
    const reply = await put(globalUrl(), [ping, login]);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual([
      expect.objectContaining({ ...ping, id: expect.stringMatching(/^\d{17,20}$/), application_id: discord.applicationId, type: 1 }),
      expect.objectContaining({ ...login, id: expect.stringMatching(/^\d{17,20}$/), application_id: discord.applicationId }),
    ]);
    expect(discord.commands().map((command) => command.name)).toEqual(['ping', 'login']);
  });

  it('keeps the id of a command that already existed, and drops the ones left out', async () => {
    const first = (await put(globalUrl(), [ping, login])).json;
    const second = (await put(globalUrl(), [login, { name: 'logout', description: 'Unlink.' }])).json;
    expect(second[0].id).toBe(first[1].id);
    expect(second[1].id).not.toBe(first[0].id);
    expect(discord.commands().map((command) => command.name)).toEqual(['login', 'logout']);
  });

  it('keeps a server\'s commands apart from the global ones', async () => {
    const reply = await put(guildUrl('444444444444444444'), [login]);
    expect(reply.json[0].guild_id).toBe('444444444444444444');
    expect(discord.commands('444444444444444444')).toHaveLength(1);
    expect(discord.commands()).toEqual([]);
  });

  it('requires Authorization: Bot <token>, answering 401 {"message":"401: Unauthorized","code":0}', async () => {
    for (const authorization of ['', `Bearer ${discord.botToken}`, 'Bot wrong-token']) {
      const reply = await put(globalUrl(), [ping], authorization);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ message: '401: Unauthorized', code: 0 });
    }
    expect(discord.commands()).toEqual([]);
  });

  it('refuses an invalid name or description with 50035 at the command\'s index', async () => {
    const reply = await put(globalUrl(), [ping, { name: 'Log In', description: '' }]);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      code: 50035,
      errors: {
        '1': {
          name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME' }] },
          description: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] },
        },
      },
    });
    expect(reply.json.errors['0']).toBeUndefined();
  });

  it('is what `npm run register-commands` talks to successfully', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [resolve('scripts/register-commands.ts')],
        {
          cwd: mkdtempSync(join(tmpdir(), 'register-')),
          // A provider is set, so that the Linked Roles metadata has a record for it and nothing is warned about.
          env: {
            PATH: process.env.PATH,
            DISCORD_APPLICATION_ID: discord.applicationId,
            DISCORD_BOT_TOKEN: discord.botToken,
            DISCORD_API_URL: discord.apiUrl,
            GITHUB_CLIENT_ID: 'Iv1.0123456789abcdef',
          },
        },
        (error, stdout, stderr) => done({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(discord.commands().map((command) => command.name)).toEqual(commandList().map((command) => command.name));
    expect(result.stdout).toContain(`(id ${discord.commands()[0]!.id})`);
  });
});
