/**
 * An in-memory, capped log of the requests a stand-in saw, with an event per entry for live views. Entries
 * hold masked values only: whoever records one masks it first (see mask.ts).
 */
import { EventEmitter } from 'node:events';

export interface TrafficEntry {
  /** 1, 2, 3, … in arrival order; never reused, so a viewer can tell what it missed. */
  seq: number;
  /** When the request arrived, by the stand-in's clock (ms). */
  time: number;
  /** `in`: a request the stand-in answered; `out`: one it sent (Discord delivering an interaction). */
  direction: 'in' | 'out';
  method: string;
  /** The path without the query string, secrets masked. */
  path: string;
  /** The stand-in's name for the route, when it matched one. */
  route: string | undefined;
  /** The HTTP status answered; 0 when there was none (a hanging request, a failed delivery). */
  status: number;
  /** Query and form parameters, secrets masked. */
  params?: Record<string, string>;
  /** A JSON body, when it carries no secret. */
  body?: unknown;
  /** The injected fault that shaped the answer. */
  fault?: string;
  /** Wall time between arrival and answer (real ms, not the injectable clock). */
  durationMs: number;
  note?: string;
}

export type NewTrafficEntry = Omit<TrafficEntry, 'seq'>;

export class TrafficLog extends EventEmitter<{ entry: [TrafficEntry] }> {
  readonly cap: number;
  #ring: TrafficEntry[] = [];
  #start = 0;
  #seq = 0;

  constructor(cap = 2000) {
    super();
    this.setMaxListeners(0); // a live UI, tests and a benchmark may all listen at once
    if (!(cap >= 1)) throw new RangeError('the traffic log needs room for at least one entry');
    this.cap = cap;
  }

  add(entry: NewTrafficEntry): TrafficEntry {
    const full: TrafficEntry = { seq: ++this.#seq, ...entry };
    if (this.#ring.length < this.cap) this.#ring.push(full);
    else {
      this.#ring[this.#start] = full;
      this.#start = (this.#start + 1) % this.cap;
    }
    this.emit('entry', full);
    return full;
  }

  /** The kept entries, oldest first. */
  entries(): TrafficEntry[] {
    return [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
  }

  /** How many entries were ever added (kept or dropped). */
  get total(): number {
    return this.#seq;
  }

  clear(): void {
    this.#ring = [];
    this.#start = 0;
  }
}
