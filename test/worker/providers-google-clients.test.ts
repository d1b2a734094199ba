/**
 * Google's two OAuth clients (one per client type): the device flow's "TVs and Limited Input devices" client
 * (GOOGLE_CLIENT_ID/SECRET) and the browser login's "Web application" client (GOOGLE_WEB_CLIENT_ID/SECRET). The
 * browser login exists only with the web client; one web setting without the other, or the same client twice,
 * makes Google misconfigured like any other bad Google setting: logged once by name, never the value.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index.ts';
import type { Env } from '../../src/env.ts';
import { googleSetting } from '../../src/providers/google.ts';
import { providerState } from '../../src/providers/registry.ts';

let logged: { mock: { calls: unknown[][] } };
beforeEach(() => {
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** The test bindings with `changes`: a new object each time, so nothing cached for another test is reused. */
const varsWith = (changes: Partial<Record<keyof Env, string>>): Env => ({ ...env, ...changes }) as Env;
const withoutWebClient = () => varsWith({ GOOGLE_WEB_CLIENT_ID: '', GOOGLE_WEB_CLIENT_SECRET: '' });
const logLines = () => logged.mock.calls.map((call) => String(call[0]));

describe("Google's browser login needs the web client", () => {
  it('with both web settings: enabled, with a browser login; the device client stays the device flow\'s', () => {
    const result = googleSetting(varsWith({}));
    expect(result).toEqual({
      ok: true,
      value: {
        clientId: env.GOOGLE_CLIENT_ID,
        clientSecret: env.GOOGLE_CLIENT_SECRET,
        issuer: env.GOOGLE_ISSUER,
        webClient: { clientId: env.GOOGLE_WEB_CLIENT_ID, clientSecret: env.GOOGLE_WEB_CLIENT_SECRET },
      },
    });
    const state = providerState(varsWith({}), 'google');
    expect(state.kind === 'enabled' && state.provider.browser).toBeTruthy();
  });

  it('without the web settings: enabled for the device flow, with no browser login, nothing logged', () => {
    const vars = withoutWebClient();
    expect(googleSetting(vars)).toMatchObject({ ok: true, value: { webClient: undefined } });
    const state = providerState(vars, 'google');
    expect(state.kind).toBe('enabled');
    expect(state.kind === 'enabled' && state.provider.browser).toBeUndefined();
    expect(logLines()).toEqual([]);
  });

  it('without the web settings, /auth/google/start is a 404 (not offered)', async () => {
    const response = await worker.fetch(new Request('https://bot.example/auth/google/start?t=x') as never, withoutWebClient(), createExecutionContext());
    expect(response.status).toBe(404);
  });
});

describe('a broken web client setting makes Google misconfigured', () => {
  it.each([
    ['only GOOGLE_WEB_CLIENT_ID', { GOOGLE_WEB_CLIENT_SECRET: '' }, 'GOOGLE_WEB_CLIENT_SECRET is not set'],
    ['only GOOGLE_WEB_CLIENT_SECRET', { GOOGLE_WEB_CLIENT_ID: '' }, 'GOOGLE_WEB_CLIENT_ID is not set'],
    ['a malformed GOOGLE_WEB_CLIENT_ID', { GOOGLE_WEB_CLIENT_ID: 'web client!' }, 'GOOGLE_WEB_CLIENT_ID is malformed (expected a Google OAuth client id)'],
    ['a malformed GOOGLE_WEB_CLIENT_SECRET', { GOOGLE_WEB_CLIENT_SECRET: 'short' }, 'GOOGLE_WEB_CLIENT_SECRET is malformed (expected a client secret)'],
    [
      'the device client as the web client',
      { GOOGLE_WEB_CLIENT_ID: env.GOOGLE_CLIENT_ID!, GOOGLE_WEB_CLIENT_SECRET: env.GOOGLE_CLIENT_SECRET! },
      'GOOGLE_WEB_CLIENT_ID names the same client as GOOGLE_CLIENT_ID (the browser login needs a separate "Web application" client)',
    ],
    ['web settings without the device client', { GOOGLE_CLIENT_ID: '', GOOGLE_CLIENT_SECRET: '' }, 'GOOGLE_CLIENT_ID is not set'],
  ] as const)('%s: misconfigured, logged once by name and never with a value', (_case, changes, problem) => {
    const vars = varsWith(changes);
    expect(providerState(vars, 'google')).toEqual({ kind: 'misconfigured' });
    expect(providerState(vars, 'google')).toEqual({ kind: 'misconfigured' });
    expect(logLines()).toEqual([`configuration error (google): ${problem}`]);
    const values = [vars.GOOGLE_CLIENT_ID, vars.GOOGLE_CLIENT_SECRET, vars.GOOGLE_WEB_CLIENT_ID, vars.GOOGLE_WEB_CLIENT_SECRET];
    for (const value of values.filter((v): v is string => Boolean(v))) expect(logLines().join('\n')).not.toContain(value);
  });
});
