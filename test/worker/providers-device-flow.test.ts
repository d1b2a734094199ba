/**
 * Every provider's answers, in its own shape, map onto the engine's outcomes: pending, slow down, declined,
 * expired, transient, fatal and approved, through the real Worker and Durable Object, with the provider faked at
 * the HTTP edge. Facebook's own answers are covered by the login-*.test.ts files.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { advanceClock, runAlarm, scheduledAlarm, storedState, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { json, ROUTES, type FakeNetwork, type Responder } from '../support/worker/network.ts';
import { ACCESS, DEVICE, providers, serveMetadata, TENANT, type TestProvider } from '../support/worker/providers.ts';

const bed = useLoginTestbed();
beforeEach(async () => {
  await clearDatabase();
  serveMetadata(bed.net());
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation(() => {});
});

interface Started {
  user: TestUser;
  token: string;
  message: { embeds: Array<{ title: string; color: number; description: string }>; components: Array<{ components: Array<{ url?: string; label: string }> }> };
}

/** `/login provider:<id>` and the first alarm: the device code is asked for and shown. */
async function startLogin(net: FakeNetwork, provider: TestProvider): Promise<Started> {
  const user = freshUser(provider);
  const interaction = commandInteraction('login', user, { options: { provider } });
  const response = await postInteraction(interaction);
  expect(await response.json()).toEqual({ type: 5, data: { flags: 64 } });
  net.script(providers[provider].deviceCode(), providers[provider].device());
  await runAlarm(user);
  const edit = net.to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`)).at(-1)!;
  return { user, token: interaction.token, message: edit.json as Started['message'] };
}

/** Runs the next poll (one interval later) with `answer` and returns the titles of the login's messages. */
async function pollWith(net: FakeNetwork, provider: TestProvider, started: Started, ...answers: Responder[]) {
  net.script(providers[provider].token(), ...answers);
  for (let i = 0; i < answers.length; i++) {
    advanceClock(5_000);
    await runAlarm(started.user);
  }
  return titlesFor(net, started.token);
}

describe('the device authorization request, per provider', () => {
  it('GitHub: form body with client_id, JSON asked for; the code message names GitHub and links its page', async () => {
    const net = bed.net();
    const { message } = await startLogin(net, 'github');
    const [request] = net.to(providers.github.deviceCode());
    expect(request!.headers.get('accept')).toBe('application/json');
    expect(Object.fromEntries(request!.params)).toEqual({ client_id: env.GITHUB_CLIENT_ID, scope: '' });
    expect(message.embeds[0]!.title).toBe('Log in with GitHub');
    expect(message.embeds[0]!.description).toContain('**github.test/login/device**');
    expect(message.components[0]!.components[0]!.url).toBe(`${env.GITHUB_URL}/login/device`);
  });

  it("Google: endpoints by discovery; `verification_url` accepted as the page; the secret is sent; scopes openid email profile", async () => {
    const net = bed.net();
    const { message } = await startLogin(net, 'google');
    const [request] = net.to(providers.google.deviceCode());
    expect(Object.fromEntries(request!.params)).toEqual({ client_id: env.GOOGLE_CLIENT_ID, client_secret: env.GOOGLE_CLIENT_SECRET, scope: 'openid email profile' });
    expect(message.embeds[0]!.title).toBe('Log in with Google');
    expect(message.components[0]!.components[0]!.url).toBe('https://www.google.com/device');
  });

  it('Microsoft: the tenant authority, scopes openid profile, no secret; no verification_uri_complete, so the plain page', async () => {
    const net = bed.net();
    const { message } = await startLogin(net, 'microsoft');
    const [request] = net.to(providers.microsoft.deviceCode());
    expect(Object.fromEntries(request!.params)).toEqual({ client_id: env.MICROSOFT_CLIENT_ID, scope: 'openid profile' });
    expect(message.embeds[0]!.title).toBe('Log in with Microsoft');
    expect(message.components[0]!.components[0]!.url).toBe('https://www.microsoft.com/link');
  });

  it('an OpenID provider: its display name, and the page with the code filled in (verification_uri_complete)', async () => {
    const net = bed.net();
    const { message } = await startLogin(net, 'oidc');
    expect(message.embeds[0]!.title).toBe('Log in with Example SSO');
    expect(message.components[0]!.components[0]!.url).toBe(`${env.OIDC_ISSUER}/device?user_code=BCDF-GHJK`);
  });

  it('an answer without a device code: the login ends as the provider refusing, after no poll', async () => {
    const net = bed.net();
    const user = freshUser();
    const interaction = commandInteraction('login', user, { options: { provider: 'oidc' } });
    await postInteraction(interaction);
    net.script(providers.oidc.deviceCode(), () => json(200, { user_code: 'X', verification_uri: 'https://idp.example.test/device', expires_in: 60 }));
    await runAlarm(user);
    expect(titlesFor(net, interaction.token)).toEqual(['Login failed']);
  });
});

// [provider, the provider's answer, the engine's outcome as the user sees it]
const OUTCOMES: Array<[TestProvider, string, string, () => Responder]> = [
  ['github', 'pending (HTTP 200 with an error)', 'pending', () => providers.github.error('authorization_pending')],
  ['github', 'access_denied (HTTP 200)', 'Login declined', () => providers.github.error('access_denied')],
  ['github', 'expired_token (HTTP 200)', 'Code expired', () => providers.github.error('expired_token')],
  ['github', 'incorrect_device_code', 'Code expired', () => providers.github.error('incorrect_device_code')],
  ['github', 'device_flow_disabled', 'Login failed', () => providers.github.error('device_flow_disabled')],
  ['github', 'incorrect_client_credentials', 'Login failed', () => providers.github.error('incorrect_client_credentials')],
  ['github', 'unsupported_grant_type', 'Login failed', () => providers.github.error('unsupported_grant_type')],
  ['google', 'pending (HTTP 428)', 'pending', () => providers.google.error(428, 'authorization_pending')],
  ['google', 'access_denied (HTTP 403)', 'Login declined', () => providers.google.error(403, 'access_denied')],
  ['google', 'expired_token (HTTP 400)', 'Code expired', () => providers.google.error(400, 'expired_token')],
  ['google', 'invalid_client (HTTP 401)', 'Login failed', () => providers.google.error(401, 'invalid_client')],
  ['microsoft', 'pending (HTTP 400)', 'pending', () => providers.microsoft.error('authorization_pending')],
  ['microsoft', 'authorization_declined', 'Login declined', () => providers.microsoft.error('authorization_declined')],
  ['microsoft', 'bad_verification_code', 'Code expired', () => providers.microsoft.error('bad_verification_code')],
  ['microsoft', 'expired_token', 'Code expired', () => providers.microsoft.error('expired_token')],
  ['oidc', 'pending', 'pending', () => providers.oidc.error('authorization_pending')],
  ['oidc', 'access_denied', 'Login declined', () => providers.oidc.error('access_denied')],
  ['oidc', 'expired_token', 'Code expired', () => providers.oidc.error('expired_token')],
  ['oidc', 'invalid_grant (any other error)', 'Login failed', () => providers.oidc.error('invalid_grant')],
];

describe('every outcome for every provider', () => {
  it.each(OUTCOMES)('%s: %s -> %s', async (provider, _answer, outcome, answer) => {
    const net = bed.net();
    const started = await startLogin(net, provider);
    const titles = await pollWith(net, provider, started, answer());
    const [poll] = net.to(providers[provider].token());
    expect(poll!.params.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(poll!.params.get('device_code')).toBe(DEVICE);
    expect(poll!.params.get('client_id')).toBe(env[`${provider.toUpperCase()}_CLIENT_ID` as 'GITHUB_CLIENT_ID']);
    if (outcome === 'pending') {
      expect(titles).toEqual([started.message.embeds[0]!.title]);
      expect(await scheduledAlarm(started.user)).toBe(Date.now() + 5_000);
    } else {
      expect(titles).toEqual([started.message.embeds[0]!.title, outcome]);
      expect(await storedState(started.user)).toBeUndefined();
    }
  });

  it('GitHub slow_down carries a new interval: the next poll waits that long, and so do the ones after', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'github');
    await pollWith(net, 'github', started, providers.github.error('slow_down', { interval: 10 }));
    expect(await scheduledAlarm(started.user)).toBe(Date.now() + 10_000);
  });

  it('slow_down without a larger interval adds 5 s (Google, HTTP 403)', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'google');
    await pollWith(net, 'google', started, providers.google.error(403, 'slow_down'));
    expect(await scheduledAlarm(started.user)).toBe(Date.now() + 10_000);
  });

  it('a 503 with Retry-After is transient: the next poll waits at least that long', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'google');
    await pollWith(net, 'google', started, () => json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '30' }));
    expect(await scheduledAlarm(started.user)).toBe(Date.now() + 30_000);
    expect(titlesFor(net, started.token)).toEqual(['Log in with Google']);
  });

  it('a network failure or an HTML error page is transient, then the login goes on', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'oidc');
    await pollWith(net, 'oidc', started, () => {
      throw new TypeError('Network connection lost.');
    });
    expect((await storedState(started.user))?.current?.failures).toBe(1);
    // Backing off: twice the interval.
    expect(await scheduledAlarm(started.user)).toBe(Date.now() + 10_000);
    net.script(providers.oidc.token(), () => new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }));
    advanceClock(10_000);
    await runAlarm(started.user);
    expect((await storedState(started.user))?.current?.failures).toBe(2);
    expect(titlesFor(net, started.token)).toEqual(['Log in with Example SSO']);
    net.script(providers.oidc.token(), providers.oidc.error('authorization_pending'));
    advanceClock(20_000);
    await runAlarm(started.user);
    expect((await storedState(started.user))?.current?.failures).toBe(0);
  });
});

describe('approval: who logged in, and nothing held afterwards', () => {
  it('GitHub: the numeric id and name from GET /user (Bearer), then the grant is deleted with the client secret when set', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'github');
    net.script(providers.github.user(), providers.github.profile());
    const titles = await pollWith(net, 'github', started, providers.github.success());
    expect(titles).toEqual(['Log in with GitHub', 'Logged in as The Octocat']);
    const [user] = net.to(providers.github.user());
    expect(user!.headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
    expect(user!.headers.get('user-agent')).toBeTruthy();
    expect(await linkOf(started.user.id, 'github')).toMatchObject({ subject: '583231', name: 'The Octocat' });
  });

  it("Google: the ID token's sub and name; the access token is given back at once (RFC 7009), as the device client", async () => {
    const net = bed.net();
    const started = await startLogin(net, 'google');
    net.script(providers.google.revoke(), () => new Response(null, { status: 200 }));
    const titles = await pollWith(net, 'google', started, providers.google.success());
    expect(titles).toEqual(['Log in with Google', 'Logged in as Ada Lovelace']);
    expect(await linkOf(started.user.id, 'google')).toMatchObject({ subject: '110248495921238986420', name: 'Ada Lovelace' });
    const [revoke] = net.to(providers.google.revoke());
    expect(Object.fromEntries(revoke!.params)).toEqual({ token: ACCESS, token_type_hint: 'access_token', client_id: env.GOOGLE_CLIENT_ID, client_secret: env.GOOGLE_CLIENT_SECRET });
  });

  it("Microsoft: the issuer is the token's own tenant (the templated discovery issuer filled in from tid)", async () => {
    const net = bed.net();
    const started = await startLogin(net, 'microsoft');
    const titles = await pollWith(net, 'microsoft', started, providers.microsoft.success());
    expect(titles).toEqual(['Log in with Microsoft', 'Logged in as Ada Lovelace']);
    expect((await linkOf(started.user.id, 'microsoft'))!.subject).toBe('AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ');
  });

  it('Microsoft: an ID token whose issuer is not its tenant is refused (nothing linked)', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'microsoft');
    const titles = await pollWith(net, 'microsoft', started, providers.microsoft.success({ iss: `${env.MICROSOFT_LOGIN_URL}/11111111-2222-3333-4444-555555555555/v2.0`, tid: TENANT }));
    expect(titles.at(-1)).toBe('Login failed');
    expect(await linkOf(started.user.id, 'microsoft')).toBeNull();
  });

  it('an OpenID provider whose ID token has only sub: the name comes from userinfo, whose sub must match', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'oidc');
    net.script(providers.oidc.userinfo(), providers.oidc.userinfoAnswer());
    net.script(providers.oidc.revoke(), () => new Response(null, { status: 200 }));
    const titles = await pollWith(net, 'oidc', started, providers.oidc.success());
    expect(titles).toEqual(['Log in with Example SSO', 'Logged in as Ada Lovelace']);
    expect(net.to(providers.oidc.userinfo())[0]!.headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
    expect(await linkOf(started.user.id, 'oidc')).toMatchObject({ subject: '248289761001', name: 'Ada Lovelace', scopes: ['openid', 'profile'] });
  });

  it("userinfo naming another sub than the ID token's: nothing is linked", async () => {
    const net = bed.net();
    const started = await startLogin(net, 'oidc');
    net.script(providers.oidc.userinfo(), providers.oidc.userinfoAnswer('999'));
    const titles = await pollWith(net, 'oidc', started, providers.oidc.success());
    expect(titles.at(-1)).toBe('Login failed');
    expect(await linkOf(started.user.id, 'oidc')).toBeNull();
  });

  it.each([
    ['another audience', { aud: 'someone-else' }],
    ['another issuer', { iss: 'https://evil.example.test' }],
    ['an expired ID token', { exp: 1_000 }],
  ])('an ID token for %s is refused: the login fails and nothing is linked', async (_what, claims) => {
    const net = bed.net();
    const started = await startLogin(net, 'google');
    const titles = await pollWith(net, 'google', started, providers.google.success(claims));
    expect(titles.at(-1)).toBe('Login failed');
    expect(await linkOf(started.user.id, 'google')).toBeNull();
  });

  it('never polls again after a token was issued', async () => {
    const net = bed.net();
    const started = await startLogin(net, 'oidc');
    net.script(providers.oidc.userinfo(), providers.oidc.userinfoAnswer());
    net.always(providers.oidc.revoke(), () => new Response(null, { status: 200 }));
    await pollWith(net, 'oidc', started, providers.oidc.success());
    advanceClock(60_000);
    expect(await runAlarm(started.user)).toBe(false);
    expect(net.to(providers.oidc.token())).toHaveLength(1);
  });

  it('the access token and the device code never reach a Discord message, storage, or a log line', async () => {
    const net = bed.net();
    const logged: string[] = [];
    for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation((...args) => void logged.push(args.join(' ')));
    const started = await startLogin(net, 'oidc');
    net.script(providers.oidc.userinfo(), providers.oidc.userinfoAnswer());
    net.script(providers.oidc.revoke(), () => new Response(null, { status: 200 }));
    net.script(providers.oidc.token(), providers.oidc.error('authorization_pending'), () => json(500, { error: `server_error for ${DEVICE}` }));
    advanceClock(5_000);
    await runAlarm(started.user);
    expect(JSON.stringify(await storedState(started.user))).not.toContain(ACCESS);
    advanceClock(5_000);
    await runAlarm(started.user);
    await pollWith(net, 'oidc', started, providers.oidc.success());
    const discord = net.to(ROUTES.editOriginal).map((r) => r.body).join('\n');
    for (const secret of [ACCESS, DEVICE]) {
      expect(discord).not.toContain(secret);
      expect(logged.join('\n')).not.toContain(secret);
    }
  });
});

describe('one login per user, across providers', () => {
  it('a /login for GitHub while a Facebook login runs supersedes it: the Facebook message says replaced, only GitHub is polled', async () => {
    const net = bed.net();
    const user = freshUser();
    const first = commandInteraction('login', user, { options: { provider: 'facebook' } });
    await postInteraction(first);
    net.script(ROUTES.deviceLogin, () => json(200, { code: 'FB-DEVICE-CODE', user_code: 'CMWAW3TM', verification_uri: 'https://www.facebook.com/device', expires_in: 420, interval: 5 }));
    await runAlarm(user);
    const second = commandInteraction('login', user, { options: { provider: 'github' } });
    await postInteraction(second);
    net.script(providers.github.deviceCode(), providers.github.device());
    await runAlarm(user);
    expect(titlesFor(net, first.token)).toEqual(['Log in with Facebook', 'Login replaced']);
    expect(titlesFor(net, second.token)).toEqual(['Log in with GitHub']);
    net.script(providers.github.token(), providers.github.error('authorization_pending'));
    advanceClock(5_000);
    await runAlarm(user);
    expect(net.to(ROUTES.loginStatus)).toHaveLength(0);
    expect(net.to(providers.github.token())).toHaveLength(1);
  });

  it('an unknown or disabled provider gets an ephemeral answer listing the enabled ones, and nothing starts', async () => {
    const user = freshUser();
    const response = await postInteraction(commandInteraction('login', user, { options: { provider: 'myspace' } }));
    expect(await response.json()).toEqual({
      type: 4,
      data: {
        content: 'This bot offers no login called "myspace". Choose one of: `facebook` (Facebook), `github` (GitHub), `google` (Google), `microsoft` (Microsoft), and `oidc` (Example SSO).',
        flags: 64,
      },
    });
    expect(await scheduledAlarm(user)).toBeNull();
  });
});

describe('autocomplete', () => {
  const autocomplete = (user: TestUser, command: string, typed: string) =>
    postInteraction({ ...commandInteraction(command, user), type: 4, data: { name: command, type: 1, options: [{ name: 'provider', type: 3, value: typed, focused: true }] } });

  it('/login lists exactly the enabled providers (value: the id, name: the display name), filtered by what was typed', async () => {
    const user = freshUser();
    const all = await (await autocomplete(user, 'login', '')).json();
    expect(all).toEqual({
      type: 8,
      data: {
        choices: [
          { name: 'Facebook', value: 'facebook' },
          { name: 'GitHub', value: 'github' },
          { name: 'Google', value: 'google' },
          { name: 'Microsoft', value: 'microsoft' },
          { name: 'Example SSO', value: 'oidc' },
        ],
      },
    });
    const filtered = await (await autocomplete(user, 'login', 'gi')).json();
    expect(filtered).toEqual({ type: 8, data: { choices: [{ name: 'GitHub', value: 'github' }] } });
  });

  it("/logout lists the caller's own links", async () => {
    const user = freshUser();
    const { linkAccount } = await import('../../src/links/store.ts');
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'google', subject: '1', name: 'Ada', scopes: [], now: 1 });
    expect(await (await autocomplete(user, 'logout', '')).json()).toEqual({ type: 8, data: { choices: [{ name: 'Google (Ada)', value: 'google' }] } });
  });
});
