import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { alice, commandInteraction, componentInteraction, nowSeconds, postInteraction, sign } from '../support/worker/discord.ts';

const ping = { id: '1', application_id: env.DISCORD_APPLICATION_ID, type: 1, token: 't', version: 1 };

describe('POST /interactions: signature and replay checks', () => {
  it('answers a signed PING with exactly {"type":1} as JSON', async () => {
    const response = await postInteraction(ping);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"type":1}');
  });

  it('rejects a body changed after signing', async () => {
    const response = await postInteraction(ping, { tamper: (body) => body.replace('"type":1', '"type":2') });
    expect(response.status).toBe(401);
  });

  it('rejects a timestamp changed after signing', async () => {
    const timestamp = nowSeconds();
    const body = JSON.stringify(ping);
    const signature = await sign(timestamp, body);
    const response = await exports.default.fetch('https://bot.example/interactions', {
      method: 'POST',
      headers: { 'x-signature-ed25519': signature, 'x-signature-timestamp': String(Number(timestamp) - 1) },
      body,
    });
    expect(response.status).toBe(401);
  });

  it('rejects a correctly signed but stale timestamp (more than 5 minutes old)', async () => {
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    expect((await postInteraction(ping, { timestamp: stale })).status).toBe(401);
  });

  it('rejects a correctly signed timestamp from the future beyond 5 minutes', async () => {
    const future = String(Math.floor(Date.now() / 1000) + 301);
    expect((await postInteraction(ping, { timestamp: future })).status).toBe(401);
  });

  it('accepts a signed timestamp within the 5-minute window', async () => {
    const recent = String(Math.floor(Date.now() / 1000) - 290);
    expect((await postInteraction(ping, { timestamp: recent })).status).toBe(200);
  });

  it('rejects a signature made with another key', async () => {
    const otherKey = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const timestamp = nowSeconds();
    const body = JSON.stringify(ping);
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, otherKey.privateKey, new TextEncoder().encode(timestamp + body)),
    );
    const hex = [...signature].map((b) => b.toString(16).padStart(2, '0')).join('');
    const response = await exports.default.fetch('https://bot.example/interactions', {
      method: 'POST',
      headers: { 'x-signature-ed25519': hex, 'x-signature-timestamp': timestamp },
      body,
    });
    expect(response.status).toBe(401);
  });

  it.each([
    ['no signature headers', {}],
    ['only a timestamp', { 'x-signature-timestamp': '1' }],
    ['only a signature', { 'x-signature-ed25519': 'ab'.repeat(64) }],
    // A fresh timestamp, so that the signature check is what refuses it (a stale one is refused first).
    ['a signature that is not hex', { 'x-signature-ed25519': 'zz'.repeat(64), 'x-signature-timestamp': nowSeconds() }],
  ])('rejects a request with %s', async (_, headers) => {
    const response = await exports.default.fetch('https://bot.example/interactions', {
      method: 'POST',
      headers,
      body: JSON.stringify(ping),
    });
    expect(response.status).toBe(401);
  });

  it('refuses a body over 1 MiB with 413 from its declared length, before reading it', async () => {
    const size = 1024 * 1024 + 1;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
        if (pulled * 64 * 1024 >= size) controller.close();
      },
    });
    const response = await exports.default.fetch('https://bot.example/interactions', {
      method: 'POST',
      headers: {
        'content-length': String(size),
        'x-signature-ed25519': 'ab'.repeat(64),
        'x-signature-timestamp': nowSeconds(),
      },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('request body too large\n');
    // The body was not read: the stream was asked only for what it prefetches on its own (two 64 KiB chunks),
    // not for the 17 chunks a read of the whole body takes.
    expect(pulled).toBeLessThanOrEqual(2);
  });

  it('refuses a chunked body with 413 as soon as it passes 1 MiB, without reading the rest', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(32));
        if (sent >= 8 * 1024 * 1024) controller.close();
      },
    });
    const response = await exports.default.fetch('https://bot.example/interactions', {
      method: 'POST',
      headers: { 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': nowSeconds() },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(8 * 1024 * 1024);
  });

  it('accepts a signed body just under the limit (the check is on size, not on content)', async () => {
    const padded = JSON.stringify({ ...ping, padding: 'x'.repeat(1024 * 1024 - 200) });
    const response = await postInteraction(padded);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: 1 });
  });
});

describe('POST /interactions: parsing and dispatch', () => {
  it('answers a signed body that is not JSON with 400', async () => {
    expect((await postInteraction('{"type":1')).status).toBe(400);
  });

  it('answers signed JSON that is not an interaction with 400', async () => {
    expect((await postInteraction('[1,2,3]')).status).toBe(400);
    expect((await postInteraction('null')).status).toBe(400);
    expect((await postInteraction({ hello: 'world' })).status).toBe(400);
  });

  it('answers an interaction type the bot does not handle with 400', async () => {
    expect((await postInteraction({ ...ping, type: 99 })).status).toBe(400);
  });

  it('answers /ping with an ephemeral "Pong!" (type 4, flags 64)', async () => {
    const response = await postInteraction(commandInteraction('ping'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ type: 4, data: { content: 'Pong!', flags: 64 } });
  });

  it('answers /ping used in a server (member.user) the same way', async () => {
    const response = await postInteraction(commandInteraction('ping', alice, { inGuild: true }));
    expect(await response.json()).toEqual({ type: 4, data: { content: 'Pong!', flags: 64 } });
  });

  it('answers an unknown command with an ephemeral explanation, not an error status', async () => {
    const response = await postInteraction(commandInteraction('frobnicate'));
    expect(response.status).toBe(200);
    const body = await response.json<{ type: number; data: { content: string; flags: number } }>();
    expect(body.type).toBe(4);
    expect(body.data.flags).toBe(64);
    expect(body.data.content).toContain('/frobnicate');
  });

  it('does not treat inherited object keys as commands', async () => {
    const response = await postInteraction(commandInteraction('constructor'));
    const body = await response.json<{ type: number; data: { content: string } }>();
    expect(body.type).toBe(4);
    expect(body.data.content).toContain('Unknown command');
  });

  it('answers a button it does not know with an ephemeral explanation', async () => {
    const response = await postInteraction(componentInteraction('nothing-here:42'));
    expect(response.status).toBe(200);
    const body = await response.json<{ type: number; data: { flags: number } }>();
    expect(body).toMatchObject({ type: 4, data: { flags: 64 } });
  });
});
