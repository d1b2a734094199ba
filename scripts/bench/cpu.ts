/**
 * CPU time and memory of a process group (wrangler dev and its workerd processes), from /proc: the server-side
 * cost the benchmark divides by the requests served. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { liveProcessesInGroup, processName } from '../lib/process-group.ts';

/** Clock ticks per second for /proc/<pid>/stat times (almost always 100). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface GroupCpu {
  /** utime + stime of every live process of the group, in ms. */
  totalMs: number;
  /** The same, by {@link processRole} (`workerd (Worker)`, `workerd (proxy)`, `node`), to see where the time goes. */
  byName: Record<string, number>;
  /** ms per pid, so a later sample can subtract exactly. */
  byPid: Map<number, { name: string; ms: number }>;
}

/**
 * What a process of wrangler dev's group does. wrangler dev runs two workerd processes: one serves the port and
 * runs wrangler's ProxyWorker, which forwards every request to the other, which runs the Worker itself (and has
 * the inspector attached). Only the second runs our code; the first is a constant cost per request.
 */
export function processRole(pid: number): string {
  const name = processName(pid) ?? '?';
  if (name !== 'workerd') return name;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--inspector-addr') ? 'workerd (Worker)' : 'workerd (proxy)';
  } catch {
    return name;
  }
}

function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15 (1-based) -> 11 and 12 here.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined; // it exited while we looked
  }
}

export function groupCpu(pgid: number): GroupCpu {
  const byPid = new Map<number, { name: string; ms: number }>();
  const byName: Record<string, number> = {};
  let totalMs = 0;
  for (const pid of liveProcessesInGroup(pgid)) {
    const ms = cpuMsOf(pid);
    if (ms === undefined) continue;
    const name = processRole(pid);
    byPid.set(pid, { name, ms });
    byName[name] = (byName[name] ?? 0) + ms;
    totalMs += ms;
  }
  return { totalMs, byName, byPid };
}

/** CPU spent between two samples of the same group, in ms (processes started in between count from zero). */
export function cpuBetween(before: GroupCpu, after: GroupCpu): { totalMs: number; byName: Record<string, number> } {
  const byName: Record<string, number> = {};
  let totalMs = 0;
  for (const [pid, { name, ms }] of after.byPid) {
    const spent = ms - (before.byPid.get(pid)?.ms ?? 0);
    byName[name] = (byName[name] ?? 0) + spent;
    totalMs += spent;
  }
  return { totalMs, byName };
}

/** Resident memory of the whole group: the sum of VmRSS over its live processes, in bytes. */
export function groupRssBytes(pgid: number): number {
  let total = 0;
  for (const pid of liveProcessesInGroup(pgid)) {
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // exited while we looked
    }
  }
  return total;
}

/** Open file descriptors of a process (0 once it is gone). */
export function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The soft limit of open files of a process (Infinity when unlimited or unknown). */
export function openFileLimit(pid: number): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return match && match[1] !== 'unlimited' ? Number(match[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * Where a process spends its time, by sampling its scheduler state (`/proc/<pid>/stat` field 3) at a fixed rate:
 * `R` running or ready, `D` uninterruptible wait (disk I/O: fsync), anything else waiting for work. A profile
 * that needs no kernel delay accounting and no debugger, coarse but enough to tell CPU-bound from disk-bound.
 */
export interface StateSampler {
  stop(): { samples: number; running: number; diskWait: number; idle: number };
}

export function sampleProcessStates(pids: readonly number[], everyMs: number): StateSampler {
  const counts = { samples: 0, running: 0, diskWait: 0, idle: 0 };
  const timer = setInterval(() => {
    for (const pid of pids) {
      let state: string;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        state = stat.charAt(stat.lastIndexOf(')') + 2);
      } catch {
        continue; // exited
      }
      counts.samples++;
      if (state === 'R') counts.running++;
      else if (state === 'D') counts.diskWait++;
      else counts.idle++;
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { ...counts };
    },
  };
}
