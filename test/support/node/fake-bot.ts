/**
 * A minimal interactions endpoint for testing the Discord stand-in without the Worker: it checks every
 * signature with node:crypto against the stand-in's public key (independently of the stand-in's own code),
 * records what arrived, and answers what the test scripts.
 */
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether X-Signature-Ed25519 verifies over X-Signature-Timestamp + body. */
  signatureValid: boolean;
  interaction: any;
}

export interface BotAnswer {
  status?: number;
  body?: unknown;
}

export type Answerer = (interaction: any) => BotAnswer | Promise<BotAnswer>;

/** Ed25519 public key from its 32 raw bytes: the SPKI DER header for Ed25519 followed by the key. */
export function publicKeyFromHex(hex: string) {
  return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' });
}

export function verifySignature(publicKeyHex: string, signatureHex: string, timestamp: string, body: string): boolean {
  if (!/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  return verify(null, Buffer.from(timestamp + body), publicKeyFromHex(publicKeyHex), Buffer.from(signatureHex, 'hex'));
}

export async function startFakeBot(publicKeyHex: string, answerer: Answerer) {
  const deliveries: Delivery[] = [];
  let answer = answerer;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = String(request.headers['x-signature-ed25519'] ?? '');
    const timestamp = String(request.headers['x-signature-timestamp'] ?? '');
    const signatureValid = verifySignature(publicKeyHex, signature, timestamp, body);
    let interaction: any;
    try {
      interaction = JSON.parse(body);
    } catch {
      interaction = undefined;
    }
    deliveries.push({ headers: request.headers, body, signatureValid, interaction });
    if (!signatureValid) {
      response.writeHead(401).end('invalid request signature');
      return;
    }
    const { status = 200, body: reply } = await answer(interaction);
    const text = typeof reply === 'string' ? reply : JSON.stringify(reply);
    response.writeHead(status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/interactions`,
    deliveries,
    setAnswer(next: Answerer) {
      answer = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
