/**
 * The meter of the instrumented bench build (index.js here wires it into workerd): counts, by instrumentation,
 * what a Durable Object class costs on Cloudflare's bill. Runtime-agnostic (no workerd or Node import), so
 * test/node/bench-meter.test.ts drives it with a fake storage. Counting rules, per object:
 *
 * - Requests: each call of a method found on the class's prototype chain (its RPC methods; `fetch` too) is one
 *   request; each `alarm()` run is one alarm run, retries included. (A class calling its own public methods
 *   would be over-counted; the login engine does not.)
 * - Rows read: `get` one per key asked (found or not); `list` one per entry returned; `kv.get` one; `kv.list` one
 *   per entry; `sql.exec` the cursor's `rowsRead`. `getAlarm` is counted as a call, not a row.
 * - Rows written: `put` one per key (an object of N keys: N); `delete` the rows it removed (its result);
 *   `deleteAll` the keys it removed (counted just before with the synchronous `kv.list()`, uncounted in rows read);
 *   `setAlarm` and `deleteAlarm` one each; `kv.put` one; `kv.delete` what it removed; `sql.exec` the cursor's
 *   `rowsWritten`.
 * - Commits: workerd's SQLite storage opens an implicit transaction at the first write and commits it when the
 *   event (macrotask) that wrote ends: all the JavaScript of one event, every microtask included. An `await` on
 *   a storage promise resolves without I/O and does NOT end the event; a fetch, a D1 query, a timer does.
 *   (Checked with strace on workerd 1.20261117: `await put; await get; await put; await setAlarm` is one fsync of
 *   the object's WAL; `await put; await fetch(...); await put` is two; with `setTimeout(0)` instead of the fetch,
 *   two.) So: a write call (put, delete, deleteAll, setAlarm, deleteAlarm, kv.put, kv.delete, an `sql.exec` that
 *   wrote) opens a commit unless the same object already wrote in the current turn. The turn number moves on at
 *   every event boundary the meter sees: an RPC or alarm entry, a Worker `fetch` entry, the settling of a fetch,
 *   of a response body read and of a D1 call, and a `setTimeout(0)` armed by the first write of a turn (a
 *   backstop for boundaries not seen otherwise: it runs as an event of its own, so it can end a turn late but
 *   never split one).
 * - Not counted: the `sql.exec` calls wrangler dev's own wrapper class makes in every constructor (it stores the
 *   object's name for its local explorer; Cloudflare does not), apart from `localOnlySqlExecs`.
 * - Active wall time: the union of the object's request and alarm intervals (an object is active while at least
 *   one runs; overlaps merged), by the Workers clock: `Date.now()` advances only at I/O, so computing after the
 *   last I/O of a call is not seen.
 * - D1: queries (each statement, in a batch too), batches, and rows read/written from each result's `meta`
 *   (`first()` and `raw()` return none: counted in `withoutMeta`). Counted apart for the objects and the Worker.
 * - Outbound: every `fetch` by origin and by `METHOD path`, path segments that are numbers or look like tokens
 *   masked (an interaction token is in Discord's webhook path; queries are dropped).
 */

type AnyFunction = (...args: any[]) => any;

/**
 * wrangler dev (miniflare) wraps every Durable Object class so that each constructor run stores the object's name
 * in this table, for its local explorer: a local cost that Cloudflare does not have, so not counted (apart from
 * `localOnlySqlExecs`).
 */
const LOCAL_ONLY_TABLE = '__miniflare_';

export interface StorageCounts {
  gets: number;
  puts: number;
  deletes: number;
  deleteAlls: number;
  lists: number;
  getAlarms: number;
  setAlarms: number;
  deleteAlarms: number;
  sqlExecs: number;
  /** `sql.exec` calls of wrangler dev's own wrapper (see LOCAL_ONLY_TABLE), not counted anywhere else. */
  localOnlySqlExecs: number;
  transactions: number;
  rowsRead: number;
  rowsWritten: number;
  /** Calls that wrote (see the module comment). */
  writeCalls: number;
  commits: number;
}

/** Alarm runs that made exactly one outbound request, by that request's origin: a poll that only polled. */
export interface SingleFetchRuns {
  runs: number;
  commits: number;
  rowsWritten: number;
}

export interface ObjectCounts extends StorageCounts {
  /** RPC (and fetch) calls, all methods. */
  requests: number;
  byMethod: Record<string, number>;
  alarms: number;
  alarmRetries: number;
  activeMs: number;
  /**
   * By origin: the alarm runs whose only outbound request went there, with the commits and rows they wrote. Runs
   * whose only request is a poll are the marginal cost of a poll, whatever the login's fixed steps cost.
   */
  singleFetchAlarmRuns: Record<string, SingleFetchRuns>;
}

/** What one alarm run did, attributed through the run scope (AsyncLocalStorage in workerd). */
export interface RunRecord {
  origins: string[];
}

export interface D1Counts {
  queries: number;
  batches: number;
  rowsRead: number;
  rowsWritten: number;
  /** Queries whose result carries no meta (`first`, `raw`): their rows are not in the row counts. */
  withoutMeta: number;
}

export interface MeterSnapshot {
  /** A random id of the isolate that counted: every object and the Worker must report the same. */
  isolate: string;
  /** Distinct objects (by id) seen, and constructor runs (an object rebuilt after eviction counts again). */
  objects: number;
  constructions: number;
  /** Objects with a request or alarm running at the time of the snapshot. */
  activeObjects: number;
  durableObjects: ObjectCounts;
  worker: { requests: number; byPath: Record<string, number> };
  d1: { durableObjects: D1Counts; worker: D1Counts };
  outbound: Record<string, Record<string, number>>;
  /** Event boundaries seen, and how many of them only the setTimeout backstop found (it also marks the last turn of each call). */
  turns: number;
  backstopTurns: number;
}

export interface MeterHooks {
  /** The clock for active time (Date.now in workerd). */
  now(): number;
  /** Runs `fn` in an event of its own after the current one (setTimeout 0). */
  afterTurn(fn: () => void): void;
  /** A random id for the isolate. */
  isolateId?: string;
  /**
   * Runs `fn` in a scope that `currentRun` returns inside it, across awaits (AsyncLocalStorage): lets the fetch
   * wrapper tell which alarm run a request belongs to. Without it, per-run figures stay empty.
   */
  runIn?<T>(record: RunRecord, fn: () => T): T;
  currentRun?(): RunRecord | undefined;
}

const zeroStorage = (): StorageCounts => ({
  gets: 0,
  puts: 0,
  deletes: 0,
  deleteAlls: 0,
  lists: 0,
  getAlarms: 0,
  setAlarms: 0,
  deleteAlarms: 0,
  sqlExecs: 0,
  localOnlySqlExecs: 0,
  transactions: 0,
  rowsRead: 0,
  rowsWritten: 0,
  writeCalls: 0,
  commits: 0,
});

const zeroObject = (): ObjectCounts => ({ ...zeroStorage(), requests: 0, byMethod: {}, alarms: 0, alarmRetries: 0, activeMs: 0, singleFetchAlarmRuns: {} });

export const zeroD1 = (): D1Counts => ({ queries: 0, batches: 0, rowsRead: 0, rowsWritten: 0, withoutMeta: 0 });

/** An `sql.exec` cursor whose row counts may still grow while it is iterated. */
interface OpenCursor {
  cursor: { rowsRead: number; rowsWritten: number };
  object: ObjectMeter;
  turn: number;
  read: number;
  written: number;
}

export class ObjectMeter {
  readonly counts = zeroObject();
  readonly #meter: Meter;
  /** The turn of this object's open commit, -1 for none. */
  #commitTurn = -1;
  #depth = 0;
  #since = 0;

  constructor(meter: Meter) {
    this.#meter = meter;
  }

  /** A write call in the current turn (rows may be 0: a delete of a missing key still opens the transaction). */
  write(rows: number): void {
    this.counts.writeCalls++;
    this.counts.rowsWritten += rows;
    this.commitIn(this.#meter.turn);
  }

  /** Opens a commit for `turn` unless this object already has one open in that turn. */
  commitIn(turn: number): void {
    if (turn !== this.#commitTurn) {
      this.counts.commits++;
      if (turn > this.#commitTurn) this.#commitTurn = turn;
    }
    this.#meter.armBackstop();
  }

  get active(): boolean {
    return this.#depth > 0;
  }

  hasCommitIn(turn: number): boolean {
    return this.#commitTurn === turn;
  }

  read(rows: number): void {
    this.counts.rowsRead += rows;
  }

  /** An alarm run that made exactly one outbound request, to `origin`: adds what it wrote since `before`. */
  singleFetchRun(origin: string, before: StorageCounts): void {
    const entry = (this.counts.singleFetchAlarmRuns[origin] ??= { runs: 0, commits: 0, rowsWritten: 0 });
    entry.runs++;
    entry.commits += this.counts.commits - before.commits;
    entry.rowsWritten += this.counts.rowsWritten - before.rowsWritten;
  }

  /** A request or alarm run begins; the returned function ends it. */
  enter(method: string, alarmInfo?: unknown): () => void {
    this.#meter.boundary();
    if (method === 'alarm') {
      this.counts.alarms++;
      if ((alarmInfo as { isRetry?: boolean } | undefined)?.isRetry) this.counts.alarmRetries++;
    } else {
      this.counts.requests++;
      this.counts.byMethod[method] = (this.counts.byMethod[method] ?? 0) + 1;
    }
    if (this.#depth++ === 0) this.#since = this.#meter.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#depth === 0) this.counts.activeMs += this.#meter.now() - this.#since;
    };
  }
}

/** Masks path segments that are ids or tokens, so that no secret reaches the counters. */
export function pathPattern(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => (/^\d+$/.test(segment) ? ':id' : segment.length >= 16 ? ':token' : segment))
    .join('/');
}

export class Meter {
  turn = 0;
  backstopTurns = 0;
  readonly isolate: string;
  readonly #hooks: MeterHooks;
  readonly #objects = new Map<string, ObjectMeter>();
  #constructions = 0;
  #armed = false;
  #cursors: OpenCursor[] = [];
  readonly worker = { requests: 0, byPath: {} as Record<string, number> };
  readonly d1 = { durableObjects: zeroD1(), worker: zeroD1() };
  readonly outbound: Record<string, Record<string, number>> = {};

  constructor(hooks: MeterHooks) {
    this.#hooks = hooks;
    this.isolate = hooks.isolateId ?? Math.random().toString(36).slice(2, 10);
  }

  now(): number {
    return this.#hooks.now();
  }

  /** An event boundary: the turn before it has ended. */
  boundary(): void {
    this.turn++;
    this.#armed = false;
    this.#settleCursors();
  }

  armBackstop(): void {
    if (this.#armed) return;
    this.#armed = true;
    const armedIn = this.turn;
    this.#hooks.afterTurn(() => {
      if (this.turn === armedIn) this.backstopTurns++;
      this.boundary();
    });
  }

  /** The meter of the object with this id (one per id, kept across evictions), counting a constructor run. */
  objectFor(id: string): ObjectMeter {
    this.#constructions++;
    let object = this.#objects.get(id);
    if (!object) this.#objects.set(id, (object = new ObjectMeter(this)));
    return object;
  }

  workerRequest(pathname: string): void {
    this.boundary();
    this.worker.requests++;
    const key = pathPattern(pathname);
    this.worker.byPath[key] = (this.worker.byPath[key] ?? 0) + 1;
  }

  /** `promise`, with a boundary when it settles (before whoever awaits it resumes). */
  settle<T>(promise: Promise<T>): Promise<T> {
    return promise.then(
      (value) => {
        this.boundary();
        return value;
      },
      (error: unknown) => {
        this.boundary();
        throw error;
      },
    );
  }

  // ---- Storage -------------------------------------------------------------------------------------------------

  /** A stand-in for `ctx.storage` that counts into `object`; every call is passed to the real storage. */
  wrapStorage<S extends object>(storage: S, object: ObjectMeter): S {
    const meter = this;
    let sql: unknown;
    let kv: unknown;
    const kvLike = meter.#kvLike(storage, object);
    return new Proxy(storage, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'sql') return (sql ??= value && meter.#wrapSql(value as object, object));
        if (key === 'kv') return (kv ??= value && meter.#wrapSyncKv(value as object, object));
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        if (key === 'deleteAll') {
          return (...args: unknown[]) => {
            object.counts.deleteAlls++;
            object.write(meter.#keyCount(target));
            return method.apply(target, args);
          };
        }
        if (key === 'transaction') {
          return (closure: (txn: object) => unknown, ...rest: unknown[]) => {
            object.counts.transactions++;
            return method.call(target, (txn: object) => closure(new Proxy(txn, meter.#kvLike(txn, object))), ...rest);
          };
        }
        if (key === 'transactionSync') {
          return (...args: unknown[]) => {
            object.counts.transactions++;
            return method.apply(target, args);
          };
        }
        return kvLike.get!(target, key, target);
      },
    });
  }

  /** Keys in the storage right now, from the synchronous KV API (SQLite-backed objects); 0 when there is none. */
  #keyCount(storage: object): number {
    const kv = (storage as { kv?: { list(): Iterable<unknown> } }).kv;
    if (!kv) return 0;
    let keys = 0;
    for (const _ of kv.list()) keys++;
    return keys;
  }

  /** Handler counting the asynchronous KV methods shared by the storage and a transaction. */
  #kvLike(_storage: object, object: ObjectMeter): ProxyHandler<object> {
    return {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        const counts = object.counts;
        switch (key) {
          case 'get':
            return (keys: unknown, ...rest: unknown[]) => {
              counts.gets++;
              object.read(Array.isArray(keys) ? keys.length : 1);
              return method.call(target, keys, ...rest);
            };
          case 'list':
            return (...args: unknown[]) => {
              counts.lists++;
              return Promise.resolve(method.apply(target, args)).then((entries: Map<unknown, unknown>) => {
                object.read(entries.size);
                return entries;
              });
            };
          case 'put':
            return (keyOrEntries: unknown, ...rest: unknown[]) => {
              counts.puts++;
              object.write(typeof keyOrEntries === 'string' ? 1 : Object.keys(keyOrEntries as object).length);
              return method.call(target, keyOrEntries, ...rest);
            };
          case 'delete':
            return (keys: unknown, ...rest: unknown[]) => {
              counts.deletes++;
              object.write(0);
              return Promise.resolve(method.call(target, keys, ...rest)).then((removed: boolean | number) => {
                counts.rowsWritten += typeof removed === 'number' ? removed : removed ? 1 : 0;
                return removed;
              });
            };
          case 'setAlarm':
            return (...args: unknown[]) => {
              counts.setAlarms++;
              object.write(1);
              return method.apply(target, args);
            };
          case 'deleteAlarm':
            return (...args: unknown[]) => {
              counts.deleteAlarms++;
              object.write(1);
              return method.apply(target, args);
            };
          case 'getAlarm':
            return (...args: unknown[]) => {
              counts.getAlarms++;
              return method.apply(target, args);
            };
          default:
            return method.bind(target);
        }
      },
    };
  }

  #wrapSyncKv(kv: object, object: ObjectMeter): object {
    return new Proxy(kv, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        const counts = object.counts;
        switch (key) {
          case 'get':
            return (...args: unknown[]) => {
              counts.gets++;
              object.read(1);
              return method.apply(target, args);
            };
          case 'list':
            return (...args: unknown[]) => {
              counts.lists++;
              const entries = [...(method.apply(target, args) as Iterable<unknown>)];
              object.read(entries.length);
              return entries;
            };
          case 'put':
            return (...args: unknown[]) => {
              counts.puts++;
              object.write(1);
              return method.apply(target, args);
            };
          case 'delete':
            return (...args: unknown[]) => {
              counts.deletes++;
              const removed = method.apply(target, args) as boolean;
              object.write(removed ? 1 : 0);
              return removed;
            };
          default:
            return method.bind(target);
        }
      },
    });
  }

  #wrapSql(sql: object, object: ObjectMeter): object {
    const meter = this;
    return new Proxy(sql, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (key !== 'exec') return (value as AnyFunction).bind(target);
        return (...args: unknown[]) => {
          const cursor = (value as AnyFunction).apply(target, args) as OpenCursor['cursor'];
          if (String(args[0]).includes(LOCAL_ONLY_TABLE)) {
            object.counts.localOnlySqlExecs++;
            return cursor;
          }
          object.counts.sqlExecs++;
          const open: OpenCursor = { cursor, object, turn: meter.turn, read: 0, written: 0 };
          meter.#account(open);
          meter.#cursors.push(open);
          return cursor;
        };
      },
    });
  }

  /** Adds what a cursor read and wrote since last time; its first write in its turn opens a commit. */
  #account(open: OpenCursor): void {
    const read = open.cursor.rowsRead;
    const written = open.cursor.rowsWritten;
    open.object.read(read - open.read);
    if (written > open.written) {
      if (open.written === 0) {
        open.object.counts.writeCalls++;
        if (!open.object.hasCommitIn(open.turn)) open.object.commitIn(open.turn);
      }
      open.object.counts.rowsWritten += written - open.written;
    }
    open.read = read;
    open.written = written;
  }

  #settleCursors(): void {
    if (this.#cursors.length === 0) return;
    for (const open of this.#cursors) this.#account(open);
    this.#cursors = [];
  }

  // ---- D1 ------------------------------------------------------------------------------------------------------

  /** A stand-in for a D1 binding that counts into `counts`. */
  wrapD1<D extends object>(db: D, counts: D1Counts): D {
    const meter = this;
    return new Proxy(db, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        switch (key) {
          case 'prepare':
            return (...args: unknown[]) => meter.#wrapStatement(method.apply(target, args) as object, counts);
          case 'batch':
            return (statements: unknown[], ...rest: unknown[]) => {
              counts.batches++;
              counts.queries += statements.length;
              return meter.settle(Promise.resolve(method.call(target, statements, ...rest))).then((results: unknown[]) => {
                for (const result of results) meter.#addMeta(result, counts);
                return results;
              });
            };
          case 'exec':
            return (...args: unknown[]) => {
              counts.queries++;
              counts.withoutMeta++;
              return meter.settle(Promise.resolve(method.apply(target, args)));
            };
          case 'withSession':
            return (...args: unknown[]) => meter.wrapD1(method.apply(target, args) as object, counts);
          default:
            return method.bind(target);
        }
      },
    });
  }

  #addMeta(result: unknown, counts: D1Counts): void {
    const meta = (result as { meta?: { rows_read?: number; rows_written?: number } } | undefined)?.meta;
    if (!meta) {
      counts.withoutMeta++;
      return;
    }
    counts.rowsRead += meta.rows_read ?? 0;
    counts.rowsWritten += meta.rows_written ?? 0;
  }

  /** Patches a prepared statement in place (a batch must get the runtime's own statement objects). */
  #wrapStatement<T extends object>(statement: T, counts: D1Counts): T {
    const meter = this;
    const s = statement as Record<string, unknown>;
    const original = (name: string) => s[name] as AnyFunction | undefined;
    const bind = original('bind');
    if (bind) s.bind = (...args: unknown[]) => meter.#wrapStatement(bind.apply(statement, args) as object, counts);
    for (const name of ['run', 'all'] as const) {
      const method = original(name);
      if (!method) continue;
      s[name] = (...args: unknown[]) => {
        counts.queries++;
        return meter.settle(Promise.resolve(method.apply(statement, args))).then((result: unknown) => {
          meter.#addMeta(result, counts);
          return result;
        });
      };
    }
    for (const name of ['first', 'raw'] as const) {
      const method = original(name);
      if (!method) continue;
      s[name] = (...args: unknown[]) => {
        counts.queries++;
        counts.withoutMeta++;
        return meter.settle(Promise.resolve(method.apply(statement, args)));
      };
    }
    return statement;
  }

  // ---- Outbound ------------------------------------------------------------------------------------------------

  /** A `fetch` that counts every request by origin and route, with a boundary when it and its body settle. */
  wrapFetch(realFetch: AnyFunction): AnyFunction {
    const meter = this;
    return function fetch(input: unknown, init?: { method?: string }) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : ((input as { url?: string }).url ?? String(input));
      const method = (init?.method ?? (typeof input === 'object' && input !== null ? (input as { method?: string }).method : undefined) ?? 'GET').toUpperCase();
      let origin = 'invalid';
      let route = url;
      try {
        const parsed = new URL(url);
        origin = parsed.origin;
        route = `${method} ${pathPattern(parsed.pathname)}`;
      } catch {
        route = `${method} (invalid URL)`;
      }
      const byRoute = (meter.outbound[origin] ??= {});
      byRoute[route] = (byRoute[route] ?? 0) + 1;
      meter.#hooks.currentRun?.()?.origins.push(origin);
      return meter.settle(Promise.resolve(realFetch(input, init))).then((response: unknown) => meter.#wrapBody(response));
    };
  }

  #wrapBody<R>(response: R): R {
    if (!response || typeof response !== 'object') return response;
    const r = response as Record<string, unknown>;
    for (const name of ['text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData']) {
      const method = r[name];
      if (typeof method !== 'function') continue;
      try {
        r[name] = (...args: unknown[]) => this.settle(Promise.resolve((method as AnyFunction).apply(response, args)));
      } catch {
        // A response that takes no own properties: its body read is then not seen as a boundary (the backstop is).
      }
    }
    return response;
  }

  // ---- Classes -------------------------------------------------------------------------------------------------

  /**
   * Defines on `subclass.prototype` a counting wrapper for every method of `base`'s prototype chain, up to but not
   * including `stopAt` (the runtime's DurableObject): each call is a request of the object (`alarm`: an alarm run).
   */
  instrumentMethods(subclass: { prototype: object }, base: { prototype: object }, stopAt: object | undefined, objectOf: (instance: object) => ObjectMeter): string[] {
    const wrapped: string[] = [];
    const meter = this;
    for (let proto: object | null = base.prototype; proto && proto !== stopAt && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor' || Object.hasOwn(subclass.prototype, name)) continue;
        const original = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
        if (typeof original !== 'function') continue;
        Object.defineProperty(subclass.prototype, name, {
          configurable: true,
          writable: true,
          value: async function (this: object, ...args: unknown[]) {
            const object = objectOf(this);
            const end = object.enter(name, args[0]);
            const run: RunRecord = { origins: [] };
            const before = { ...object.counts };
            const call = () => (original as AnyFunction).apply(this, args) as unknown;
            try {
              return await (name === 'alarm' && meter.#hooks.runIn ? meter.#hooks.runIn(run, call) : call());
            } finally {
              end();
              // The run's last writes (its next alarm) are made before it returns, so they are counted by now.
              if (name === 'alarm' && run.origins.length === 1) object.singleFetchRun(run.origins[0]!, before);
            }
          },
        });
        wrapped.push(name);
      }
    }
    return wrapped;
  }

  // ---- Report --------------------------------------------------------------------------------------------------

  snapshot(): MeterSnapshot {
    this.#settleCursors();
    const total = zeroObject();
    let activeObjects = 0;
    for (const object of this.#objects.values()) {
      if (object.active) activeObjects++;
      const c = object.counts;
      for (const key of Object.keys(total) as (keyof ObjectCounts)[]) {
        if (key === 'byMethod' || key === 'singleFetchAlarmRuns') continue;
        (total[key] as number) += c[key] as number;
      }
      for (const [origin, runs] of Object.entries(c.singleFetchAlarmRuns)) {
        const sumRuns = (total.singleFetchAlarmRuns[origin] ??= { runs: 0, commits: 0, rowsWritten: 0 });
        sumRuns.runs += runs.runs;
        sumRuns.commits += runs.commits;
        sumRuns.rowsWritten += runs.rowsWritten;
      }
      for (const [method, n] of Object.entries(c.byMethod)) total.byMethod[method] = (total.byMethod[method] ?? 0) + n;
    }
    return {
      isolate: this.isolate,
      objects: this.#objects.size,
      constructions: this.#constructions,
      activeObjects,
      durableObjects: total,
      worker: { requests: this.worker.requests, byPath: { ...this.worker.byPath } },
      d1: { durableObjects: { ...this.d1.durableObjects }, worker: { ...this.d1.worker } },
      outbound: structuredClone(this.outbound),
      turns: this.turn,
      backstopTurns: this.backstopTurns,
    };
  }
}
