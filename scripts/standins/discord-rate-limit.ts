/**
 * Discord-style rate-limit buckets: a fixed window of `limit` requests that starts with the first request and
 * resets `windowMs` later, keyed per interaction token (Discord keys webhook buckets by webhook id + token).
 * Discord does not publish webhook limits (PLATFORM.md §4.4 says not to hard-code them); the default of 5
 * requests per 2 s is the commonly observed webhook bucket.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';

export interface RateLimitSettings {
  limit: number;
  windowMs: number;
}

export const DEFAULT_WEBHOOK_RATE_LIMIT: RateLimitSettings = { limit: 5, windowMs: 2_000 };

export interface RateLimitDecision {
  allowed: boolean;
  /** X-RateLimit-* headers for the answer (and Retry-After on a refusal). */
  headers: Record<string, string>;
  /** Seconds until the bucket resets (a float, as Discord sends `retry_after`). */
  retryAfter: number;
}

interface Window {
  resetAt: number;
  used: number;
}

export class RateLimitBuckets {
  readonly #settings: RateLimitSettings;
  readonly #now: Clock;
  readonly #windows = new Map<string, Window>();

  constructor(settings: RateLimitSettings, now: Clock) {
    if (!(settings.limit >= 1) || !(settings.windowMs > 0)) throw new RangeError('a bucket needs a positive limit and window');
    this.#settings = settings;
    this.#now = now;
  }

  /** Counts one request against `key`'s bucket, unless the bucket is already empty. */
  take(key: string): RateLimitDecision {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (!window || now >= window.resetAt) {
      window = { resetAt: now + this.#settings.windowMs, used: 0 };
      this.#windows.set(key, window);
    }
    const allowed = window.used < this.#settings.limit;
    if (allowed) window.used++;
    const resetAfter = (window.resetAt - now) / 1000;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.#settings.limit),
      'x-ratelimit-remaining': String(this.#settings.limit - window.used),
      'x-ratelimit-reset': (window.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      // Discord's bucket ids are opaque hashes; the key itself holds a token and must not appear.
      'x-ratelimit-bucket': createHash('sha256').update(key).digest('hex').slice(0, 32),
    };
    if (!allowed) {
      headers['retry-after'] = String(Math.ceil(resetAfter));
      headers['x-ratelimit-scope'] = 'user';
    }
    return { allowed, headers, retryAfter: Math.round(resetAfter * 1000) / 1000 };
  }
}
