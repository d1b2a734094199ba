/**
 * Configuration is validated per feature: one missing or malformed setting breaks only the features that use it,
 * which answer clearly (an ephemeral "not set up yet", or a 503 page), and the variable is named in one log line
 * per isolate, never with its value. Only a bad DISCORD_PUBLIC_KEY stops the interactions endpoint, and then it
 * refuses everything rather than accepting anything unverified.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index.ts';
import type { Env } from '../../src/env.ts';
import { commandInteraction, freshUser, nowSeconds, sign } from '../support/worker/discord.ts';
import { signedRequest, facebookPayload } from '../support/worker/facebook.ts';
import { useLoginTestbed } from '../support/worker/login.ts';

useLoginTestbed();
let logged: { mock: { calls: unknown[][] } };
beforeEach(() => {
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

type Feature = 'ping' | '/ping' | '/login' | '/whoami' | '/logout' | '/privacy' | 'deauthorize' | 'data-deletion';
const FEATURES: Feature[] = ['ping', '/ping', '/login', '/whoami', '/logout', '/privacy', 'deauthorize', 'data-deletion'];

async function signedInteraction(body: unknown): Promise<Request> {
  const text = JSON.stringify(body);
  const timestamp = nowSeconds();
  return new Request('https://bot.example/interactions', {
    method: 'POST',
    headers: { 'x-signature-ed25519': await sign(timestamp, text), 'x-signature-timestamp': timestamp },
    body: text,
  });
}

/** What each feature answers under `vars`, in a few words: 'ok', 'not set up', '503', '500'. */
async function probe(feature: Feature, vars: Env): Promise<string> {
  const user = freshUser();
  const call = async (request: Request) => worker.fetch(request as never, vars, createExecutionContext());
  switch (feature) {
    case 'ping': {
      const response = await call(await signedInteraction({ type: 1 }));
      return response.status === 200 && (await response.text()) === '{"type":1}' ? 'ok' : String(response.status);
    }
    case '/ping':
    case '/login':
    case '/whoami':
    case '/logout': {
      const response = await call(await signedInteraction(commandInteraction(feature.slice(1), user)));
      if (response.status !== 200) return String(response.status);
      const answer = (await response.json()) as { type: number; data: { content?: string } };
      if (answer.type === 5) return 'ok';
      if (answer.data.content?.includes('not set up yet; the operator can see why in the Worker logs')) return 'not set up';
      return 'ok';
    }
    case '/privacy': {
      const response = await call(new Request('https://bot.example/privacy'));
      return response.status === 200 ? 'ok' : String(response.status);
    }
    case 'deauthorize':
    case 'data-deletion': {
      const body = new URLSearchParams({ signed_request: await signedRequest(facebookPayload('1070000000000009')) });
      const response = await call(
        new Request(`https://bot.example/facebook/${feature}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: body.toString(),
        }),
      );
      return response.status === 200 ? 'ok' : String(response.status);
    }
  }
}

/** Every feature's answer, as `feature=answer` for the ones that are not 'ok'. */
/** The test environment with Facebook as the only provider and no Linked Roles, as in the set-up this test is about. */
const onlyFacebook = (): Env => ({
  ...env,
  GITHUB_CLIENT_ID: '',
  GITHUB_CLIENT_SECRET: '',
  GOOGLE_CLIENT_ID: '',
  GOOGLE_CLIENT_SECRET: '',
  GOOGLE_WEB_CLIENT_ID: '',
  GOOGLE_WEB_CLIENT_SECRET: '',
  MICROSOFT_CLIENT_ID: '',
  OIDC_ISSUER: '',
  OIDC_CLIENT_ID: '',
  DISCORD_CLIENT_SECRET: '',
  TOKEN_ENCRYPTION_KEY: '',
});

async function brokenFeatures(vars: Env): Promise<string[]> {
  const out: string[] = [];
  for (const feature of FEATURES) {
    const answer = await probe(feature, vars);
    if (answer !== 'ok') out.push(`${feature}=${answer}`);
  }
  return out;
}

const FACEBOOK_BROKEN = ['/login=not set up', 'deauthorize=503', 'data-deletion=503'];
const SITE_BROKEN = ['/privacy=503', 'data-deletion=503'];

// [variable, blank -> what breaks, malformed value, malformed -> what breaks]
const MATRIX: Array<[keyof Env & string, string[], string, string[]]> = [
  ['DISCORD_PUBLIC_KEY', ['ping=500', '/ping=500', '/login=500', '/whoami=500', '/logout=500'], 'not-hex-0123', ['ping=500', '/ping=500', '/login=500', '/whoami=500', '/logout=500']],
  ['DISCORD_APPLICATION_ID', [], 'abc', ['/login=not set up', '/logout=not set up']],
  ['DISCORD_API_URL', [], 'not a url', ['/login=not set up', '/logout=not set up']],
  ['FACEBOOK_APP_ID', FACEBOOK_BROKEN, 'fb-app-7Qx', FACEBOOK_BROKEN],
  ['FACEBOOK_CLIENT_TOKEN', FACEBOOK_BROKEN, 'c0ffee!', FACEBOOK_BROKEN],
  ['FACEBOOK_APP_SECRET', FACEBOOK_BROKEN, 'has spaces in it', FACEBOOK_BROKEN],
  ['FACEBOOK_GRAPH_URL', [], 'ftp://graph.example', FACEBOOK_BROKEN],
  ['FACEBOOK_SCOPES', [], 'public profile!', FACEBOOK_BROKEN],
  ['PUBLIC_BASE_URL', SITE_BROKEN, 'https://bot.example/?q=1', SITE_BROKEN],
  ['OPERATOR_NAME', SITE_BROKEN, 'x'.repeat(201), SITE_BROKEN],
  ['OPERATOR_CONTACT', SITE_BROKEN, 'y'.repeat(201), SITE_BROKEN],
];

describe('per-feature configuration', () => {
  it('with every setting valid, every feature works (the fixture is sane)', async () => {
    expect(await brokenFeatures(onlyFacebook())).toEqual([]);
  });

  it.each(MATRIX)('%s blank breaks only the features that use it', async (variable, whenBlank) => {
    expect(await brokenFeatures({ ...onlyFacebook(), [variable]: '' })).toEqual(whenBlank);
  });

  it.each(MATRIX)('%s malformed breaks only the features that use it, and is logged by name only', async (variable, _blank, value, whenMalformed) => {
    expect(await brokenFeatures({ ...onlyFacebook(), [variable]: value })).toEqual(whenMalformed);
    const lines = logged.mock.calls.map((args) => args.join(' '));
    if (whenMalformed.length > 0) expect(lines.filter((line) => line.includes(`configuration error`) && line.includes(variable))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(value);
  });

  it('copying .dev.vars.example with only the Discord and Facebook values filled in: PING, /ping and /login work, /privacy is a 503', async () => {
    const vars = { ...onlyFacebook(), PUBLIC_BASE_URL: '', OPERATOR_NAME: '', OPERATOR_CONTACT: '' };
    expect(await brokenFeatures(vars)).toEqual(SITE_BROKEN);
    const page = await worker.fetch(new Request('https://bot.example/privacy') as never, vars, createExecutionContext());
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const text = await page.text();
    expect(text).toContain('Not set up yet');
    expect(text).not.toContain('OPERATOR');
  });

  it('with no Facebook setting at all, /login says no login is set up, and the rest works', async () => {
    const vars = { ...onlyFacebook(), FACEBOOK_APP_ID: '', FACEBOOK_CLIENT_TOKEN: '', FACEBOOK_APP_SECRET: '' };
    expect(await brokenFeatures(vars)).toEqual(FACEBOOK_BROKEN);
    expect(logged.mock.calls.map((args) => args.join(' '))).toEqual([
      'configuration error (login): FACEBOOK_APP_ID, GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID, MICROSOFT_CLIENT_ID, OIDC_ISSUER are not set, so no login provider is set up',
    ]);
  });

  it('GET / answers whatever the configuration (it needs none)', async () => {
    const response = await worker.fetch(new Request('https://bot.example/') as never, {} as never, createExecutionContext());
    expect(response.status).toBe(200);
  });
});
