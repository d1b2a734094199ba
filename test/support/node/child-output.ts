/** A child process's output for tests: everything it printed so far, and a wait for a line that matches. */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { waitForEvent } from '../../../scripts/lib/wait.ts';

export interface ChildOutput {
  text(): string;
  /** Resolves with the first match of `pattern` in the output (printed already or to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited: Promise<number | string>;
}

export function watchOutput(child: ChildProcess): ChildOutput {
  let text = '';
  const changes = new EventEmitter<{ data: [] }>();
  const add = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    changes.emit('data');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    text: () => text,
    waitFor: (pattern, timeoutMs = 60_000) =>
      waitForEvent(changes, 'data', () => pattern.exec(text) ?? undefined, `output matching ${pattern}\n--- so far ---\n${text}`, timeoutMs),
    exited,
  };
}

/** Every live process descending from `pid`, with its process group (Linux /proc). */
export function descendants(pid: number): Array<{ pid: number; pgid: number; name: string }> {
  const table = new Map<number, { ppid: number; pgid: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') table.set(Number(entry), { ppid: Number(fields[1]), pgid: Number(fields[2]), name });
    } catch {
      // It exited while we looked.
    }
  }
  const found: Array<{ pid: number; pgid: number; name: string }> = [];
  const visit = (parent: number) => {
    for (const [child, info] of table) {
      if (info.ppid === parent) {
        found.push({ pid: child, pgid: info.pgid, name: info.name });
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}
