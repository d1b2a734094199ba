import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import worker from '../../src/index.ts';
import { commandInteraction, nowSeconds, sign } from '../support/worker/discord.ts';

afterEach(() => vi.restoreAllMocks());

async function signedPing(): Promise<Request> {
  const body = JSON.stringify({ type: 1 });
  const timestamp = nowSeconds();
  return new Request('https://bot.example/interactions', {
    method: 'POST',
    headers: { 'x-signature-ed25519': await sign(timestamp, body), 'x-signature-timestamp': timestamp },
    body,
  });
}

describe('configuration', () => {
  it('a missing public key is a 500 configuration error naming the variable, not a 401', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await worker.fetch((await signedPing()) as never, { ...env, DISCORD_PUBLIC_KEY: undefined }, createExecutionContext());
    expect(response.status).toBe(500);
    expect(logged).toHaveBeenCalledWith('configuration error: DISCORD_PUBLIC_KEY is not set');
  });

  it('a malformed value is named in the log line without its value', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const secretLooking = 'not-a-hex-key-but-maybe-a-secret-0123456789';
    const response = await worker.fetch(
      (await signedPing()) as never,
      { ...env, DISCORD_PUBLIC_KEY: secretLooking },
      createExecutionContext(),
    );
    expect(response.status).toBe(500);
    const lines = logged.mock.calls.map((call) => call.join(' '));
    expect(lines.some((line) => line.includes('DISCORD_PUBLIC_KEY') && line.includes('malformed'))).toBe(true);
    expect(lines.join('\n')).not.toContain(secretLooking);
    expect(await response.text()).not.toContain(secretLooking);
  });

  it('GET / still answers when configuration is broken (it needs none)', async () => {
    const response = await worker.fetch(new Request("https://bot.example/") as never, {} as never, createExecutionContext());
    expect(response.status).toBe(200);
  });

  it.each([
    ['DISCORD_APPLICATION_ID', 'abc'],
    ['FACEBOOK_APP_ID', 'app'],
    ['FACEBOOK_CLIENT_TOKEN', ''],
    ['FACEBOOK_APP_SECRET', 'has spaces in it'],
    ['DISCORD_API_URL', 'not a url'],
    ['FACEBOOK_GRAPH_URL', 'ftp://graph.example'],
  ])('rejects %s=%j', (variable, value) => {
    expect(() => loadConfig({ ...env, [variable]: value })).toThrowError(ConfigError);
    try {
      loadConfig({ ...env, [variable]: value });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('defaults the two base URLs to production and strips a trailing slash', () => {
    const config = loadConfig({ ...env, DISCORD_API_URL: undefined, FACEBOOK_GRAPH_URL: 'http://127.0.0.1:9999/v25.0/' });
    expect(config.discordApiUrl).toBe('https://discord.com/api/v10');
    expect(config.facebookGraphUrl).toBe('http://127.0.0.1:9999/v25.0');
  });

  it('a command still answers when the config is valid (sanity check of the fixture)', async () => {
    const body = JSON.stringify(commandInteraction('ping'));
    const timestamp = nowSeconds();
    const request = new Request('https://bot.example/interactions', {
      method: 'POST',
      headers: { 'x-signature-ed25519': await sign(timestamp, body), 'x-signature-timestamp': timestamp },
      body,
    });
    const response = await worker.fetch(request as never, env, createExecutionContext());
    expect(response.status).toBe(200);
  });
});
