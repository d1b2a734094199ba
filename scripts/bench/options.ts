/** Command-line options of `npm run bench`. */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isVariantName, VARIANTS, type VariantName } from './variants.ts';

export type Part = 'bundle' | 'interactions' | 'logins' | 'instructions';
const PARTS: Part[] = ['bundle', 'interactions', 'logins', 'instructions'];
/** What runs without --only: instructions is slow (valgrind) and opt-in. */
const DEFAULT_PARTS: Part[] = ['bundle', 'interactions', 'logins'];

export interface BenchOptions {
  parts: Part[];
  out: string;
  markdown: boolean;
  /** Print the table of an earlier run's JSON instead of running anything. */
  tableFrom: string | undefined;
  strict: boolean;
  quick: boolean;
  durationSeconds: number;
  rounds: number;
  connections: number;
  logins: number;
  /** instructions: signed requests per measured round. */
  requests: number;
  intervalSeconds: number;
  approveMinSeconds: number;
  approveMaxSeconds: number;
  sendConcurrency: number;
  seed: number;
  /** Run the logins part against an alternative (scripts/bench/variants.ts) instead of the shipped Worker. */
  variant: VariantName | undefined;
  /** Run the logins part on the instrumented build and report the cost per login (default on). */
  instrumented: boolean;
  /** Run the logins part once per count (in this order) instead of once with `logins`. */
  sweep: number[] | undefined;
  /** Write the latency and CPU-per-poll picture here (SVG). */
  chart: string | undefined;
  /** Draw the picture from these earlier results' JSON instead of running anything (needs `chart`). */
  chartFrom: string[] | undefined;
  /** Split the Worker's CPU into per login and per poll from these earlier runs' JSON, instead of running anything. */
  cpuSplitFrom: string[] | undefined;
  /** strace the Worker during the logins and check the counted commits against the WAL fsyncs (slow). */
  fsyncCheck: boolean;
}

export const USAGE = `npm run bench -- [options]
  --only bundle|interactions|logins|instructions   one part (repeat or comma-separate for several); default
                        bundle, interactions and logins. instructions: the interaction budget counted in
                        instructions by valgrind's callgrind instead of CPU time (needs valgrind; slow)
  --requests N          instructions: signed requests per measured round (default 500)
  --out FILE            JSON results (default bench-results.json)
  --markdown            print the summary as a Markdown table (for the README)
  --table-from FILE     print the table of an earlier run's JSON (with --markdown: as Markdown); runs nothing
  --strict              exit 1 when a budget is missed too (a failed check always exits 1)
  --quick               a few seconds per part: 1 s rounds, 1 round, 5 logins approved after 1-3 s
  --duration S          seconds per autocannon round (default 5)
  --rounds N            interleaved rounds per Worker (default 5)
  --connections N       autocannon connections (default 2)
  --logins N            concurrent logins (default 200)
  --interval S          the Facebook stand-in's polling interval (default 1)
  --approve-min S, --approve-max S   approval delay after the code is issued (default 2 and 20)
  --send-concurrency N  /login interactions in flight while starting the logins (default 50)
  --seed N              seed for the approval times (default: random, printed)
  --no-instrumented     run the logins part on the plain Worker: no cost figures (default: the instrumented
                        bench build, scripts/bench/instrumented-worker, counts what each login costs)
  --sweep N,N,...       run the logins part once per count, e.g. 200,1000,5000 (instead of --logins)
  --chart FILE.svg      draw approval-to-edit p50/p99 and CPU per poll against concurrent logins (with --sweep,
                        one point per count; with --chart-from, from earlier results)
  --chart-from A.json,B.json   draw --chart from earlier runs' JSON (single runs or sweeps); runs nothing
  --cpu-split-from A.json,B.json   from earlier logins runs with different approval windows: the Worker's CPU
                        per login (fixed) and per further poll (marginal), by least squares; runs nothing
  --fsync-check         strace the Worker's workerd during the logins and check the commits the instrumented
                        build counted against the fsyncs of the objects' SQLite WALs (slows the Worker: for
                        checking the counts, not for timings; needs strace)
  --variant NAME        run the logins part against an alternative Worker, to compare side by side:
                        ${Object.keys(VARIANTS).join(', ')} (see scripts/bench/variants.ts)`;

function positive(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(text)}`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      markdown: { type: 'boolean' },
      'table-from': { type: 'string' },
      strict: { type: 'boolean' },
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      logins: { type: 'string' },
      requests: { type: 'string' },
      interval: { type: 'string' },
      'approve-min': { type: 'string' },
      'approve-max': { type: 'string' },
      'send-concurrency': { type: 'string' },
      seed: { type: 'string' },
      variant: { type: 'string' },
      instrumented: { type: 'boolean' },
      sweep: { type: 'string' },
      chart: { type: 'string' },
      'chart-from': { type: 'string', multiple: true },
      'cpu-split-from': { type: 'string', multiple: true },
      'fsync-check': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const only = (values.only ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
  for (const part of only) if (!PARTS.includes(part as Part)) throw new Error(`--only takes ${PARTS.join(', ')}, not ${JSON.stringify(part)}`);
  const options: BenchOptions = {
    parts: only.length ? PARTS.filter((part) => only.includes(part)) : DEFAULT_PARTS,
    out: values.out ?? 'bench-results.json',
    markdown: values.markdown ?? false,
    tableFrom: values['table-from'],
    strict: values.strict ?? false,
    quick,
    durationSeconds: positive('duration', values.duration, quick ? 1 : 5, false),
    rounds: positive('rounds', values.rounds, quick ? 1 : 5),
    connections: positive('connections', values.connections, 2),
    logins: positive('logins', values.logins, quick ? 5 : 200),
    requests: positive('requests', values.requests, quick ? 50 : 500),
    intervalSeconds: positive('interval', values.interval, 1),
    approveMinSeconds: positive('approve-min', values['approve-min'], quick ? 1 : 2, false),
    approveMaxSeconds: positive('approve-max', values['approve-max'], quick ? 3 : 20, false),
    sendConcurrency: positive('send-concurrency', values['send-concurrency'], 50),
    seed: values.seed === undefined ? randomInt(2 ** 31) : positive('seed', values.seed, 1),
    variant: undefined,
    instrumented: values.instrumented ?? true,
    sweep: values.sweep === undefined ? undefined : values.sweep.split(',').map((count) => positive('sweep', count.trim(), 0)),
    chart: values.chart,
    fsyncCheck: values['fsync-check'] ?? false,
    chartFrom: values['chart-from']?.flatMap((value) => value.split(',')).map((path) => path.trim()).filter(Boolean),
    cpuSplitFrom: values['cpu-split-from']?.flatMap((value) => value.split(',')).map((path) => path.trim()).filter(Boolean),
  };
  if (options.fsyncCheck && !options.instrumented) throw new Error('--fsync-check checks the instrumented build\'s counts: leave out --no-instrumented');
  if (options.chartFrom && !options.chart) throw new Error('--chart-from needs --chart FILE.svg to write to');
  if (options.sweep && values.logins !== undefined) throw new Error('--sweep replaces --logins: give one or the other');
  if (options.sweep && !options.parts.includes('logins')) throw new Error('--sweep runs the logins part: add --only logins (or leave --only out)');
  if (values.variant !== undefined) {
    if (!isVariantName(values.variant)) throw new Error(`--variant takes ${Object.keys(VARIANTS).join(', ')}, not ${JSON.stringify(values.variant)}`);
    options.variant = values.variant;
  }
  if (options.approveMaxSeconds < options.approveMinSeconds) throw new Error('--approve-max must not be below --approve-min');
  return options;
}
