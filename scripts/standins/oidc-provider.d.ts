// The slice of oidc-provider 9.x (which ships no types, and @types/oidc-provider is not installed) that
// scripts/standins/oidc.ts uses. Configuration stays loosely typed: oidc-provider validates it at start.

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextLike {
    method: string;
    path: string;
    status: number;
    body: unknown;
    /** The response's media type, e.g. `text/html` (koa's getter). */
    readonly type: string;
    req: IncomingMessage;
    /** Set by oidc-provider on every request it routes. */
    readonly oidc: { route?: string; params?: Record<string, unknown> } | undefined;
    set(field: string, value: string): void;
  }

  export type Middleware = (ctx: KoaContextLike, next: () => Promise<void>) => Promise<void>;

  export interface AdapterPayload {
    [key: string]: unknown;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    /** Koa: do not print errors to stderr. */
    silent: boolean;
    use(middleware: Middleware): this;
    callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  export const errors: Record<string, new (...args: any[]) => Error>;
  export default Provider;
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';

  /** One in-memory store per call; entries live `expiresIn + clockTolerance` seconds (real time). */
  export function createMemoryAdapter(clockTolerance?: number): (model: string) => Adapter;
}
