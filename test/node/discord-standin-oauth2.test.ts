import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { startDiscordStandin, type DiscordStandin, type GrantChange } from '../../scripts/standins/discord.ts';
import { alice, bob } from '../support/node/discord-harness.ts';
import {
  authorizeUrl,
  bearerCall,
  browse,
  exchangeCode,
  linkUser,
  redirectParams,
  REDIRECT_URI,
  tokenRequest,
} from '../support/node/discord-oauth2.ts';
import { call, discordCall } from '../support/node/http.ts';

const SEVEN_DAYS_MS = 604_800 * 1000;
let clock: ManualClock;
let discord: DiscordStandin;

beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 9, 1, 12, 0, 0));
  discord = await startDiscordStandin({ now: clock.now, appName: 'Account Linker', oauth2RedirectUris: [REDIRECT_URI] });
});
afterEach(() => discord.close());

const me = (token: string) => bearerCall(`${discord.apiUrl}/oauth2/@me`, 'GET', token);
const codeFor = async (user = alice, overrides: Record<string, string | undefined> = {}) =>
  redirectParams(await discord.authorize(authorizeUrl(discord, overrides), user)).get('code')!;

/** The consent page's form, as the browser would submit it with one of its buttons. */
function formOf(html: string, action: 'authorize' | 'cancel'): URLSearchParams {
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(name!, value!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  form.set('action', action);
  return form;
}

describe('Discord stand-in: the authorize page', () => {
  it('shows the consent page in Discord\'s words: the app, the acting user, what the scopes allow, Authorize and Cancel', async () => {
    discord.setWebUser(alice);
    const page = await browse(authorizeUrl(discord));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('Account Linker wants to access your account');
    expect(page.text).toContain('Signed in as <strong>Alice</strong> (@alice)');
    expect(page.text).toContain('Access your username, avatar, and banner');
    expect(page.text).toContain('Update your connection and metadata for this app');
    expect(page.text).toContain('redirected outside of Discord to: <strong>http://127.0.0.1:9</strong>');
    expect(page.text).toMatch(/<button type="submit" name="action" value="cancel">Cancel<\/button>/);
    expect(page.text).toMatch(/<button type="submit" name="action" value="authorize">Authorize<\/button>/);
    expect(page.text).not.toMatch(/<(?:script|link|img)\b/); // nothing loaded from elsewhere
  });

  it('acts as the first user the stand-in met until one is chosen, and asks for a login when it met nobody', async () => {
    expect((await browse(authorizeUrl(discord))).text).toContain('Nobody is logged in');
    await discord.authorize(authorizeUrl(discord), bob);
    expect(discord.webUser()).toEqual(bob);
    expect((await browse(authorizeUrl(discord))).text).toContain('Signed in as <strong>bob</strong>');
    discord.setWebUser(alice);
    const page = await browse(authorizeUrl(discord));
    expect(page.text).toContain('Signed in as <strong>Alice</strong>');
    expect(page.text).toContain(`<option value="${bob.id}">bob (@bob)</option>`); // "Not you?"
  });

  it('Authorize sends the browser to the redirect_uri with a code and the state', async () => {
    discord.setWebUser(alice);
    const page = await browse(authorizeUrl(discord, { state: 'a&b "c"' }));
    const reply = await browse(`${discord.webUrl}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formOf(page.text, 'authorize').toString(),
    });
    expect(reply.status).toBe(302);
    const location = new URL(reply.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(location.searchParams.get('state')).toBe('a&b "c"');
    const tokens = await exchangeCode(discord, location.searchParams.get('code')!);
    expect((await me(tokens.json.access_token)).json.user.id).toBe(alice.id);
  });

  it('Cancel sends the browser back with access_denied, Discord\'s description and the state', async () => {
    discord.setWebUser(alice);
    const page = await browse(authorizeUrl(discord));
    const reply = await browse(`${discord.webUrl}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formOf(page.text, 'cancel').toString(),
    });
    expect(reply.status).toBe(302);
    expect(reply.headers.get('location')).toBe(
      `${REDIRECT_URI}?error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request&state=state-123`,
    );
    expect(await discord.authorize(authorizeUrl(discord, { state: 'xyz' }), alice, 'cancel')).toContain('error=access_denied');
    expect(discord.grants()).toEqual([]);
  });

  it('shows an error page and never redirects for an unregistered redirect_uri or an unknown client_id', async () => {
    discord.setWebUser(alice);
    for (const overrides of [
      { redirect_uri: 'http://127.0.0.1:9/elsewhere' },
      { redirect_uri: `${REDIRECT_URI}/` }, // exact match only
      { redirect_uri: undefined },
      { client_id: '1999999999999999999' },
    ]) {
      const reply = await browse(authorizeUrl(discord, overrides));
      expect(reply.status, JSON.stringify(overrides)).toBe(400);
      expect(reply.headers.get('location')).toBeNull();
      expect(reply.text).toMatch(overrides.client_id ? /Unknown Application/ : /Invalid OAuth2 redirect_uri/);
    }
    await expect(discord.authorize(authorizeUrl(discord, { redirect_uri: 'http://127.0.0.1:9/elsewhere' }), alice)).rejects.toThrow(
      'Invalid OAuth2 redirect_uri',
    );
  });

  it('accepts a redirect_uri registered after start (the Worker\'s URL is known late)', async () => {
    const late = 'http://127.0.0.1:8787/linked-roles/callback';
    await expect(discord.authorize(authorizeUrl(discord, { redirect_uri: late }), alice)).rejects.toThrow();
    discord.allowRedirectUri(late);
    expect(await discord.authorize(authorizeUrl(discord, { redirect_uri: late }), alice)).toMatch(/^http:\/\/127\.0\.0\.1:8787\/linked-roles\/callback\?code=/);
    expect(discord.redirectUris()).toEqual([REDIRECT_URI, late]);
  });

  it('tells the client about a bad scope or response_type on its redirect_uri, as Discord does', async () => {
    const error = async (overrides: Record<string, string | undefined>) => {
      const location = await discord.authorize(authorizeUrl(discord, overrides), alice);
      return Object.fromEntries(redirectParams(location));
    };
    expect(await error({ scope: 'identify role_connections.read' })).toEqual({
      error: 'invalid_scope',
      error_description: 'The requested scope is invalid, unknown, or malformed.',
      state: 'state-123',
    });
    expect((await error({ scope: '' })).error).toBe('invalid_scope');
    // Only the app with its secret may mint role_connections.write tokens: no PKCE, no implicit grant.
    expect((await error({ code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbkRgRPD5OcM', code_challenge_method: 'S256' })).error).toBe('invalid_scope');
    const implicit = await discord.authorize(authorizeUrl(discord, { response_type: 'token' }), alice);
    expect(new URL(implicit).hash).toContain('error=invalid_scope');
    expect((await error({ response_type: 'id_token' })).error).toBe('unsupported_response_type');
  });

  it('skips the page for prompt=none once the user authorized those scopes, but prompt=consent always shows it', async () => {
    discord.setWebUser(alice);
    expect((await browse(authorizeUrl(discord, { prompt: 'none' }))).status).toBe(200);
    await exchangeCode(discord, await codeFor(alice));
    const again = await browse(authorizeUrl(discord, { prompt: 'none' }));
    expect(again.status).toBe(302);
    expect(redirectParams(again.headers.get('location')!).get('code')).toBeTruthy();
    expect((await browse(authorizeUrl(discord, { prompt: 'consent' }))).status).toBe(200);
    expect((await browse(authorizeUrl(discord, { prompt: 'none', scope: 'identify email' }))).status).toBe(200);
  });
});

describe('Discord stand-in: POST /oauth2/token (authorization code)', () => {
  it('exchanges a code for Discord\'s token response, with client_secret_post or HTTP Basic', async () => {
    const post = await exchangeCode(discord, await codeFor());
    expect(post.status).toBe(200);
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(post.json).toEqual({
      token_type: 'Bearer',
      access_token: expect.stringMatching(/^[A-Za-z0-9]{30}$/),
      expires_in: 604800,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{30}$/),
      scope: 'identify role_connections.write',
    });
    const basic = await tokenRequest(discord, { grant_type: 'authorization_code', code: await codeFor(bob), redirect_uri: REDIRECT_URI }, { basic: true });
    expect(basic.status).toBe(200);
    expect((await me(basic.json.access_token)).json.user.id).toBe(bob.id);
    expect(discord.grants().map((grant) => grant.userId)).toEqual([alice.id, bob.id]);
  });

  it('refuses a wrong client secret with 401 {"error":"invalid_client"}, whichever way it is sent', async () => {
    const code = await codeFor();
    for (const basic of [false, true]) {
      const reply = await tokenRequest(discord, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, { basic, secret: 'not-the-secret' });
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ error: 'invalid_client' });
    }
    const noSecret = await call(`${discord.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: discord.applicationId }).toString(),
    });
    expect(noSecret.status).toBe(401);
    expect((await exchangeCode(discord, code)).status).toBe(200); // the refusals did not spend the code
  });

  it('refuses a reused, unknown or expired code, and a redirect_uri that differs from the authorize request\'s', async () => {
    const code = await codeFor();
    const mismatch = await exchangeCode(discord, code, 'http://127.0.0.1:9/other');
    expect(mismatch.status).toBe(400);
    expect(mismatch.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid "redirect_uri" in request.' });
    expect((await exchangeCode(discord, code)).status).toBe(200);
    const reused = await exchangeCode(discord, code);
    expect(reused.status).toBe(400);
    expect(reused.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid "code" in request.' });
    expect((await exchangeCode(discord, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).json.error).toBe('invalid_grant');

    const late = await codeFor();
    clock.advance(100_000);
    expect((await exchangeCode(discord, late)).json).toEqual({ error: 'invalid_grant', error_description: 'Invalid "code" in request.' });
  });

  it('answers a JSON body as Discord does: 400 unsupported_grant_type, it reads no grant_type from it', async () => {
    const code = await codeFor();
    const reply = await call(`${discord.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: discord.applicationId, client_secret: discord.clientSecret }),
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: 'unsupported_grant_type', error_description: 'Grant type None is not supported' });
    expect((await exchangeCode(discord, code)).status).toBe(200);
  });
});

describe('Discord stand-in: refresh, revoke, expiry', () => {
  it('a refresh answers new tokens and spends the old refresh token', async () => {
    const first = await linkUser(discord, alice);
    const events: GrantChange[] = [];
    discord.events.on('grant', (change) => events.push(change));
    const refreshed = await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ token_type: 'Bearer', expires_in: 604800, scope: 'identify role_connections.write' });
    expect(refreshed.json.access_token).not.toBe(first.access_token);
    expect(refreshed.json.refresh_token).not.toBe(first.refresh_token);
    expect((await me(refreshed.json.access_token)).status).toBe(200);

    const again = await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: 'invalid_grant', error_description: 'Invalid "refresh_token" in request.' });
    expect((await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { secret: 'wrong' })).status).toBe(401);
    expect(events.map((event) => event.action)).toEqual(['refreshed']);
  });

  it('revoking either token ends the whole grant: access and refresh tokens of every family of the user', async () => {
    const older = await linkUser(discord, alice);
    const newer = await linkUser(discord, alice);
    const other = await linkUser(discord, bob);
    const revoke = await call(`${discord.apiUrl}/oauth2/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: newer.refresh_token, token_type_hint: 'refresh_token', client_id: discord.applicationId, client_secret: discord.clientSecret }).toString(),
    });
    expect(revoke.status).toBe(200);
    for (const token of [older.access_token, newer.access_token]) {
      const reply = await me(token);
      expect(reply.status).toBe(401);
      expect(reply.json).toEqual({ message: '401: Unauthorized', code: 0 });
    }
    for (const token of [older.refresh_token, newer.refresh_token]) {
      expect((await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: token })).json.error).toBe('invalid_grant');
    }
    expect((await me(other.access_token)).status).toBe(200);
    expect(discord.grants().map(({ userId, revokedBy }) => ({ userId, revokedBy }))).toEqual([
      { userId: alice.id, revokedBy: 'app' },
      { userId: alice.id, revokedBy: 'app' },
      { userId: bob.id, revokedBy: undefined },
    ]);
  });

  it('revoke needs the client\'s credentials, and an unknown token is not an error (RFC 7009)', async () => {
    const tokens = await linkUser(discord, alice);
    const revoke = (params: Record<string, string>) =>
      call(`${discord.apiUrl}/oauth2/token/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
    const refused = await revoke({ token: tokens.access_token, client_id: discord.applicationId, client_secret: 'wrong' });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ error: 'invalid_client' });
    expect((await me(tokens.access_token)).status).toBe(200);
    expect((await revoke({ token: 'unknown', client_id: discord.applicationId, client_secret: discord.clientSecret })).status).toBe(200);
  });

  it('the user deauthorizing the app (revokeGrant) stops their tokens too', async () => {
    const tokens = await linkUser(discord, alice);
    expect(discord.revokeGrant(alice.id)).toBe(1);
    expect((await me(tokens.access_token)).status).toBe(401);
    expect((await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json.error).toBe('invalid_grant');
    expect(discord.grants()[0]).toMatchObject({ userId: alice.id, revokedBy: 'user', revokedAt: clock.now() });
  });

  it('an access token expires after expires_in on the stand-in\'s clock; the refresh token still works', async () => {
    const tokens = await linkUser(discord, alice);
    clock.advance(SEVEN_DAYS_MS - 1);
    expect((await me(tokens.access_token)).status).toBe(200);
    clock.advance(1);
    const expired = await me(tokens.access_token);
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual({ message: '401: Unauthorized', code: 0 });
    const refreshed = await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect((await me(refreshed.json.access_token)).status).toBe(200);
  });

  it('expireAccessTokens(userId) expires that user\'s access tokens now, and no one else\'s', async () => {
    const alices = await linkUser(discord, alice);
    const bobs = await linkUser(discord, bob);
    const events: GrantChange[] = [];
    discord.events.on('grant', (change) => events.push(change));
    expect(discord.expireAccessTokens(alice.id)).toBe(1);
    expect((await me(alices.access_token)).status).toBe(401);
    expect((await me(bobs.access_token)).status).toBe(200);
    expect(events).toEqual([{ action: 'expired', grant: expect.objectContaining({ userId: alice.id, expiresAt: clock.now() }) }]);
    expect(discord.expireAccessTokens()).toBe(1);
    expect((await me(bobs.access_token)).status).toBe(401);
  });
});

describe('Discord stand-in: GET /oauth2/@me and /users/@me', () => {
  it('/oauth2/@me answers the application, the scopes, the expiry and the user', async () => {
    const tokens = await linkUser(discord, alice);
    const reply = await me(tokens.access_token);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      application: expect.objectContaining({ id: discord.applicationId, name: 'Account Linker', verify_key: discord.publicKeyHex }),
      scopes: ['identify', 'role_connections.write'],
      expires: new Date(clock.now() + SEVEN_DAYS_MS).toISOString().replace('Z', '000+00:00'),
      user: { id: alice.id, username: 'alice', global_name: 'Alice', discriminator: '0', avatar: null, public_flags: 0 },
    });
  });

  it('/users/@me needs the identify scope; /oauth2/@me then leaves the user out', async () => {
    const withIdentify = await linkUser(discord, alice, 'identify');
    expect((await bearerCall(`${discord.apiUrl}/users/@me`, 'GET', withIdentify.access_token)).json).toMatchObject({ id: alice.id, username: 'alice' });
    const without = await linkUser(discord, bob, 'role_connections.write');
    const reply = await bearerCall(`${discord.apiUrl}/users/@me`, 'GET', without.access_token);
    expect(reply.status).toBe(401);
    expect((await me(without.access_token)).json).not.toHaveProperty('user');
  });

  it('without a bearer token both answer 401; /users/@me with the bot token is the bot user', async () => {
    expect((await call(`${discord.apiUrl}/oauth2/@me`)).status).toBe(401);
    expect((await call(`${discord.apiUrl}/users/@me`)).status).toBe(401);
    expect((await discordCall(`${discord.apiUrl}/oauth2/@me`, 'GET', undefined, { authorization: `Bot ${discord.botToken}` })).status).toBe(401);
    const bot = await discordCall(`${discord.apiUrl}/users/@me`, 'GET', undefined, { authorization: `Bot ${discord.botToken}` });
    expect(bot.json).toMatchObject({ id: discord.applicationId, username: 'Account Linker', bot: true });
  });
});

describe('Discord stand-in: OAuth2 in the traffic log', () => {
  it('logs the flow with codes, tokens, the client secret and the bot token masked', async () => {
    discord.setWebUser(alice);
    await browse(authorizeUrl(discord));
    const code = await codeFor();
    const tokens = (await exchangeCode(discord, code)).json;
    const basic = await tokenRequest(discord, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { basic: true });
    await me(basic.json.access_token);
    await call(`${discord.apiUrl}/oauth2/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: basic.json.access_token, client_id: discord.applicationId, client_secret: discord.clientSecret }).toString(),
    });
    await discordCall(`${discord.apiUrl}/applications/${discord.applicationId}/role-connections/metadata`, 'GET', undefined, {
      authorization: `Bot ${discord.botToken}`,
    });

    const entries = discord.traffic.entries();
    expect(entries.map(({ method, path, route, status, note }) => ({ method, path, route, status, note }))).toEqual([
      { method: 'GET', path: '/oauth2/authorize', route: 'authorize', status: 200, note: 'consent page' },
      { method: 'POST', path: '/oauth2/authorize', route: 'authorize', status: 302, note: 'authorized' },
      { method: 'POST', path: '/api/v10/oauth2/token', route: 'oauth2Token', status: 200, note: 'code exchanged' },
      { method: 'POST', path: '/api/v10/oauth2/token', route: 'oauth2Token', status: 200, note: 'client auth: basic; refreshed' },
      { method: 'GET', path: '/api/v10/oauth2/@me', route: 'oauth2Me', status: 200, note: undefined },
      { method: 'POST', path: '/api/v10/oauth2/token/revoke', route: 'oauth2Revoke', status: 200, note: 'revoked' },
      { method: 'GET', path: `/api/v10/applications/${discord.applicationId}/role-connections/metadata`, route: 'getRoleConnectionMetadata', status: 200, note: undefined },
    ]);
    expect(entries[2]!.params).toEqual({
      client_id: discord.applicationId,
      client_secret: '***',
      grant_type: 'authorization_code',
      code: '***',
      redirect_uri: REDIRECT_URI,
    });
    expect(entries[3]!.params).toEqual({ grant_type: 'refresh_token', refresh_token: '***' });

    const text = JSON.stringify(entries);
    for (const secret of [code, tokens.access_token, tokens.refresh_token, basic.json.access_token, basic.json.refresh_token, discord.clientSecret, discord.botToken]) {
      expect(text).not.toContain(secret);
    }
  });
});
