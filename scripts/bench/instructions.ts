/**
 * Part 4 (opt-in: `--only instructions`): the interaction budget in instructions instead of CPU time. The bot and
 * the verify-only Worker each run under `wrangler dev` as in part 2, but the workerd process that runs the Worker
 * (not wrangler's proxy) runs under valgrind's callgrind, which counts the instructions it executes. Per round:
 * callgrind's counters are zeroed, N signed requests are sent one after another, the counters are dumped, and
 * the total is divided by N. On a 2-core machine CPU time varies by 10-20% from one round to the next, ten times
 * the 2% budget; an instruction count does not depend on what else the machine is doing, so the ratio it gives
 * can be compared with the budget. It still varies a little (the runtime's garbage collector and compiler threads
 * run when they run), hence several rounds and their median. Needs valgrind (Debian's `valgrind` package); slow
 * (about 50x), so it is not part of the default run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateApplicationKeys, type ApplicationKeys } from '../standins/discord-keys.ts';
import { liveProcessesInGroup } from '../lib/process-group.ts';
import type { WorkerHandle } from '../lib/wrangler-dev.ts';
import { CPU_BUDGET_RATIO, pingBody, signed, slashPingBody } from './interactions.ts';
import { spread, type Spread } from './stats.ts';
import { startBot, startVerifyOnly } from './targets.ts';

const run = promisify(execFile);

export type InstructionMeasurement = 'bot PING' | 'verify-only PING' | 'bot /ping' | 'verify-only /ping';
const MEASUREMENTS: InstructionMeasurement[] = ['bot PING', 'verify-only PING', 'bot /ping', 'verify-only /ping'];

export interface InstructionsOptions {
  projectDir: string;
  /** Requests per measured round. */
  requests: number;
  /** Requests of each kind before anything counts, so the JIT has compiled the hot paths. */
  warmup: number;
  rounds: number;
}

export interface InstructionsResult {
  requestsPerRound: number;
  warmupRequests: number;
  rounds: number;
  valgrind: string;
  /** Instructions (callgrind's Ir) per request in the Worker's workerd, per round. */
  perRequest: Record<InstructionMeasurement, Spread>;
  /** Ratio of the medians. */
  ratios: { 'bot PING / verify-only PING': number; 'bot /ping / verify-only /ping': number };
  budgetRatio: number;
  withinBudget: boolean;
  /** Where the bot differs most from verify-only, by function (instructions per request, in the round with the median ratio). */
  largestDifferences: Record<'PING' | '/ping', Array<{ function: string; irPerRequest: number }>>;
}

/**
 * The program miniflare starts instead of workerd (`MINIFLARE_WORKERD_PATH`): the process that runs the Worker
 * (the one given `--inspector-addr`) runs under callgrind with instrumentation off until the bench turns it on;
 * wrangler's proxy runs as usual.
 */
export function workerdWrapper(realWorkerd: string, outDir: string): string {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  return [
    '#!/bin/sh',
    'case "$*" in',
    `  *--inspector-addr*) exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=${quote(join(outDir, 'callgrind.%p.out'))} ${quote(realWorkerd)} "$@" ;;`,
    `  *) exec ${quote(realWorkerd)} "$@" ;;`,
    'esac',
    '',
  ].join('\n');
}

/** The total instruction count of a callgrind dump (its `totals:` line, or `summary:` in older formats). */
export function callgrindTotal(dump: string): number {
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(dump);
  if (!match) throw new Error('not a callgrind dump: no totals line');
  return Number(match[1]);
}

/** Instructions per function (self cost) from `callgrind_annotate`'s output. */
export function annotatedCosts(annotated: string): Map<string, number> {
  const costs = new Map<string, number>();
  for (const line of annotated.split('\n')) {
    const match = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+)$/.exec(line);
    if (!match || line.includes('PROGRAM TOTALS')) continue;
    // "file:function [object]": the function is what is compared; JIT code has no name, only an address.
    const name = match[2]!.replace(/^\?\?\?:/, '').replace(/ \[[^\]]*\]$/, '');
    costs.set(name, (costs.get(name) ?? 0) + Number(match[1]!.replace(/,/g, '')));
  }
  return costs;
}

function callgrindPid(worker: WorkerHandle): number {
  for (const pid of liveProcessesInGroup(worker.pid)) {
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (commandLine.includes('--tool=callgrind')) return pid;
    } catch {
      // it exited while we looked
    }
  }
  throw new Error("the Worker's workerd is not running under callgrind (did miniflare use MINIFLARE_WORKERD_PATH?)");
}

async function send(url: string, keys: ApplicationKeys, body: () => string, expect: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const text = body();
    const response = await fetch(`${url}/interactions`, { method: 'POST', body: text, headers: signed(keys, text) });
    const answer = await response.text();
    if (response.status !== 200 || JSON.stringify(JSON.parse(answer)) !== expect) throw new Error(`wrong answer under callgrind: ${response.status} ${answer.slice(0, 200)}`);
  }
}

export async function benchInstructions(options: InstructionsOptions, log: (line: string) => void): Promise<InstructionsResult> {
  const version = await run('valgrind', ['--version']).catch(() => {
    throw new Error('the instructions part needs valgrind (Debian: apt-get install valgrind)');
  });
  const outDir = mkdtempSync(join(tmpdir(), 'bench-callgrind-'));
  const realWorkerd = resolve(options.projectDir, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
  const wrapper = join(outDir, 'workerd');
  writeFileSync(wrapper, workerdWrapper(realWorkerd, outDir), { mode: 0o755 });
  const env = { MINIFLARE_WORKERD_PATH: wrapper };
  const keys = generateApplicationKeys();
  const started: WorkerHandle[] = [];
  try {
    log('instructions: starting the bot and verify-only under wrangler dev, their Worker processes under callgrind');
    started.push(await startBot(options.projectDir, keys.publicKeyHex, env));
    started.push(await startVerifyOnly(options.projectDir, keys.publicKeyHex, env));
    const [bot, verify] = started as [WorkerHandle, WorkerHandle];
    const pids = { bot: callgrindPid(bot), verify: callgrindPid(verify) };
    const control = (pid: number, ...args: string[]) => run('callgrind_control', [...args, String(pid)]);
    await control(pids.bot, '--instr=on');
    await control(pids.verify, '--instr=on');

    const PONG = JSON.stringify({ type: 1 });
    const PING_REPLY = JSON.stringify({ type: 4, data: { content: 'Pong!', flags: 64 } });
    const plan: Record<InstructionMeasurement, { worker: WorkerHandle; pid: number; body: () => string; expect: string }> = {
      'bot PING': { worker: bot, pid: pids.bot, body: pingBody, expect: PONG },
      'verify-only PING': { worker: verify, pid: pids.verify, body: pingBody, expect: PONG },
      'bot /ping': { worker: bot, pid: pids.bot, body: slashPingBody, expect: PING_REPLY },
      'verify-only /ping': { worker: verify, pid: pids.verify, body: slashPingBody, expect: PONG },
    };
    for (const measurement of MEASUREMENTS) {
      const step = plan[measurement];
      log(`  warm-up: ${options.warmup} × ${measurement}`);
      await send(step.worker.url, keys, step.body, step.expect, options.warmup);
    }

    const dumps = new Map<number, number>();
    /** Zero the counters, send, dump: the newest dump of this process holds exactly those requests. */
    const measure = async (measurement: InstructionMeasurement): Promise<{ perRequest: number; dump: string }> => {
      const step = plan[measurement];
      await control(step.pid, '--zero');
      await send(step.worker.url, keys, step.body, step.expect, options.requests);
      await control(step.pid, '--dump');
      const sequence = (dumps.get(step.pid) ?? 0) + 1;
      dumps.set(step.pid, sequence);
      const dump = join(outDir, `callgrind.${step.pid}.out.${sequence}`);
      if (!readdirSync(outDir).includes(`callgrind.${step.pid}.out.${sequence}`)) throw new Error(`callgrind wrote no ${dump}`);
      return { perRequest: callgrindTotal(readFileSync(dump, 'utf8')) / options.requests, dump };
    };

    const values: Record<InstructionMeasurement, number[]> = { 'bot PING': [], 'verify-only PING': [], 'bot /ping': [], 'verify-only /ping': [] };
    type Pair = { bot: string; verify: string; botIr: number; verifyIr: number };
    const pairs: Record<'PING' | '/ping', Pair[]> = { PING: [], '/ping': [] };
    for (let round = 0; round < options.rounds; round++) {
      const order = MEASUREMENTS.map((_, i) => MEASUREMENTS[(i + round) % MEASUREMENTS.length]!);
      const thisRound: Partial<Record<InstructionMeasurement, { perRequest: number; dump: string }>> = {};
      for (const measurement of order) {
        thisRound[measurement] = await measure(measurement);
        values[measurement].push(thisRound[measurement].perRequest);
      }
      log(`  round ${round + 1}/${options.rounds}: ${MEASUREMENTS.map((m) => `${m} ${(thisRound[m]!.perRequest / 1000).toFixed(0)}k`).join(', ')} instructions per request`);
      for (const kind of ['PING', '/ping'] as const) {
        const bot = thisRound[`bot ${kind}`]!;
        const verify = thisRound[`verify-only ${kind}`]!;
        pairs[kind].push({ bot: bot.dump, verify: verify.dump, botIr: bot.perRequest, verifyIr: verify.perRequest });
      }
    }

    const perRequest = Object.fromEntries(MEASUREMENTS.map((m) => [m, spread(values[m])])) as Record<InstructionMeasurement, Spread>;
    const ratios = {
      'bot PING / verify-only PING': perRequest['bot PING'].median / perRequest['verify-only PING'].median,
      'bot /ping / verify-only /ping': perRequest['bot /ping'].median / perRequest['verify-only /ping'].median,
    };
    const annotate = async (dump: string) => annotatedCosts((await run('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], { maxBuffer: 256 * 2 ** 20 })).stdout);
    /** The round whose ratio is the median one, compared function by function. */
    const differences = async (kind: 'PING' | '/ping') => {
      const sorted = [...pairs[kind]].sort((a, b) => a.botIr / a.verifyIr - b.botIr / b.verifyIr);
      const middle = sorted[sorted.length >> 1]!;
      const [botCosts, verifyCosts] = await Promise.all([annotate(middle.bot), annotate(middle.verify)]);
      return [...new Set([...botCosts.keys(), ...verifyCosts.keys()])]
        .map((name) => ({ function: name, irPerRequest: ((botCosts.get(name) ?? 0) - (verifyCosts.get(name) ?? 0)) / options.requests }))
        .sort((a, b) => Math.abs(b.irPerRequest) - Math.abs(a.irPerRequest))
        .slice(0, 8);
    };
    const largestDifferences = { PING: await differences('PING'), '/ping': await differences('/ping') };
    return {
      requestsPerRound: options.requests,
      warmupRequests: options.warmup,
      rounds: options.rounds,
      valgrind: version.stdout.trim(),
      perRequest,
      ratios,
      budgetRatio: CPU_BUDGET_RATIO,
      withinBudget: ratios['bot PING / verify-only PING'] <= CPU_BUDGET_RATIO && ratios['bot /ping / verify-only /ping'] <= CPU_BUDGET_RATIO,
      largestDifferences,
    };
  } finally {
    for (const worker of started.reverse()) await worker.stop().catch(() => undefined);
    rmSync(outDir, { recursive: true, force: true });
  }
}
