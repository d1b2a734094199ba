/** The HTTP plumbing the stand-ins share: a loopback listener that closes hard, body reading, JSON answers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  server: Server;
  /** Stops listening and drops every open connection, hanging requests included. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 only (port 0: the OS picks one). A handler that throws gets a bare 500 and
 * `onError` is told; nothing is printed, so no request detail can leak into a log.
 */
export async function listenOnLoopback(
  handler: Handler,
  options: { port?: number; onError?: (error: unknown, request: IncomingMessage) => void } = {},
): Promise<LoopbackServer> {
  const server = createServer((request, response) => {
    handler(request, response).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        if (!response.headersSent) sendJson(response, 413, { message: 'request body too large' });
        return;
      }
      options.onError?.(error, request);
      if (!response.headersSent) sendJson(response, 500, { message: 'stand-in internal error' });
      else response.destroy();
    });
  });
  // workerd pools connections and reuses an idle one without checking it first: a short keep-alive would let
  // the stand-in close a socket just as the Worker sends on it (a spurious "network connection lost").
  // close() drops every connection itself, so a long timeout costs nothing at shutdown.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Reads the whole request body, refusing more than `limit` bytes. */
export async function readBody(request: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): void {
  response.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
): void {
  send(response, status, JSON.stringify(value), { 'content-type': 'application/json', ...headers });
}

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
