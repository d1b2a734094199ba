/**
 * Scripted faults: "the next N requests to route R get fault F". Each stand-in names its routes and its fault
 * kinds; this module only keeps the queues. A fault queued for `*` applies to any route without its own.
 */

export interface TransportFault {
  /** Never answer: the request stays open until the client gives up or the stand-in closes. */
  kind: 'hang';
}

export interface DelayFault {
  /** Answer normally, but only after `ms` real milliseconds. */
  kind: 'delay';
  ms: number;
}

interface Queued<F> {
  fault: F;
  remaining: number;
}

export class FaultQueue<Route extends string, F extends { kind: string }> {
  #queues = new Map<Route | '*', Queued<F>[]>();

  /** The next `times` requests to `route` get `fault` (after any faults already queued for it). */
  add(route: Route | '*', fault: F, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    let queue = this.#queues.get(route);
    if (!queue) this.#queues.set(route, (queue = []));
    queue.push({ fault, remaining: times });
  }

  /** Takes the fault for one request to `route`, if any is queued. */
  take(route: Route): F | undefined {
    return this.#takeFrom(route) ?? this.#takeFrom('*');
  }

  /** How many faulted requests are still queued for `route` (not counting `*`). */
  pending(route: Route | '*'): number {
    return (this.#queues.get(route) ?? []).reduce((sum, queued) => sum + queued.remaining, 0);
  }

  clear(): void {
    this.#queues.clear();
  }

  #takeFrom(route: Route | '*'): F | undefined {
    const queue = this.#queues.get(route);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (--head.remaining === 0) queue.shift();
    return head.fault;
  }
}
