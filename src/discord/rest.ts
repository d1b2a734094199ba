/**
 * A small Discord REST client. Every call has a timeout (a fetch from a Worker to Discord can hang forever),
 * sends Discord's required User-Agent, waits out short 429s, retries 5xx and network failures a bounded number
 * of times, and turns failures into typed errors whose text never contains a token.
 */
import { fetchText, FetchTimeoutError, type FetchedText } from '../http.ts';
import { BOT_URL, BOT_VERSION } from '../version.ts';

export const USER_AGENT = `DiscordBot (${BOT_URL}, ${BOT_VERSION})`;

/** Discord's JSON error code for an interaction token (webhook) that expired or does not exist yet. */
export const UNKNOWN_WEBHOOK = 10015;

export interface DiscordRestOptions {
  /** e.g. https://discord.com/api/v10, without a trailing slash. */
  baseUrl: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, a timeout or a network failure (idempotent requests only). */
  maxRetries?: number;
  /** First backoff between retries; doubles each time. */
  retryBaseMs?: number;
  /** A 429 asking for at most this long is waited out inline; a longer one becomes a {@link RateLimitedError}. */
  maxInlineRateLimitWaitMs?: number;
  /** How many 429s in a row are waited out inline before giving up with a {@link RateLimitedError}. */
  maxRateLimitRetries?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** `Bot <token>` for bot-authenticated routes; interaction webhooks need none. */
  authorization?: string;
  /** Values that must never appear in an error text (tokens in the path). */
  secrets?: readonly string[];
}

export class DiscordApiError extends Error {
  override name = 'DiscordApiError';
  readonly method: string;
  readonly route: string;
  /** HTTP status, or 0 when no response arrived (timeout, network failure). */
  readonly status: number;
  /** Discord's JSON error code, when the body had one. */
  readonly code: number | undefined;
  /** Discord's own error text (`message`, plus field errors for 50035). */
  readonly discordMessage: string | undefined;

  constructor(method: string, route: string, status: number, code: number | undefined, detail: string | undefined) {
    const what = status === 0 ? 'no response' : `HTTP ${status}`;
    const codePart = code !== undefined ? ` (Discord code ${code}${detail ? `: ${detail}` : ''})` : detail ? ` (${detail})` : '';
    super(`Discord ${method} ${route} failed: ${what}${codePart}`);
    this.method = method;
    this.route = route;
    this.status = status;
    this.code = code;
    this.discordMessage = detail;
  }
}

/** 404 with code 10015: the interaction token expired (or is not usable); editing it will never work. */
export class TokenGoneError extends DiscordApiError {
  override name = 'TokenGoneError';
}

/** Discord asked us to wait longer than is sensible inline; the caller should come back after `retryAfterMs`. */
export class RateLimitedError extends DiscordApiError {
  override name = 'RateLimitedError';
  readonly retryAfterMs: number;
  constructor(method: string, route: string, retryAfterMs: number, detail: string | undefined) {
    super(method, route, 429, undefined, detail);
    this.retryAfterMs = retryAfterMs;
  }
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'PATCH', 'DELETE']);

/** Replaces each secret in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

interface DiscordErrorBody {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  retry_after?: unknown;
}

function parseErrorBody(text: string): DiscordErrorBody {
  try {
    const body: unknown = JSON.parse(text);
    return body !== null && typeof body === 'object' ? (body as DiscordErrorBody) : {};
  } catch {
    return {};
  }
}

function describe(body: DiscordErrorBody): string | undefined {
  const message = typeof body.message === 'string' ? body.message : undefined;
  if (body.errors === undefined) return message;
  return `${message ?? 'error'} ${JSON.stringify(body.errors)}`;
}

/** Seconds to wait from a 429, preferring the body's float `retry_after`, then the Retry-After header. */
function retryAfterMs(response: FetchedText, body: DiscordErrorBody): number {
  if (typeof body.retry_after === 'number' && body.retry_after >= 0) return Math.ceil(body.retry_after * 1000);
  const header = Number(response.headers.get('retry-after'));
  if (Number.isFinite(header) && header >= 0) return Math.ceil(header * 1000);
  return 1000;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DiscordRest {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #maxInlineWaitMs: number;
  readonly #maxRateLimitRetries: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: DiscordRestOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#maxInlineWaitMs = options.maxInlineRateLimitWaitMs ?? 2_000;
    this.#maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Sends one request to `path` (relative to the base URL) and returns the parsed JSON body, or `undefined` for
   * an empty one (204). Throws {@link DiscordApiError} (or a subclass) when it cannot succeed.
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const secrets = [...(options.secrets ?? []), ...(options.authorization ? [options.authorization] : [])];
    const route = redact(path, secrets);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (options.authorization) headers.authorization = options.authorization;
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.body);
    }
    const retryable = IDEMPOTENT.has(method);
    let failures = 0;
    let rateLimits = 0;

    for (;;) {
      let response: FetchedText;
      try {
        response = await fetchText(this.#fetch, `${this.#baseUrl}${path}`, { method, headers, body: payload }, this.#timeoutMs);
      } catch (error) {
        const detail = error instanceof FetchTimeoutError ? error.message : 'network error';
        if (retryable && failures < this.#maxRetries) {
          await this.#sleep(this.#retryBaseMs * 2 ** failures++);
          continue;
        }
        throw new DiscordApiError(method, route, 0, undefined, detail);
      }

      if (response.status >= 200 && response.status < 300) {
        return (response.text ? JSON.parse(response.text) : undefined) as T;
      }

      const body = parseErrorBody(response.text);
      const code = typeof body.code === 'number' ? body.code : undefined;
      const detail = describe(body);
      const safeDetail = detail === undefined ? undefined : redact(detail, secrets);

      if (response.status === 429) {
        const waitMs = retryAfterMs(response, body);
        if (waitMs <= this.#maxInlineWaitMs && rateLimits < this.#maxRateLimitRetries) {
          rateLimits++;
          await this.#sleep(waitMs);
          continue;
        }
        throw new RateLimitedError(method, route, waitMs, safeDetail);
      }
      if (response.status >= 500 && retryable && failures < this.#maxRetries) {
        await this.#sleep(this.#retryBaseMs * 2 ** failures++);
        continue;
      }
      if (response.status === 404 && code === UNKNOWN_WEBHOOK) {
        throw new TokenGoneError(method, route, response.status, code, safeDetail);
      }
      throw new DiscordApiError(method, route, response.status, code, safeDetail);
    }
  }

  /** Edits the first response to an interaction (the deferred "thinking…" message). */
  editOriginalResponse<T = unknown>(applicationId: string, interactionToken: string, message: unknown): Promise<T> {
    return this.request<T>('PATCH', `/webhooks/${applicationId}/${interactionToken}/messages/@original`, {
      body: message,
      secrets: [interactionToken],
    });
  }

  /** Replaces all of the application's commands, globally or (with `guildId`) in one server. */
  bulkOverwriteCommands<T = unknown>(
    applicationId: string,
    botToken: string,
    commands: unknown,
    guildId?: string,
  ): Promise<T> {
    const path = guildId
      ? `/applications/${applicationId}/guilds/${guildId}/commands`
      : `/applications/${applicationId}/commands`;
    return this.request<T>('PUT', path, { body: commands, authorization: `Bot ${botToken}`, secrets: [botToken] });
  }
}
