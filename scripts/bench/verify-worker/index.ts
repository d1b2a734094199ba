/**
 * Verify-only: reads the body, checks Discord's Ed25519 signature over `timestamp + body` with WebCrypto (the key
 * imported once per isolate, as src/discord/verify.ts does), then answers `{"type":1}` or 401. Nothing else.
 */
interface Env {
  DISCORD_PUBLIC_KEY: string;
}

let key: Promise<CryptoKey> | undefined;

/** The same hex decoding as the bot's (src/encoding.ts), so that the two differ only in what the bot adds. */
function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

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
