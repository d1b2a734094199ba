/**
 * `npm run bench`: the performance budgets of issue 6, measured on the real runtime (wrangler dev) on loopback.
 * Runs the selected parts in turn (bundle, interactions, logins), prints progress and a summary table, writes
 * every figure as JSON (--out), and exits 1 if a correctness check failed (a wrong answer, a bad signature not
 * refused) or, with --strict, if a budget was missed. `--help` lists the options.
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { measureBundle, type BundleResult } from './bundle.ts';
import { benchInstructions, type InstructionsResult } from './instructions.ts';
import { benchInteractions, type InteractionsResult } from './interactions.ts';
import { chartPointsFrom, loginsChartSvg } from './chart.ts';
import { PRICES, pricesLine } from './cost.ts';
import { benchLogins, type LoginsResult } from './logins.ts';
import { parseOptions, USAGE, type BenchOptions } from './options.ts';
import { bundleRows, instructionRows, interactionRows, loginRows, markdownTable, textTable, type Row } from './report.ts';
import { prepareVariant } from './variants.ts';
import { cpuSplit } from './stats.ts';

export interface BenchResults {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string; wrangler: string };
  options: BenchOptions;
  bundle?: BundleResult;
  interactions?: InteractionsResult;
  instructions?: InstructionsResult;
  logins?: LoginsResult;
  /** With --sweep: one logins result per count, in the order run. */
  sweep?: LoginsResult[];
  rows: Row[];
  /** Correctness problems (a failed check); empty when every check passed. */
  problems: string[];
  budgetsMissed: string[];
  durationSeconds: number;
}

const benchStarted = performance.now();
/** Progress lines carry the seconds since the start, so a slow phase shows where the time went. */
const log = (line: string) => console.log(`[${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s] ${line}`);

function machine(projectDir: string): BenchResults['machine'] {
  const require = createRequire(resolve(projectDir, 'package.json'));
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    wrangler: (require('wrangler/package.json') as { version: string }).version,
  };
}

export async function runBench(options: BenchOptions, projectDir = process.cwd()): Promise<BenchResults> {
  const started = performance.now();
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: machine(projectDir),
    options,
    rows: [],
    problems: [],
    budgetsMissed: [],
    durationSeconds: 0,
  };
  log(`bench: ${options.parts.join(', ')} on ${results.machine.cpus} cores (${results.machine.cpuModel}), Node ${results.machine.node}, wrangler ${results.machine.wrangler}`);

  if (options.parts.includes('bundle')) {
    log('bundle: wrangler deploy --dry-run');
    results.bundle = await measureBundle(projectDir);
    results.rows.push(...bundleRows(results.bundle));
  }
  if (options.parts.includes('interactions')) {
    const r = await benchInteractions(
      { projectDir, durationSeconds: options.durationSeconds, rounds: options.rounds, connections: options.connections },
      log,
    );
    results.interactions = r;
    results.rows.push(...interactionRows(r));
    if (r.wrongAnswers > 0) results.problems.push(`${r.wrongAnswers} wrong answers under load: ${r.roundsDetail.flatMap((x) => x.wrongExamples).slice(0, 3).join('; ')}`);
    if (r.connectionErrors > 0) results.problems.push(`${r.connectionErrors} connection errors under load`);
    const bad = r.badSignature;
    if (bad.sent === 0 || bad.got401 !== bad.sent || bad.validRight !== bad.validAlongside) {
      results.problems.push(`bad signatures under load: ${bad.got401}/${bad.sent} got 401, valid ${bad.validRight}/${bad.validAlongside} right (${bad.wrongExamples.join('; ')})`);
    }
  }
  if (options.parts.includes('instructions')) {
    const r = await benchInstructions({ projectDir, requests: options.requests, warmup: options.requests, rounds: options.rounds }, log);
    results.instructions = r;
    results.rows.push(...instructionRows(r));
  }
  if (options.parts.includes('logins')) {
    const counts = options.sweep ?? [options.logins];
    for (const logins of counts) {
      const variant = options.variant ? prepareVariant(projectDir, options.variant) : undefined;
      if (variant) log(`logins: measuring the variant "${options.variant}": ${variant.description}`);
      const r = await benchLogins(
        {
          projectDir: variant?.dir ?? projectDir,
          logins,
          intervalSeconds: options.intervalSeconds,
          approveMinSeconds: options.approveMinSeconds,
          approveMaxSeconds: options.approveMaxSeconds,
          seed: options.seed,
          sendConcurrency: options.sendConcurrency,
          settleSeconds: 60,
          instrumented: options.instrumented,
          fsyncCheck: options.fsyncCheck,
        },
        log,
      ).finally(() => variant?.dispose());
      if (options.sweep) (results.sweep ??= []).push(r);
      else results.logins = r;
      for (const problem of r.counterProblems) results.problems.push(`cost counters: ${problem}`);
      const prefix = [options.variant ? `[variant ${options.variant}]` : '', options.sweep ? `[N=${logins}]` : ''].filter(Boolean).join(' ');
      results.rows.push(...loginRows(r).map((row) => (prefix ? { ...row, figure: `${prefix} ${row.figure}` } : row)));
    }
  }

  results.budgetsMissed = results.rows.filter((row) => row.verdict === 'MISSED' && row.budget !== 'all' && row.budget !== '0 wrong').map((row) => row.figure);
  // "all" rows are checks, except logins completed, which is a budget (the bench measures, it does not fail).
  for (const row of results.rows) if (row.verdict === 'MISSED' && row.figure.startsWith('Logins completed')) results.budgetsMissed.push(row.figure);
  results.durationSeconds = (performance.now() - started) / 1000;
  return results;
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (options.chartFrom) {
    const files = options.chartFrom.map((path) => JSON.parse(readFileSync(path, 'utf8')) as BenchResults);
    const runs = files.flatMap((earlier, i) => {
      const found = [...(earlier.sweep ?? []), ...(earlier.logins ? [earlier.logins] : [])];
      if (found.length === 0) throw new Error(`${options.chartFrom![i]} has no logins results`);
      return found;
    });
    const distinct = (values: Array<string | number>) => [...new Set(values)].join(', ');
    const note = `${distinct(files.map((f) => f.machine.cpus))} cores, seed ${distinct(files.map((f) => f.options.seed))}, ${distinct(files.map((f) => f.startedAt.slice(0, 10)))}`;
    writeFileSync(options.chart!, loginsChartSvg(chartPointsFrom(runs), { note }));
    console.log(`chart: ${resolve(options.chart!)} (${runs.length} points)`);
    return 0;
  }
  if (options.cpuSplitFrom) {
    const runs = options.cpuSplitFrom.flatMap((path) => {
      const earlier = JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
      return [...(earlier.sweep ?? []), ...(earlier.logins ? [earlier.logins] : [])].map((r) => ({ path, logins: r.logins, polls: r.polls.total, cpuMs: r.workerCpuMs }));
    });
    for (const run of runs) {
      console.log(`${run.path}: ${run.logins} logins, ${(run.polls / run.logins).toFixed(2)} polls per login, ${(run.cpuMs / run.polls).toFixed(2)} ms of Worker CPU per poll (all login work ÷ polls)`);
    }
    const split = cpuSplit(runs);
    console.log(`Worker CPU: ${split.fixedMsPerLogin.toFixed(2)} ms per login (fixed) + ${split.marginalMsPerPoll.toFixed(2)} ms per poll (marginal)`);
    return 0;
  }
  if (options.tableFrom) {
    const earlier = JSON.parse(readFileSync(options.tableFrom, 'utf8')) as BenchResults;
    console.log(options.markdown ? markdownTable(earlier.rows) : textTable(earlier.rows));
    return 0;
  }
  const results = await runBench(options);
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  if (options.chart) {
    const runs = results.sweep ?? (results.logins ? [results.logins] : []);
    if (runs.length === 0) console.log('chart: no logins part ran, nothing to draw');
    else {
      const m = results.machine;
      writeFileSync(options.chart, loginsChartSvg(chartPointsFrom(runs), { note: `${m.cpus} cores, seed ${options.seed}, ${results.startedAt.slice(0, 10)}` }));
      console.log(`chart: ${resolve(options.chart)}`);
    }
  }
  const m = results.machine;
  console.log(`\nResults (${m.cpus} cores, ${m.cpuModel}; wrangler ${m.wrangler}; ${results.durationSeconds.toFixed(0)} s; seed ${options.seed}):\n`);
  console.log(options.markdown ? markdownTable(results.rows) : textTable(results.rows));
  if ([results.logins, ...(results.sweep ?? [])].some((r) => r?.cost)) {
    console.log(`\nPrices: ${PRICES.label}, from ${PRICES.source}.\n  ${pricesLine()}.\n  ${PRICES.allowances}.`);
  }
  console.log(`\nJSON: ${resolve(options.out)}`);
  for (const problem of results.problems) console.log(`CHECK FAILED: ${problem}`);
  if (results.budgetsMissed.length) console.log(`Budgets missed: ${results.budgetsMissed.join('; ')}`);
  return results.problems.length > 0 || (options.strict && results.budgetsMissed.length > 0) ? 1 : 0;
}

if (import.meta.main ?? process.argv[1] === new URL(import.meta.url).pathname) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
