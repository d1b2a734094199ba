/**
 * `--fsync-check`: the meter's commit rule (instrumented-worker/meter.ts) checked against the runtime itself.
 * strace follows the Worker's workerd during the logins and counts the fsyncs of each Durable Object's SQLite
 * WAL: workerd syncs the WAL once per commit, plus twice when it creates an object's database (its own schema,
 * and wrangler dev's name-table write in the constructor, which the meter leaves out). So, on a fresh run, WAL
 * fsyncs = commits counted + 2 × objects. (Found with strace on workerd 1.20261117, wrangler 4.164: a new object
 * with one commit syncs its WAL three times, each further commit once.) Every workerd syscall then stops in
 * strace: the check slows the Worker down, so its runs are for checking the counts, not for timings. Linux only,
 * needs strace and the right to trace one's own processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** WAL syncs workerd makes when it creates an object's database (see the module comment). */
export const FSYNCS_PER_OBJECT_CREATED = 2;

export interface FsyncCounts {
  /** fsync/fdatasync of the objects' `<id>.sqlite-wal` files. */
  objectWal: number;
  /** Distinct object databases that were synced. */
  objectFiles: number;
  /** Of the class's `metadata.sqlite-wal` (the local alarm scheduler). */
  alarmMetadata: number;
  other: number;
}

export interface FsyncCheckResult extends FsyncCounts {
  /** Why there are no counts (strace missing or not allowed), if there are none. */
  unavailable?: string;
  commitsCounted: number;
  objectsCounted: number;
  /** commits + 2 × objects: what the WAL fsyncs should be if the meter's rule is right. */
  expectedObjectWal: number;
  matches: boolean;
}

/** Counts the fsyncs of an `strace -y -e trace=fsync,fdatasync` log by file. */
export function countFsyncs(trace: string): FsyncCounts {
  const counts: FsyncCounts = { objectWal: 0, objectFiles: 0, alarmMetadata: 0, other: 0 };
  const files = new Set<string>();
  for (const line of trace.split('\n')) {
    if (!/\b(fsync|fdatasync)\(/.test(line)) continue;
    const object = /\/do\/[^/>]+\/([0-9a-f]{64})\.sqlite-wal>/.exec(line);
    if (object) {
      counts.objectWal++;
      files.add(object[1]!);
    } else if (/\/do\/[^/>]+\/metadata\.sqlite-wal>/.test(line)) counts.alarmMetadata++;
    else counts.other++;
  }
  counts.objectFiles = files.size;
  return counts;
}

export interface FsyncTrace {
  stop(): Promise<FsyncCounts | { unavailable: string }>;
}

/** Starts strace on `pid` (every thread); resolves once it is attached, or at once when it cannot run. */
export async function startFsyncTrace(pid: number): Promise<FsyncTrace> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fsync-'));
  const out = join(dir, 'trace.txt');
  const child = spawn('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-p', String(pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let failed: string | undefined;
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  child.once('error', (error) => (failed = `strace could not run: ${error.message}`));
  await new Promise<void>((attached) => {
    const timer = setTimeout(attached, 5_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (/attached/.test(stderr)) (clearTimeout(timer), attached());
    });
    void exited.then(() => (clearTimeout(timer), attached()));
  });
  let stopped: Promise<FsyncCounts | { unavailable: string }> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && !failed) child.kill('SIGINT'); // strace detaches and writes its log out
        await exited;
        try {
          if (failed) return { unavailable: failed };
          if (!/attached/.test(stderr)) return { unavailable: `strace did not attach: ${stderr.trim().split('\n')[0] ?? 'no output'}` };
          return countFsyncs(readFileSync(out, 'utf8'));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })()),
  };
}

export function fsyncCheckResult(counts: FsyncCounts | { unavailable: string }, commits: number, objects: number): FsyncCheckResult {
  const expectedObjectWal = commits + FSYNCS_PER_OBJECT_CREATED * objects;
  if ('unavailable' in counts) {
    return { objectWal: 0, objectFiles: 0, alarmMetadata: 0, other: 0, unavailable: counts.unavailable, commitsCounted: commits, objectsCounted: objects, expectedObjectWal, matches: false };
  }
  return { ...counts, commitsCounted: commits, objectsCounted: objects, expectedObjectWal, matches: counts.objectWal === expectedObjectWal && counts.objectFiles === objects };
}
