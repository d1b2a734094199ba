/**
 * The instrumented bench build's meter (scripts/bench/instrumented-worker/meter.ts) against a fake storage that
 * behaves like workerd's SQLite-backed one: every call settles at once, without I/O. The expected commit counts
 * are workerd's (checked there with strace: writes in one event, awaits on storage included, are one commit; a
 * fetch or a timer between them makes two), so these tests pin the counting rule, not just the code.
 */
import { describe, expect, it } from 'vitest';
import { countFsyncs, fsyncCheckResult } from '../../scripts/bench/fsync-check.ts';
import { Meter, pathPattern, type ObjectMeter } from '../../scripts/bench/instrumented-worker/meter.ts';

class FakeCursor {
  rowsRead: number;
  rowsWritten: number;
  constructor(read: number, written: number) {
    this.rowsRead = read;
    this.rowsWritten = written;
  }
}

/** A storage whose promises settle without I/O, as workerd's SQLite-backed storage does. */
class FakeStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | null = null;
  readonly cursors: FakeCursor[] = [];
  readonly sqlQueries: string[] = [];
  readonly kv = {
    get: (key: string) => this.data.get(key),
    put: (key: string, value: unknown) => void this.data.set(key, value),
    delete: (key: string) => this.data.delete(key),
    list: () => [...this.data.entries()][Symbol.iterator](),
  };
  readonly sql = {
    /** The next cursor's row counts come from `nextCursor`. */
    nextCursor: { read: 0, written: 0 },
    exec: (query: string) => {
      this.sqlQueries.push(query);
      const cursor = new FakeCursor(this.sql.nextCursor.read, this.sql.nextCursor.written);
      this.cursors.push(cursor);
      return cursor;
    },
  };

  async get(keys: string | string[]) {
    if (Array.isArray(keys)) return new Map(keys.filter((k) => this.data.has(k)).map((k) => [k, this.data.get(k)]));
    return this.data.get(keys);
  }
  async put(keyOrEntries: string | Record<string, unknown>, value?: unknown) {
    if (typeof keyOrEntries === 'string') this.data.set(keyOrEntries, value);
    else for (const [k, v] of Object.entries(keyOrEntries)) this.data.set(k, v);
  }
  async delete(keys: string | string[]) {
    if (Array.isArray(keys)) return keys.filter((k) => this.data.delete(k)).length;
    return this.data.delete(keys);
  }
  async deleteAll() {
    this.data.clear();
  }
  async list() {
    return new Map(this.data);
  }
  async setAlarm(time: number) {
    this.alarm = time;
  }
  async deleteAlarm() {
    this.alarm = null;
  }
  async getAlarm() {
    return this.alarm;
  }
  async transaction<T>(closure: (txn: FakeStorage) => Promise<T>) {
    return closure(this);
  }
  transactionSync<T>(closure: () => T) {
    return closure();
  }
}

/**
 * Real macrotasks for the boundaries, a manual clock for active time. Without `backstop`, the meter sees only the
 * boundaries it observes (entries, fetch, body reads, D1), so a test can tell those from the backstop's.
 */
function setup({ backstop = true } = {}) {
  let time = 1_000;
  const afterTurn = backstop ? (fn: () => void) => void setTimeout(fn, 0) : () => undefined;
  const meter = new Meter({ now: () => time, afterTurn, isolateId: 'test' });
  const clock = {
    set: (ms: number) => void (time = ms),
    get now() {
      return time;
    },
  };
  const storage = new FakeStorage();
  const object = meter.objectFor('object-a');
  return { meter, clock, storage, object, counted: meter.wrapStorage(storage, object) };
}

/** A fetch whose answer arrives in a later macrotask (as over the network), moving the clock to `answerAt`. */
function slowFetch(clock: { set(ms: number): void }, answerAt?: number) {
  const calls: string[] = [];
  const fetch = (input: string) => {
    calls.push(input);
    return new Promise<{ text(): Promise<string> }>((resolve) =>
      setTimeout(() => {
        if (answerAt !== undefined) clock.set(answerAt);
        resolve({ text: () => new Promise((done) => setTimeout(() => done('{}'), 1)) });
      }, 2),
    );
  };
  return { fetch, calls };
}

const nextMacrotask = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('meter: storage commits (writes of one event are one commit)', () => {
  it('counts writes made without any await as one commit', async () => {
    const { counted, object } = setup();
    void counted.put('a', 1);
    void counted.put('b', 2);
    void counted.setAlarm(5_000);
    expect(object.counts.commits).toBe(1);
    expect(object.counts.writeCalls).toBe(3);
    expect(object.counts.rowsWritten).toBe(3);
  });

  it('keeps awaited storage calls in one commit: they settle without I/O, in the same event', async () => {
    const { counted, object } = setup();
    await counted.put('a', 1);
    await counted.get('a');
    await counted.put({ b: 1, c: 2, d: 3 });
    await counted.setAlarm(5_000);
    expect(object.counts.commits).toBe(1);
    expect(object.counts.rowsWritten).toBe(1 + 3 + 1);
    expect(object.counts.rowsRead).toBe(1);
  });

  it('starts a new commit after a fetch, and again after its body was read', async () => {
    const { meter, counted, object, clock } = setup({ backstop: false });
    const fetch = meter.wrapFetch(slowFetch(clock).fetch);
    await counted.put('state', 'poll sent');
    const response = await fetch('http://127.0.0.1:1/v25.0/device/login_status');
    await counted.put('state', 'answer arrived');
    await counted.setAlarm(6_000);
    expect(object.counts.commits).toBe(2);
    await response.text();
    await counted.put('state', 'body read');
    expect(object.counts.commits).toBe(3);
  });

  it('starts a new commit after an I/O the meter does not see, by its setTimeout backstop', async () => {
    const { meter, counted, object } = setup();
    await counted.put('a', 1);
    await new Promise((resolve) => setTimeout(resolve, 5)); // e.g. a timer of the engine's own
    await counted.put('a', 2);
    expect(object.counts.commits).toBe(2);
    expect(meter.backstopTurns).toBeGreaterThanOrEqual(1);
  });

  it('counts one commit per object when two objects write in the same event', async () => {
    const { meter, counted, object } = setup();
    const other = new FakeStorage();
    const otherObject = meter.objectFor('object-b');
    const otherCounted = meter.wrapStorage(other, otherObject);
    await counted.put('a', 1);
    await otherCounted.put('a', 1);
    await counted.put('b', 1);
    expect(object.counts.commits).toBe(1);
    expect(otherObject.counts.commits).toBe(1);
    await nextMacrotask();
    await otherCounted.delete('a');
    expect(otherObject.counts.commits).toBe(2);
    expect(object.counts.commits).toBe(1);
  });

  it('counts a D1 call as the end of an event', async () => {
    const { meter, counted, object } = setup({ backstop: false });
    const db = meter.wrapD1(fakeD1(), meter.d1.durableObjects);
    await counted.put('a', 1);
    await db.prepare('INSERT INTO t VALUES (?1)').bind(1).run();
    await counted.put('a', 2);
    expect(object.counts.commits).toBe(2);
  });
});

describe('meter: rows read and written', () => {
  it('counts per key for get, put and delete, and the keys deleteAll removes', async () => {
    const { counted, object, storage } = setup();
    await counted.put({ a: 1, b: 2, c: 3 });
    expect(await counted.get(['a', 'b', 'missing'])).toHaveProperty('size', 2);
    expect(object.counts.rowsRead).toBe(3); // one per key asked, found or not
    expect(await counted.delete('missing')).toBe(false);
    expect(await counted.delete(['a', 'b'])).toBe(2);
    expect(object.counts.rowsWritten).toBe(3 + 0 + 2);
    await counted.put({ x: 1, y: 2 });
    await counted.deleteAll();
    expect(storage.data.size).toBe(0);
    expect(object.counts.rowsWritten).toBe(5 + 2 + 3); // deleteAll removed c, x, y
    expect(object.counts.deleteAlls).toBe(1);
    expect(object.counts.rowsRead).toBe(3); // the keys counted for deleteAll are not rows read
  });

  it('counts one row per setAlarm and deleteAlarm, none for getAlarm', async () => {
    const { counted, object } = setup();
    await counted.setAlarm(10);
    await counted.getAlarm();
    await counted.deleteAlarm();
    expect(object.counts).toMatchObject({ setAlarms: 1, deleteAlarms: 1, getAlarms: 1, rowsWritten: 2, rowsRead: 0 });
  });

  it('counts list entries as rows read, and the synchronous KV API like the asynchronous one', async () => {
    const { counted, object } = setup();
    await counted.put({ a: 1, b: 2 });
    const listed = await counted.list();
    expect(listed.size).toBe(2);
    counted.kv.put('c', 3);
    expect(counted.kv.get('c')).toBe(3);
    expect([...counted.kv.list()]).toHaveLength(3);
    expect(counted.kv.delete('c')).toBe(true);
    expect(counted.kv.delete('c')).toBe(false);
    expect(object.counts.rowsRead).toBe(2 + 1 + 3);
    expect(object.counts.rowsWritten).toBe(2 + 1 + 1 + 0);
    expect(object.counts.commits).toBe(1);
  });

  it("takes sql.exec rows from the cursor, also rows its iteration reads later, and opens a commit only when it wrote", async () => {
    const { meter, counted, object, storage } = setup();
    storage.sql.nextCursor = { read: 4, written: 0 };
    counted.sql.exec('SELECT * FROM t');
    expect(object.counts).toMatchObject({ sqlExecs: 1, rowsRead: 4, rowsWritten: 0, writeCalls: 0, commits: 0 });
    storage.sql.nextCursor = { read: 1, written: 0 };
    counted.sql.exec('INSERT INTO t SELECT ... RETURNING id');
    storage.cursors[1]!.rowsWritten = 2; // written while the caller iterated it, in the same event
    storage.cursors[1]!.rowsRead = 3;
    meter.boundary();
    expect(object.counts).toMatchObject({ sqlExecs: 2, rowsRead: 4 + 3, rowsWritten: 2, writeCalls: 1, commits: 1 });
  });

  it('leaves out the SQL that wrangler dev runs for its local explorer', async () => {
    const { counted, object, storage } = setup();
    storage.sql.nextCursor = { read: 0, written: 1 };
    counted.sql.exec('INSERT OR REPLACE INTO __miniflare_do_name (id, name) VALUES (1, ?)');
    expect(object.counts).toMatchObject({ sqlExecs: 0, localOnlySqlExecs: 1, rowsWritten: 0, commits: 0 });
    expect(storage.sqlQueries).toHaveLength(1);
  });

  it('counts inside transaction() and transactionSync()', async () => {
    const { counted, object } = setup();
    await counted.transaction(async (txn) => {
      await txn.put('a', 1);
      await txn.get('a');
    });
    counted.transactionSync(() => void counted.kv.put('b', 2));
    expect(object.counts).toMatchObject({ transactions: 2, puts: 2, gets: 1, rowsWritten: 2, rowsRead: 1, commits: 1 });
  });
});

describe('meter: requests, alarm runs and active time', () => {
  class FakeDurableObject {
    ctx: { storage: FakeStorage };
    constructor(ctx: { storage: FakeStorage }) {
      this.ctx = ctx;
    }
  }

  it('wraps the prototype chain, counts each call, and merges overlapping active intervals', async () => {
    const { meter, clock } = setup({ backstop: false });
    let fetchAnswerAt = 0;
    const fetch = meter.wrapFetch((url: string) => slowFetch({ set: (ms) => clock.set(ms) }, fetchAnswerAt).fetch(url));
    class Engine extends FakeDurableObject {
      async start() {
        await this.ctx.storage.put('state', 'started');
        await this.ctx.storage.setAlarm(1);
      }
      async alarm() {
        await this.ctx.storage.put('state', 'polling');
        await fetch('http://127.0.0.1:1/poll');
        await this.ctx.storage.put('state', 'answered');
      }
    }
    class Cancellable extends Engine {
      cancel() {
        return 'cancelled';
      }
    }
    const objects = new WeakMap<object, ObjectMeter>();
    class Counted extends Cancellable {
      constructor(ctx: { storage: FakeStorage }) {
        const object = meter.objectFor('user-1');
        ctx.storage = meter.wrapStorage(ctx.storage, object);
        super(ctx);
        objects.set(this, object);
      }
    }
    const wrapped = meter.instrumentMethods(Counted, Cancellable, FakeDurableObject.prototype, (instance) => objects.get(instance)!);
    expect(wrapped.sort()).toEqual(['alarm', 'cancel', 'start']);

    const instance = new Counted({ storage: new FakeStorage() });
    const object = objects.get(instance)!;
    clock.set(10_000);
    await instance.start(); // no I/O: active 0 ms by the Workers clock
    fetchAnswerAt = 10_100;
    const alarm = instance.alarm(); // 10 000 → 10 100, waiting for its fetch
    clock.set(10_050);
    expect(await instance.cancel()).toBe('cancelled'); // arrives while the alarm waits: overlaps it
    await alarm;
    fetchAnswerAt = 10_260;
    clock.set(10_200);
    await instance.alarm(); // 10 200 → 10 260
    expect(object.counts).toMatchObject({ requests: 2, alarms: 2, byMethod: { start: 1, cancel: 1 }, activeMs: 100 + 60 });
    // start's two writes, then each alarm: one before its fetch and one after.
    expect(object.counts.commits).toBe(1 + 2 + 2);
    expect(meter.snapshot().activeObjects).toBe(0);
  });
});

interface FakeStatement {
  query: string;
  values: unknown[];
  bind(...values: unknown[]): FakeStatement;
  run(): Promise<{ meta: { rows_read: number; rows_written: number } }>;
  all(): Promise<{ results: unknown[]; meta: { rows_read: number; rows_written: number } }>;
  first(): Promise<unknown>;
  raw(): Promise<unknown[]>;
}

function fakeD1() {
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1));
  const statement = (query: string, values: unknown[] = []): FakeStatement => ({
    query,
    values,
    bind: (...bound: unknown[]) => statement(query, bound),
    run: () => later({ meta: { rows_read: 0, rows_written: query.startsWith('INSERT') ? 2 : 0 } }),
    all: () => later({ results: [{ id: 1 }], meta: { rows_read: 1, rows_written: 0 } }),
    first: () => later({ id: 1 }),
    raw: () => later([[1]]),
  });
  return {
    prepare: (query: string) => statement(query),
    batch: (statements: FakeStatement[]) =>
      later(statements.map((s) => ({ results: [], meta: { rows_read: 1, rows_written: s.query.startsWith('SELECT') ? 0 : 1 } }))),
  };
}

describe('meter: D1 and outbound requests', () => {
  it('counts queries and their meta rows, batches statement by statement', async () => {
    const { meter } = setup();
    const counts = meter.d1.worker;
    const db = meter.wrapD1(fakeD1(), counts);
    await db.prepare('INSERT INTO t VALUES (?1)').bind(7).run();
    await db.prepare('SELECT * FROM t').all();
    const results = await db.batch([db.prepare('SELECT 1'), db.prepare('DELETE FROM t').bind(1), db.prepare('INSERT INTO t VALUES (2)')]);
    expect(results).toHaveLength(3);
    await db.prepare('SELECT id FROM t').first();
    expect(counts).toEqual({ queries: 6, batches: 1, rowsRead: 1 + 3, rowsWritten: 2 + 2, withoutMeta: 1 });
  });

  it('counts outbound requests by origin and route, with tokens and ids masked and queries dropped', async () => {
    const { meter, clock } = setup();
    const fake = slowFetch(clock);
    const fetch = meter.wrapFetch(fake.fetch);
    const token = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ';
    await fetch(`http://127.0.0.1:2000/api/v10/webhooks/1234567890123456789/${token}/messages/@original`, { method: 'PATCH' });
    await fetch('http://127.0.0.1:3000/v25.0/device/login_status?access_token=app|secret', { method: 'POST' });
    await fetch('http://127.0.0.1:3000/v25.0/device/login_status', { method: 'post' });
    expect(fake.calls).toHaveLength(3);
    expect(meter.outbound).toEqual({
      'http://127.0.0.1:2000': { 'PATCH /api/v10/webhooks/:id/:token/messages/@original': 1 },
      'http://127.0.0.1:3000': { 'POST /v25.0/device/login_status': 2 },
    });
    expect(JSON.stringify(meter.snapshot())).not.toContain(token);
    expect(JSON.stringify(meter.snapshot())).not.toContain('secret');
    expect(pathPattern('/v25.0/me')).toBe('/v25.0/me');
  });

  it('sums every object into one snapshot with the isolate id and the objects seen', async () => {
    const { meter, counted } = setup();
    const second = meter.wrapStorage(new FakeStorage(), meter.objectFor('object-b'));
    meter.objectFor('object-a'); // rebuilt after an eviction: same object, one more construction
    await counted.put('a', 1);
    await second.put({ a: 1, b: 2 });
    meter.workerRequest('/interactions');
    const snapshot = meter.snapshot();
    expect(snapshot).toMatchObject({ isolate: 'test', objects: 2, constructions: 3, activeObjects: 0 });
    expect(snapshot.durableObjects).toMatchObject({ puts: 2, rowsWritten: 3, commits: 2 });
    expect(snapshot.worker).toEqual({ requests: 1, byPath: { '/interactions': 1 } });
  });
});

describe('the runtime check of the commit rule (--fsync-check)', () => {
  it("counts strace's fsyncs by file: objects' WALs, the alarm scheduler's, the rest", () => {
    const object = (hex: string) => `/tmp/wrangler-dev-x/v3/do/discord-facebook-login-LoginSession/${hex.repeat(64)}.sqlite-wal`;
    const trace = [
      `101 fsync(12<${object('a')}>) = 0`,
      `101 fdatasync(12<${object('a')}>) = 0`,
      `102 fsync(14<${object('b')}>) = 0`,
      `102 fsync(9</tmp/wrangler-dev-x/v3/do/discord-facebook-login-LoginSession/metadata.sqlite-wal>) = 0`,
      `103 fsync(7</tmp/wrangler-dev-x/v3/d1/miniflare-D1DatabaseObject/${'c'.repeat(64)}.sqlite-wal>) = 0`,
      `104 fsync(15<${object('a').replace('-wal', '-journal')}>) = 0`,
      '105 +++ exited with 0 +++',
    ].join('\n');
    expect(countFsyncs(trace)).toEqual({ objectWal: 3, objectFiles: 2, alarmMetadata: 1, other: 2 });
    expect(fsyncCheckResult(countFsyncs(trace), 1, 1)).toMatchObject({ expectedObjectWal: 3, matches: false }); // 2 files, 1 object counted
    expect(fsyncCheckResult({ objectWal: 7, objectFiles: 2, alarmMetadata: 0, other: 0 }, 3, 2)).toMatchObject({ expectedObjectWal: 7, matches: true });
    expect(fsyncCheckResult({ unavailable: 'strace could not run' }, 3, 2)).toMatchObject({ matches: false, unavailable: 'strace could not run' });
  });
});
