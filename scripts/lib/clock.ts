/** Milliseconds since the Unix epoch. Every stand-in takes one, so tests can move time without waiting. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export interface ManualClock {
  now: Clock;
  /** Moves time forward by `ms` and returns the new time. */
  advance(ms: number): number;
  set(ms: number): void;
}

/** A clock that only moves when told to. */
export function manualClock(startMs: number = Date.now()): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError('a clock only moves forward');
      current += ms;
      return current;
    },
    set(ms) {
      current = ms;
    },
  };
}
