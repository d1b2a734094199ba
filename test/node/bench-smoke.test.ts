/**
 * `npm run bench -- --quick` as a child process, as a user runs it: every part runs (bundle, interactions against
 * the bot, floor, verify-only and discord-sample Workers, 5 logins through the stand-ins on the instrumented build),
 * exits 0, and the JSON has every figure with sane values, the cost per login included. The CPU budget is not
 * asserted: on a shared 2-core machine it is too noisy for a test. Alone it takes about 30 s; inside the full suite it competes with every other wrangler dev for the 2 cores,
 * hence the generous bound.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../scripts/bench/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runQuickBench(out: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/bench/main.ts', '--quick', '--seed', '7', '--out', out],
      { timeout: 170_000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('npm run bench -- --quick', () => {
  it('runs every part and writes sane figures', { timeout: 180_000 }, async () => {
    const out = join(dir, 'results.json');
    const { code, output } = await runQuickBench(out);
    expect(code, output).toBe(0);
    expect(output).toContain('Logins completed');
    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(results.problems).toEqual([]);

    const bundle = results.bundle!;
    expect(bundle.gzipBytes).toBeGreaterThan(1_000);
    // A sanity bound: the budget itself (40 KiB) is reported by the bench, not asserted here.
    expect(bundle.gzipBytes).toBeLessThanOrEqual(256 * 1024);
    expect(bundle.rawBytes).toBeGreaterThan(bundle.gzipBytes);

    const interactions = results.interactions!;
    expect(interactions.wrongAnswers).toBe(0);
    expect(interactions.connectionErrors).toBe(0);
    expect(interactions.answersChecked).toBeGreaterThan(100);
    for (const summary of Object.values(interactions.summary)) {
      expect(summary.requestsPerSecond.median).toBeGreaterThan(10);
      expect(summary.cpuPerRequestUs.median).toBeGreaterThan(0);
      expect(summary.latencyP99Ms.median).toBeGreaterThanOrEqual(summary.latencyP50Ms.median);
    }
    for (const ratio of Object.values(interactions.cpuRatios)) {
      expect(ratio.median).toBeGreaterThan(0.5);
      expect(ratio.median).toBeLessThan(3);
    }
    // Discord's sample Worker, the budget's reference point: measured alongside, with every answer right.
    expect(Object.keys(interactions.summary)).toContain('discord-sample PING');
    for (const name of ['discord-sample / floor', 'bot PING / discord-sample', 'bot /ping / discord-sample'] as const) {
      expect(interactions.cpuRatios[name].median, name).toBeGreaterThan(0);
      expect(interactions.workerCpuRatios[name].median, name).toBeGreaterThan(0);
    }
    const sampleRounds = interactions.roundsDetail.filter((round) => round.measurement === 'discord-sample PING');
    expect(sampleRounds).toHaveLength(interactions.rounds);
    for (const round of sampleRounds) {
      expect(round.requests).toBeGreaterThan(10);
      expect(round.checked).toBe(round.requests);
      expect(round.wrong, round.wrongExamples.join('; ')).toBe(0);
      expect(round.errors).toBe(0);
    }
    expect(output).toContain('CPU/interaction, bot PING ÷ Discord sample');
    expect(interactions.badSignature.sent).toBeGreaterThan(0);
    expect(interactions.badSignature.got401).toBe(interactions.badSignature.sent);
    expect(interactions.badSignature.validRight).toBe(interactions.badSignature.validAlongside);

    const logins = results.logins!;
    expect(logins.logins).toBe(5);
    expect(logins.seed).toBe(7);
    expect(logins.completed).toBe(5);
    expect(logins.outcomes).toEqual({ 'Logged in as …': 5 });
    expect(logins.polls.tooFast).toBe(0);
    expect(logins.polls.meanPerLogin).toBeGreaterThanOrEqual(1);
    expect(logins.approvalToEditMs.p50).toBeGreaterThan(0);
    expect(logins.approvalToEditMs.p99).toBeLessThan(15_000);
    expect(logins.rssBytes.before).toBeGreaterThan(10 * 1024 * 1024);
    expect(logins.rssBytes.after).toBeGreaterThan(0);
    // The Worker's workerd was found and sampled, and its CPU over the logins counted.
    const states = logins.workerStates;
    expect(states.samples).toBeGreaterThan(0);
    expect(states.running + states.diskWait + states.idle).toBe(states.samples);
    expect(logins.workerCpuMs).toBeGreaterThan(0);
    expect(output).toContain("Worker's workerd while logging in");

    // /login answer times while the engine works, and the open files of the Worker's workerd.
    expect(logins.loginAnswerMs.answers).toBe(5);
    expect(logins.loginAnswerMs.p50).toBeGreaterThan(0);
    expect(logins.loginAnswerMs.p99).toBeLessThan(3_000);
    expect(logins.openFiles.peak).toBeGreaterThan(0);
    expect(output).toContain('/login answered, p50 / p99');

    // The instrumented build counted every login's object in one isolate, and what it counted adds up.
    expect(logins.instrumented).toBe(true);
    expect(logins.counterProblems).toEqual([]);
    const counters = logins.counters!;
    expect(counters.objects).toBe(5);
    expect(counters.instrumentedMethods).toEqual(expect.arrayContaining(['start', 'alarm']));
    expect(counters.durableObjects.byMethod.start).toBe(5);
    const pollsCounted = Object.values(counters.outbound).reduce((sum, routes) => sum + (routes['POST /v25.0/device/login_status'] ?? 0), 0);
    expect(pollsCounted).toBe(logins.polls.total); // the Worker's own count agrees with the Facebook stand-in's
    const cost = logins.cost!;
    expect(cost.completed).toBe(5);
    expect(cost.rpcCalls).toBe(1);
    expect(cost.alarmRuns).toBeGreaterThanOrEqual(1);
    expect(cost.commits).toBeGreaterThan(0);
    expect(cost.commits).toBeLessThanOrEqual(cost.writeCalls);
    expect(cost.commitsPerPoll).toBeGreaterThan(0);
    expect(cost.rowsWritten).toBeGreaterThan(0);
    expect(cost.rowsRead).toBeGreaterThan(0);
    expect(cost.activeSeconds).toBeGreaterThan(0);
    expect(cost.providerRequests).toBeGreaterThanOrEqual(logins.polls.meanPerLogin + 2); // device code, polls, /me
    expect(cost.discordRequests).toBeGreaterThanOrEqual(2); // the code message and the final edit
    expect(cost.d1RowsWritten).toBeGreaterThan(0);
    expect(cost.workerRequests).toBe(1);
    for (const [item, dollars] of Object.entries(cost.dollarsPerMillionLogins)) {
      expect(Number.isFinite(dollars), item).toBe(true);
      expect(dollars, item).toBeGreaterThanOrEqual(0);
    }
    expect(cost.dollarsPerMillionLogins.total).toBeGreaterThan(0);
    expect(cost.dollarsPerMillionLogins.doRowsWritten).toBeCloseTo(cost.rowsWritten * 1.0);
    expect(output).toContain('$ per million logins');
    expect(output).toContain('Prices: Cloudflare Workers Paid list prices as of 2026');
  });
});
