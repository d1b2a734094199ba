/** Discord-style snowflakes: milliseconds since 2015-01-01 in the top bits, a counter below. */
import type { Clock } from './clock.ts';

export const DISCORD_EPOCH_MS = 1_420_070_400_000;

/** Returns a generator of unique, increasing snowflakes (as decimal strings) from `now`. */
export function snowflakes(now: Clock, workerId = 1): () => string {
  let increment = 0;
  let last = 0n;
  return () => {
    const stamp = BigInt(Math.max(0, Math.floor(now()) - DISCORD_EPOCH_MS)) << 22n;
    let id = stamp | (BigInt(workerId & 0x1f) << 17n) | BigInt(increment++ & 0xfff);
    // A clock that stands still (a manual one) must still give unique, increasing ids.
    if (id <= last) id = last + 1n;
    last = id;
    return id.toString();
  };
}
