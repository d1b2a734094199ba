/**
 * Verify-only: reads the body, checks Discord's Ed25519 signature over `timestamp + body` with WebCrypto (the key
 * imported once per isolate, as src/discord/verify.ts does), then answers `{"type":1}` or 401. Nothing else.
 */
interface Env {
  DISCORD_PUBLIC_KEY: string;
}

let key: Promise<CryptoKey> | undefined;

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const signature = request.headers.get('x-signature-ed25519') ?? '';
    const timestamp = request.headers.get('x-signature-timestamp') ?? '';
    const body = new Uint8Array(await request.arrayBuffer());
    key ??= crypto.subtle.importKey('raw', hexBytes(env.DISCORD_PUBLIC_KEY), { name: 'Ed25519' }, false, ['verify']);
    const stamp = new TextEncoder().encode(timestamp);
    const signed = new Uint8Array(stamp.length + body.length);
    signed.set(stamp);
    signed.set(body, stamp.length);
    const valid = /^[0-9a-f]{128}$/i.test(signature) && (await crypto.subtle.verify({ name: 'Ed25519' }, await key, hexBytes(signature), signed));
    if (!valid) return new Response('invalid request signature', { status: 401 });
    return new Response('{"type":1}', { headers: { 'content-type': 'application/json' } });
  },
};
