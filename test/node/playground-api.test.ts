/**
 * The playground's page server without the Worker: the Discord stand-in delivers to a fake bot. Bad input to
 * the JSON API gets a 400 with a reason; the event stream starts with a snapshot and then carries messages
 * and traffic live; no interaction token reaches the page; the page's files load nothing from elsewhere. The
 * commands are the registered ones (with their localizations), every interaction carries the page's language,
 * and the Linked Roles entry hands the person's Discord session to the consent page and reports, live, whether
 * they meet the server's role requirement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, type LoopbackServer } from '../../scripts/lib/http.ts';
import { registerApplication } from '../../scripts/lib/register-application.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { PAGE_DIR, pageHandler, personNamed } from '../../scripts/playground/page-server.ts';
import { PLAYGROUND_GUILD, PLAYGROUND_USER } from '../../scripts/playground/playground.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { commands } from '../../src/discord/commands.ts';
import { discordWithBot, ephemeral } from '../support/node/discord-harness.ts';
import { bearerCall, linkUser, REDIRECT_URI, roleConnectionUrl } from '../support/node/discord-oauth2.ts';
import { openEventStream } from '../support/node/event-stream.ts';
import { call } from '../support/node/http.ts';

let setup: Awaited<ReturnType<typeof discordWithBot>>;
let facebook: FacebookStandin;
let server: LoopbackServer;

const withCancelButton = {
  type: 4,
  data: { content: 'Pick one', flags: 64, components: [{ type: 1, components: [{ type: 2, style: 2, label: 'Cancel', custom_id: 'login-cancel:1:abc' }] }] },
};

beforeEach(async () => {
  setup = await discordWithBot((interaction) => {
    if (interaction.type === 3) return { body: { type: 7, data: { content: 'Cancelled', components: [] } } };
    if (interaction.type === 4) return { body: { type: 8, data: { choices: [{ name: 'GitHub', value: 'github' }] } } };
    return { body: interaction.data.name === 'login' ? withCancelButton : ephemeral('Pong!') };
  });
  facebook = await startFacebookStandin();
  // As the playground does at start (npm run register-commands): the commands, and the metadata for Facebook.
  const { discord } = setup;
  await registerApplication({ apiUrl: discord.apiUrl, applicationId: discord.applicationId, botToken: discord.botToken, vars: workerVarsFor({ discord, facebook }) });
  server = await listenOnLoopback(pageHandler({ discord: setup.discord, providers: { facebook }, user: PLAYGROUND_USER, guild: PLAYGROUND_GUILD }));
});
afterEach(async () => {
  await server.close();
  await facebook.close();
  await setup.close();
});

const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
  call(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** fetch() may not set Host, so: node:http, a GET of the page under the given Host header. */
function statusWithHost(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: server.port, path: '/', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('playground page server', () => {
  it('answers bad input to the API with 400 and a reason, and delivers nothing', async () => {
    const bad: Array<[string, string, Record<string, string>?]> = [
      ['/api/command', '{"name":'],
      ['/api/command', '[]'],
      ['/api/command', 'null'],
      ['/api/command', '{}'],
      ['/api/command', '{"name": 42}'],
      ['/api/command', '{"name":"/shutdown"}'],
      ['/api/command', '{"name":"login"}', { 'content-type': 'text/plain' }],
      ['/api/click', '{"customId":"login-cancel:1:abc"}'],
      ['/api/click', '{"messageId":"not-a-snowflake","customId":"x"}'],
      ['/api/click', `{"messageId":"1","customId":"${'x'.repeat(101)}"}`],
      ['/api/click', '{"messageId":"123456789012345678","customId":"login-cancel:1:abc"}'],
      ['/api/command', '{"name":"login","options":{"nope":"x"}}'],
      ['/api/command', '{"name":"login","options":{"provider":""}}'],
      ['/api/command', `{"name":"login","options":{"provider":"${'x'.repeat(101)}"}}`],
      ['/api/command', '{"name":"login","options":{"provider":7}}'],
      ['/api/command', '{"name":"login","options":[]}'],
      ['/api/command', '{"name":"ping","as":"not a name!"}'],
      ['/api/autocomplete', '{"name":"ping","options":{},"focused":"provider"}'],
      ['/api/autocomplete', '{"name":"login","options":{"provider":"gi"}}'],
      ['/api/autocomplete', '{"name":"login","options":{"provider":"gi"},"focused":"other"}'],
      ['/api/command', '{"name":"ping","locale":"xx"}'],
      ['/api/command', '{"name":"ping","locale":"de-DE"}'],
      ['/api/command', '{"name":"ping","locale":7}'],
      ['/api/autocomplete', '{"name":"login","options":{"provider":"gi"},"focused":"provider","locale":"klingon"}'],
      ['/api/linked-roles', '{}'], // this server has no Linked Roles set up
    ];
    for (const [path, body, headers] of bad) {
      const reply = await postJson(path, body, headers);
      expect({ path, body, status: reply.status }).toEqual({ path, body, status: 400 });
      expect(reply.json.error).toEqual(expect.any(String));
    }
    expect((await postJson('/api/command', '{"name":"/shutdown"}')).json.error).toBe('unknown command /shutdown: try /ping, /login, /whoami, /logout');
    expect((await postJson('/api/click', '{"messageId":"123456789012345678","customId":"x"}')).json.error).toBe('no such message to click on');
    expect((await postJson('/api/command', '{"name":"login","options":{"nope":"x"}}')).json.error).toBe('/login has no option nope: try provider:');
    expect((await call(`${server.url}/api/events?as=${encodeURIComponent('<b>')}`)).status).toBe(400);
    expect((await call(`${server.url}/api/command`)).status).toBe(405);
    expect((await postJson('/api/command', JSON.stringify({ name: 'x'.repeat(20_000) }))).status).toBe(413);
    expect(setup.bot.deliveries).toEqual([]);
  });

  it('refuses requests from another site or under another host name', async () => {
    expect((await postJson('/api/command', '{"name":"ping"}', { origin: 'https://evil.example' })).status).toBe(403);
    expect(await statusWithHost('evil.example:8790')).toBe(403); // DNS rebinding: another name for this address
    expect(await statusWithHost(`localhost:${server.port}`)).toBe(200);
    expect(setup.bot.deliveries).toEqual([]);
  });

  it('a command and a click are delivered signed; the stream shows the messages and traffic, never a token', async () => {
    const stream = await openEventStream(`${server.url}/api/events`);
    try {
      const snapshot = await stream.waitFor((event) => event.type === 'snapshot', 'the snapshot');
      expect(snapshot.data).toMatchObject({
        user: { name: 'You' },
        messages: [],
        devicePages: [{ id: 'facebook', name: 'Facebook', url: `${facebook.url}/device` }],
      });
      // So far only the registration, which is not the Worker's traffic.
      expect(snapshot.data.traffic.map((line: { from: string; to: string; method: string; path: string; status: number }) => [line.from, line.to, line.method, line.path, line.status])).toEqual([
        ['Setup', 'Discord', 'PUT', `/api/v10/applications/${setup.discord.applicationId}/commands`, 200],
        ['Setup', 'Discord', 'PUT', `/api/v10/applications/${setup.discord.applicationId}/role-connections/metadata`, 200],
      ]);
      expect(snapshot.data.commands.map((command: { name: string }) => command.name)).toEqual(['ping', 'login', 'whoami', 'logout']);

      const ran = await postJson('/api/command', '{"name":"/login"}');
      expect(ran.status).toBe(200);
      expect(ran.json).toEqual({ botStatus: 200, messageId: expect.stringMatching(/^\d+$/) });
      const [delivery] = setup.bot.deliveries;
      expect(delivery).toMatchObject({ signatureValid: true, interaction: { type: 2, data: { name: 'login' }, guild_id: PLAYGROUND_GUILD.id } });
      expect(delivery!.interaction.member.user.id).toBe(PLAYGROUND_USER.id);
      const created = await stream.waitFor((event) => event.type === 'message' && event.data.action === 'created', 'the new message');
      expect(created.data.message).toMatchObject({ id: ran.json.messageId, content: 'Pick one', flags: 64 });
      await stream.waitFor((event) => event.type === 'traffic' && event.data.line.note === '/login', 'the delivery in the traffic log');

      const clicked = await postJson('/api/click', JSON.stringify({ messageId: ran.json.messageId, customId: 'login-cancel:1:abc' }));
      expect(clicked.json).toEqual({ botStatus: 200, messageId: ran.json.messageId });
      expect(setup.bot.deliveries[1]).toMatchObject({ signatureValid: true, interaction: { type: 3, data: { custom_id: 'login-cancel:1:abc' } } });
      await stream.waitFor((event) => event.type === 'message' && event.data.message.content === 'Cancelled', 'the updated message');

      for (const { interaction } of setup.bot.deliveries) {
        expect(stream.text()).not.toContain(interaction.token);
        expect(JSON.stringify([ran.json, clicked.json])).not.toContain(interaction.token);
      }
    } finally {
      stream.close();
    }
  });

  it('a command with options and an autocomplete are delivered as Discord sends them; the choices come back', async () => {
    const ran = await postJson('/api/command', '{"name":"login","options":{"provider":"github"}}');
    expect(ran.json).toMatchObject({ botStatus: 200 });
    expect(setup.bot.deliveries[0]!.interaction.data.options).toEqual([{ name: 'provider', type: 3, value: 'github' }]);

    const asked = await postJson('/api/autocomplete', '{"name":"/login","options":{"provider":"gi"},"focused":"provider"}');
    expect(asked.json).toEqual({ botStatus: 200, choices: [{ name: 'GitHub', value: 'github' }] });
    expect(setup.bot.deliveries[1]!.interaction).toMatchObject({ type: 4, data: { name: 'login', options: [{ name: 'provider', type: 3, value: 'gi', focused: true }] } });
    // The option being typed may still be empty: Discord asks as soon as it is focused.
    const empty = await postJson('/api/autocomplete', '{"name":"logout","focused":"provider"}');
    expect(empty.json.botStatus).toBe(200);
    expect(setup.bot.deliveries[2]!.interaction.data.options).toEqual([{ name: 'provider', type: 3, value: '', focused: true }]);

    setup.bot.setAnswer(() => ({ body: { type: 4, data: { content: 'not choices' } } }));
    const refused = await postJson('/api/autocomplete', '{"name":"login","options":{"provider":"g"},"focused":"provider"}');
    expect(refused.json).toEqual({ botStatus: 200, failure: 'an autocomplete interaction must be answered with type 8, not 4', choices: [] });
  });

  it('?as=<name> acts as another person, who sees only their own ephemeral messages', async () => {
    const mine = await openEventStream(`${server.url}/api/events`);
    const theirs = await openEventStream(`${server.url}/api/events?as=Ada`);
    try {
      const ada = personNamed('Ada');
      expect(ada.id).toMatch(/^\d{18}$/);
      expect(ada.id).not.toBe(PLAYGROUND_USER.id);
      expect((await theirs.waitFor((event) => event.type === 'snapshot', 'the snapshot')).data.user).toEqual({ id: ada.id, name: 'Ada' });
      const ran = await postJson('/api/command', '{"name":"ping","as":"Ada"}');
      expect(setup.bot.deliveries[0]!.interaction.member.user.id).toBe(ada.id);
      await theirs.waitFor((event) => event.type === 'message' && event.data.message.id === ran.json.messageId, 'their message');
      const own = await postJson('/api/command', '{"name":"ping"}');
      await mine.waitFor((event) => event.type === 'message' && event.data.message.id === own.json.messageId, 'my message');
      expect(mine.text()).not.toContain(ran.json.messageId);
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it('lists the registered commands with their localizations; Discord delivers them under their registered names', async () => {
    const stream = await openEventStream(`${server.url}/api/events`);
    try {
      const snapshot = await stream.waitFor((event) => event.type === 'snapshot', 'the snapshot');
      const login = snapshot.data.commands.find((command: { name: string }) => command.name === 'login');
      const [provider] = commands.login.options;
      expect(login).toEqual({
        name: 'login',
        description: commands.login.description,
        name_localizations: commands.login.name_localizations,
        description_localizations: commands.login.description_localizations,
        options: [
          {
            name: 'provider',
            description: provider!.description,
            name_localizations: provider!.name_localizations,
            description_localizations: provider!.description_localizations,
            required: false,
            autocomplete: true,
          },
        ],
      });
      // Every shipped language has its name, under Discord's locale codes.
      expect(Object.keys(login.name_localizations).sort()).toEqual(['de', 'es-419', 'es-ES', 'fr', 'ja', 'pl', 'pt-BR', 'ru', 'tr']);
    } finally {
      stream.close();
    }
    // Re-registered without /whoami: the page stops offering it, as Discord's client would.
    const { discord } = setup;
    await call(`${discord.apiUrl}/applications/${discord.applicationId}/commands`, {
      method: 'PUT',
      headers: { authorization: `Bot ${discord.botToken}`, 'content-type': 'application/json', 'user-agent': 'DiscordBot (test, 1)' },
      body: JSON.stringify([commands.ping, commands.login, commands.logout]),
    });
    expect((await postJson('/api/command', '{"name":"whoami"}')).json.error).toBe('unknown command /whoami: try /ping, /login, /logout');
  });

  it('every interaction carries the language the page says (Discord\'s locale), en-US unless it says one', async () => {
    const ran = await postJson('/api/command', '{"name":"login","locale":"ja"}');
    await postJson('/api/autocomplete', '{"name":"login","options":{"provider":"g"},"focused":"provider","locale":"pt-BR"}');
    await postJson('/api/click', JSON.stringify({ messageId: ran.json.messageId, customId: 'login-cancel:1:abc', locale: 'tr' }));
    await postJson('/api/command', '{"name":"ping"}');
    expect(setup.bot.deliveries.map(({ interaction }) => [interaction.type, interaction.locale, interaction.guild_locale])).toEqual([
      [2, 'ja', 'en-US'],
      [4, 'pt-BR', 'en-US'],
      [3, 'tr', 'en-US'],
      [2, 'en-US', 'en-US'],
    ]);
    expect(setup.discord.interactions().map((interaction) => interaction.locale)).toEqual(['ja', 'pt-BR', 'tr', 'en-US']);
  });

  it('Linked Roles: the menu entry gives the verification URL and the person\'s Discord session; the stream says live whether they meet the role', async () => {
    const { discord } = setup;
    discord.allowRedirectUri(REDIRECT_URI);
    const linked = await listenOnLoopback(
      pageHandler({
        discord,
        providers: { facebook },
        user: PLAYGROUND_USER,
        guild: PLAYGROUND_GUILD,
        linkedRoles: { appName: 'Login Bot', verificationUrl: 'http://127.0.0.1:9/linked-roles' },
      }),
    );
    const ada = personNamed('Ada');
    const bob = personNamed('Bob');
    const stream = await openEventStream(`${linked.url}/api/events?as=Ada`);
    try {
      const snapshot = await stream.waitFor((event) => event.type === 'snapshot', 'the snapshot');
      const requirement = { key: 'facebook', label: 'Login Bot — Facebook account linked', registered: true };
      expect(snapshot.data.linkedRoles).toEqual({
        appName: 'Login Bot',
        roles: [{ name: 'Verified', color: 0x57f287, requirements: [{ ...requirement, met: false }], eligible: false }],
      });

      const opened = await call(`${linked.url}/api/linked-roles`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"as":"Ada"}' });
      expect(opened.json).toEqual({ url: 'http://127.0.0.1:9/linked-roles' });
      expect(discord.webUser()).toMatchObject({ id: ada.id, username: 'ada' }); // the consent page acts as Ada

      // Someone else's connection is not news for Ada; her own is, as soon as Discord stores it.
      const bobs = await linkUser(discord, bob);
      await bearerCall(roleConnectionUrl(discord), 'PUT', bobs.access_token, { platform_name: 'Linked accounts', metadata: { facebook: '1' } });
      const hers = await linkUser(discord, ada);
      await bearerCall(roleConnectionUrl(discord), 'PUT', hers.access_token, { platform_name: 'Linked accounts', platform_username: 'Facebook', metadata: { facebook: '1' } });
      const update = await stream.waitFor((event) => event.type === 'linkedRoles', 'the roles update');
      expect(update.data).toEqual({
        appName: 'Login Bot',
        roles: [{ name: 'Verified', color: 0x57f287, requirements: [{ ...requirement, met: true }], eligible: true }],
        connection: { platformName: 'Linked accounts', platformUsername: 'Facebook' },
      });
      expect(stream.events.filter((event) => event.type === 'linkedRoles')).toHaveLength(1);
      expect(stream.text()).not.toContain(hers.access_token);
      // The consent page is the person's browser, not the Worker: the traffic strip leaves it out.
      const paths = stream.events.filter((event) => event.type === 'traffic').map((event) => `${event.data.line.from} ${event.data.line.method} ${event.data.line.path}`);
      expect(paths).toContain('Worker POST /api/v10/oauth2/token');
      expect(paths.filter((path) => path.includes('/oauth2/authorize'))).toEqual([]);
    } finally {
      stream.close();
      await linked.close();
    }
  });

  it('reports an interaction the bot failed to answer', async () => {
    setup.bot.setAnswer(() => ({ status: 500, body: 'oops' }));
    const stream = await openEventStream(`${server.url}/api/events`);
    try {
      const ran = await postJson('/api/command', '{"name":"ping"}');
      expect(ran.json).toEqual({ botStatus: 500, failure: 'the bot answered HTTP 500' });
      const failure = await stream.waitFor((event) => event.type === 'failure', 'the failure');
      expect(failure.data.failure).toMatchObject({ what: '/ping', reason: 'the bot answered HTTP 500' });
    } finally {
      stream.close();
    }
  });

  it('serves the page and its files, which load nothing from another origin', async () => {
    const page = await call(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const name of readdirSync(PAGE_DIR)) {
      const text = readFileSync(join(PAGE_DIR, name), 'utf8');
      expect({ name, external: text.match(/(src|href)=["']?(https?:)?\/\/|@import|url\(\s*["']?(https?:)?\/\//gi) }).toEqual({ name, external: null });
      expect((await call(`${server.url}/${name}`)).status).toBe(200);
    }
    expect((await call(`${server.url}/../package.json`)).status).toBe(404);
    expect((await call(`${server.url}/%2e%2e/package.json`)).status).toBe(404);
  });
});
