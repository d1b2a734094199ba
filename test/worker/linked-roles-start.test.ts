/**
 * GET /linked-roles, the Linked Roles Verification URL: a redirect to Discord's consent page with exactly the
 * documented parameters and a fresh state, the same state in an HttpOnly, SameSite=Lax, Secure cookie limited to
 * the callback's path; and a 503 page, with nothing sent anywhere, while Linked Roles are not set up.
 */
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLoginTestbed } from '../support/worker/login.ts';
import { APP, callback, CALLBACK, openLinkedRoles } from '../support/worker/linked-roles.ts';

const bed = useLoginTestbed();
let logged: string[];
beforeEach(() => {
  logged = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

describe('GET /linked-roles', () => {
  it("redirects to Discord's authorize page with client_id, code, both scopes, the exact callback, consent and a state", async () => {
    const response = await openLinkedRoles();
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://discord.com/oauth2/authorize');
    const params = Object.fromEntries(location.searchParams);
    expect(params).toEqual({
      client_id: APP,
      response_type: 'code',
      scope: 'identify role_connections.write',
      redirect_uri: CALLBACK,
      prompt: 'consent',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/),
    });
    expect(bed.net().requests).toHaveLength(0);
  });

  it('binds the state to the browser: the same value in an HttpOnly, SameSite=Lax, Secure cookie for the callback path only, 10 minutes', async () => {
    const response = await openLinkedRoles();
    const state = new URL(response.headers.get('location')!).searchParams.get('state');
    expect(response.headers.get('set-cookie')).toBe(`linked_roles_state=${state}; Max-Age=600; Path=/linked-roles/callback; HttpOnly; SameSite=Lax; Secure`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('gives every visit a new random state', async () => {
    const states = new Set<string>();
    for (let i = 0; i < 5; i++) states.add(new URL((await openLinkedRoles()).headers.get('location')!).searchParams.get('state')!);
    expect(states.size).toBe(5);
  });

  it('writes nothing: a visit that never comes back leaves no row', async () => {
    await openLinkedRoles();
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM spent_oauth_states').first<{ n: number }>())!.n).toBe(0);
  });

  it('uses DISCORD_WEB_URL for the consent page, and on loopback http drops Secure (a browser would refuse it)', async () => {
    const response = await openLinkedRoles({ DISCORD_WEB_URL: 'http://127.0.0.1:9999', PUBLIC_BASE_URL: 'http://127.0.0.1:8787' });
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe('http://127.0.0.1:9999');
    expect(location.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:8787/linked-roles/callback');
    expect(response.headers.get('set-cookie')).toMatch(/; Path=\/linked-roles\/callback; HttpOnly; SameSite=Lax$/);
  });

  it('ignores anything in the query: the redirect is built from configuration only', async () => {
    const response = await openLinkedRoles(undefined, 'https://bot.example/linked-roles?redirect_uri=https://evil.example/&next=https://evil.example/');
    expect(response.headers.get('location')).not.toContain('evil');
  });

  it('other methods are 405', async () => {
    for (const path of ['/linked-roles', '/linked-roles/callback']) {
      const response = await exports.default.fetch(`https://bot.example${path}`, { method: 'POST' });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    }
  });
});

describe('Linked Roles not set up', () => {
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ['neither secret is set', { DISCORD_CLIENT_SECRET: undefined, TOKEN_ENCRYPTION_KEY: undefined }, 'DISCORD_CLIENT_SECRET, TOKEN_ENCRYPTION_KEY are not set'],
    ['DISCORD_CLIENT_SECRET is missing', { DISCORD_CLIENT_SECRET: undefined }, 'DISCORD_CLIENT_SECRET is not set'],
    ['TOKEN_ENCRYPTION_KEY is 16 bytes', { TOKEN_ENCRYPTION_KEY: btoa('0123456789abcdef') }, 'TOKEN_ENCRYPTION_KEY is malformed (expected 32 random bytes in base64'],
    ['TOKEN_ENCRYPTION_KEY is not base64', { TOKEN_ENCRYPTION_KEY: 'not base64 at all!' }, 'TOKEN_ENCRYPTION_KEY is malformed'],
    ['TOKEN_ENCRYPTION_KEY_PREVIOUS is malformed', { TOKEN_ENCRYPTION_KEY_PREVIOUS: 'abcd' }, 'TOKEN_ENCRYPTION_KEY_PREVIOUS is malformed'],
    ['PUBLIC_BASE_URL is plain http elsewhere than loopback', { PUBLIC_BASE_URL: 'http://bot.example' }, 'PUBLIC_BASE_URL must be an https URL'],
  ];

  it.each(cases)('when %s, both pages answer 503 "not set up yet", log the variable by name once, and call nobody', async (_what, vars, logLine) => {
    const start = await openLinkedRoles(vars as never);
    const back = await callback({ code: 'c', state: 's' }, 'linked_roles_state=s', vars as never);
    for (const response of [start, back]) {
      expect(response.status).toBe(503);
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
      expect(await response.text()).toContain('Linked Roles are not set up on this bot yet');
    }
    expect(bed.net().requests).toHaveLength(0);
    const lines = logged.filter((line) => line.includes('linked-roles'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain(logLine);
    for (const value of Object.values(vars)) if (value) expect(logged.join('\n')).not.toContain(value);
  });
});
