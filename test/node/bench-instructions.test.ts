/**
 * The instructions part of the bench (scripts/bench/instructions.ts) without valgrind: the wrapper that miniflare
 * starts instead of workerd sends only the Worker's process to callgrind, and the dump and annotate readers take
 * the figures the report prints. (The part itself needs valgrind and minutes; `npm run bench -- --only
 * instructions` runs it.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotatedCosts, callgrindTotal, workerdWrapper } from '../../scripts/bench/instructions.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-instructions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for a program: prints its name and arguments, one per line. */
function echoProgram(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho "${name}"\nfor arg in "$@"; do echo "$arg"; done\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('workerdWrapper', () => {
  const realWorkerd = echoProgram('real workerd');
  echoProgram('valgrind');
  const wrapper = join(dir, 'workerd');
  writeFileSync(wrapper, workerdWrapper(realWorkerd, join(dir, 'out dir')), { mode: 0o755 });
  const run = (...args: string[]) => execFileSync(wrapper, args, { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }).trim().split('\n');

  it("runs the Worker's process (the one with --inspector-addr) under callgrind, instrumentation off, with its arguments intact", () => {
    expect(run('serve', '--binary', '--inspector-addr=127.0.0.1:0', 'an arg with spaces')).toEqual([
      'valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'out dir', 'callgrind.%p.out')}`,
      realWorkerd,
      'serve',
      '--binary',
      '--inspector-addr=127.0.0.1:0',
      'an arg with spaces',
    ]);
  });

  it("runs wrangler's proxy (no inspector) as it is", () => {
    expect(run('serve', '--binary', '--socket-addr=entry=127.0.0.1:0')).toEqual(['real workerd', 'serve', '--binary', '--socket-addr=entry=127.0.0.1:0']);
  });
});

describe('reading callgrind', () => {
  it("takes a dump's total from its totals line (or summary, in older formats)", () => {
    expect(callgrindTotal('version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 1234567\ntotals: 1234567\n')).toBe(1234567);
    expect(callgrindTotal('events: Ir\nsummary: 42\n')).toBe(42);
    expect(() => callgrindTotal('events: Ir\n')).toThrow('no totals line');
  });

  it("sums callgrind_annotate's self costs by function, without the file and object names", () => {
    const annotated = [
      '718,208,729 (100.0%)  PROGRAM TOTALS',
      '100,075,808 (13.93%)  ???:fe_mul_impl(unsigned long*) [/usr/bin/workerd]',
      ' 61,621,368 ( 8.58%)  ./string/memset.S:__memset_avx2 [/usr/lib/libc.so.6]',
      '      4,685 ( 0.00%)  ???:0x000000006448f0c0 [???]',
      '         12 ( 0.00%)  ???:fe_mul_impl(unsigned long*) [/usr/bin/workerd]',
    ].join('\n');
    expect(annotatedCosts(annotated)).toEqual(
      new Map([
        ['fe_mul_impl(unsigned long*)', 100_075_820],
        ['./string/memset.S:__memset_avx2', 61_621_368],
        ['0x000000006448f0c0', 4_685],
      ]),
    );
  });
});
