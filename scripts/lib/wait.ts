/** Waiting on a condition without guessing: re-check it on every event, give up after a bound. */
import type { EventEmitter } from 'node:events';

/**
 * Resolves with `check`'s first defined result: called now without arguments, then with each `event`'s
 * arguments (so it can look at just what changed). Rejects after `timeoutMs` with an error naming `what`.
 */
export function waitForEvent<T, Args extends unknown[] = unknown[]>(
  emitter: EventEmitter<any>,
  event: string,
  check: (...args: Args | []) => T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    const onEvent = (...args: Args) => {
      let value: T | undefined;
      try {
        value = check(...args);
      } catch (error) {
        done();
        reject(error);
        return;
      }
      if (value !== undefined) {
        done();
        resolve(value);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}
