/**
 * Part 2: the interaction path under load. Signed PING and signed /ping against the bot under `wrangler dev`,
 * and in the same run signed PING against the floor, verify-only and discord-sample (a re-creation of Discord's
 * official sample Worker, the budget's reference point) Workers, in interleaved rounds (the order rotates each
 * round) so drift on a noisy machine hits every target alike. Per round: requests/s, latency p50/p99, and server
 * CPU per request (CPU of the target's wrangler dev process group / answers served); then the per-round ratios,
 * reported as median and spread. Every answer is checked; a last round mixes wrongly signed and unsigned
 * requests into the load and checks they get 401.
 */
import { generateApplicationKeys, type ApplicationKeys } from '../standins/discord-keys.ts';
import { commandPayload, newInteractionToken, pingPayload } from '../standins/discord-payloads.ts';
import type { WorkerHandle } from '../lib/wrangler-dev.ts';
import { cpuBetween, groupCpu } from './cpu.ts';
import { runLoad, type CheckedRequest, type LoadResult } from './load.ts';
import { spread, type Spread } from './stats.ts';
import { startBot, startFloor, startSample, startVerifyOnly } from './targets.ts';

/** Issue #14: the bot's CPU per signed PING and /ping at most this times the verify-only Worker's (the cheapest correct endpoint). */
export const CPU_BUDGET_RATIO = 1.02;

export type Measurement = 'bot PING' | 'bot /ping' | 'floor PING' | 'verify-only PING' | 'verify-only /ping' | 'discord-sample PING';
/**
 * `verify-only /ping` is the verify-only Worker fed the bot's /ping body (about twice a PING's bytes, all of it
 * hashed by the signature check): the cheapest correct endpoint's share of the same request, so that the bot's
 * /ping is compared with it rather than with a smaller PING.
 */
const MEASUREMENTS: Measurement[] = ['bot PING', 'floor PING', 'verify-only PING', 'discord-sample PING', 'bot /ping', 'verify-only /ping'];

export interface InteractionsOptions {
  projectDir: string;
  durationSeconds: number;
  rounds: number;
  connections: number;
}

export interface RoundResult extends LoadResult {
  measurement: Measurement;
  round: number;
  cpuMs: number;
  cpuByProcess: Record<string, number>;
  cpuPerRequestUs: number;
  /** CPU per request of the workerd process that runs the Worker alone (without wrangler's proxy and Node). */
  workerCpuPerRequestUs: number;
}

export interface TargetSummary {
  requestsPerSecond: Spread;
  latencyP50Ms: Spread;
  latencyP99Ms: Spread;
  cpuPerRequestUs: Spread;
  workerCpuPerRequestUs: Spread;
}

export type RatioName =
  | 'bot PING / floor'
  | 'bot /ping / floor'
  | 'verify-only / floor'
  | 'bot PING / verify-only'
  | 'bot /ping / verify-only'
  | 'discord-sample / floor'
  | 'bot PING / discord-sample'
  | 'bot /ping / discord-sample';

export interface InteractionsResult {
  durationSeconds: number;
  rounds: number;
  connections: number;
  summary: Record<Measurement, TargetSummary>;
  /** CPU per request of the whole wrangler dev group, per round, as ratios; median and spread over the rounds. */
  cpuRatios: Record<RatioName, Spread>;
  /**
   * The same for the Worker's own workerd process only: wrangler dev's proxy (a second workerd that forwards
   * every request) is a constant cost that dilutes the group ratios towards 1; this ratio is not diluted by it.
   */
  workerCpuRatios: Record<RatioName, Spread>;
  budgetRatio: number;
  /** Both bot measurements' median CPU ratio to the floor at most the budget. */
  withinBudget: boolean;
  /** Every answer of every round, checked. */
  answersChecked: number;
  wrongAnswers: number;
  connectionErrors: number;
  badSignature: { sent: number; got401: number; validAlongside: number; validRight: number; wrongExamples: string[] };
  roundsDetail: RoundResult[];
}

const APPLICATION_ID = '1234567890123456789';
const PONG = { type: 1 };
const PING_PONG_REPLY = { type: 4, data: { content: 'Pong!', flags: 64 } };

export function signed(keys: ApplicationKeys, body: string, signature: 'valid' | 'invalid' | 'missing' = 'valid'): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)' };
  if (signature === 'missing') return headers;
  const timestamp = String(Math.floor(Date.now() / 1000));
  // A wrong signature as Discord's own security check sends it: well-formed, over something else.
  headers['x-signature-ed25519'] = keys.sign(timestamp, signature === 'valid' ? body : `${body} `);
  headers['x-signature-timestamp'] = timestamp;
  return headers;
}

export const pingBody = () => JSON.stringify(pingPayload({ id: '1300000000000000001', applicationId: APPLICATION_ID, token: newInteractionToken('1300000000000000001') }));

export const slashPingBody = () =>
  JSON.stringify(
    commandPayload({
      id: '1300000000000000002',
      applicationId: APPLICATION_ID,
      token: newInteractionToken('1300000000000000002'),
      commandId: '1300000000000000003',
      name: 'ping',
      where: { user: { id: '1300000000000000004', username: 'bench' }, locale: 'en-US', guild: undefined, channelId: '1300000000000000005' },
    }),
  );

/** Signed now, so the timestamps stay fresh however long the run is. */
function requestsFor(measurement: Measurement, keys: ApplicationKeys): CheckedRequest[] {
  if (measurement === 'bot /ping' || measurement === 'verify-only /ping') {
    const body = slashPingBody();
    return [{ body, headers: signed(keys, body), expectStatus: 200, expectJson: measurement === 'bot /ping' ? PING_PONG_REPLY : PONG }];
  }
  const body = pingBody();
  return [{ body, headers: signed(keys, body), expectStatus: 200, expectJson: PONG }];
}

async function measure(worker: WorkerHandle, requests: CheckedRequest[], options: InteractionsOptions, durationSeconds: number) {
  const before = groupCpu(worker.pid);
  const load = await runLoad(requests, { url: `${worker.url}/interactions`, durationSeconds, connections: options.connections });
  const used = cpuBetween(before, groupCpu(worker.pid));
  const perRequest = (ms: number) => (load.requests ? (ms * 1000) / load.requests : Number.NaN);
  return {
    ...load,
    cpuMs: used.totalMs,
    cpuByProcess: used.byName,
    cpuPerRequestUs: perRequest(used.totalMs),
    workerCpuPerRequestUs: perRequest(used.byName['workerd (Worker)'] ?? Number.NaN),
  };
}

export async function benchInteractions(options: InteractionsOptions, log: (line: string) => void): Promise<InteractionsResult> {
  const keys = generateApplicationKeys();
  const started: WorkerHandle[] = [];
  try {
    log('interactions: starting the bot, the floor, verify-only and discord-sample under wrangler dev');
    // In parallel (startup is mostly waiting); whichever started is stopped in `finally` even if another failed.
    const starting = await Promise.allSettled([
      startBot(options.projectDir, keys.publicKeyHex),
      startFloor(options.projectDir),
      startVerifyOnly(options.projectDir, keys.publicKeyHex),
      startSample(options.projectDir, keys.publicKeyHex),
    ]);
    for (const outcome of starting) if (outcome.status === 'fulfilled') started.push(outcome.value);
    const failed = starting.find((outcome) => outcome.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const [bot, floor, verify, sample] = started as [WorkerHandle, WorkerHandle, WorkerHandle, WorkerHandle];
    const workerOf: Record<Measurement, WorkerHandle> = {
      'bot PING': bot,
      'bot /ping': bot,
      'floor PING': floor,
      'verify-only PING': verify,
      'verify-only /ping': verify,
      'discord-sample PING': sample,
    };

    // Warm-up: compile and JIT every path once under load before anything counts (results are still checked).
    const warmupSeconds = Math.min(2, options.durationSeconds / 2);
    const warmups: LoadResult[] = [];
    for (const measurement of MEASUREMENTS) warmups.push(await measure(workerOf[measurement], requestsFor(measurement, keys), options, warmupSeconds));

    const rounds: RoundResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = MEASUREMENTS.map((_, i) => MEASUREMENTS[(i + round) % MEASUREMENTS.length]!);
      for (const measurement of order) {
        const result = await measure(workerOf[measurement], requestsFor(measurement, keys), options, options.durationSeconds);
        rounds.push({ measurement, round, ...result });
        log(
          `  round ${round + 1}/${options.rounds} ${measurement.padEnd(19)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s ` +
            `${result.cpuPerRequestUs.toFixed(0).padStart(5)} us CPU/req (Worker process ${result.workerCpuPerRequestUs.toFixed(0)})  p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms` +
            (result.wrong || result.errors ? `  WRONG ${result.wrong} ERR ${result.errors}` : ''),
        );
      }
    }

    const badSignature = await checkBadSignatures(bot, keys, options);
    log(`  bad signatures under load: ${badSignature.got401}/${badSignature.sent} got 401; valid alongside right ${badSignature.validRight}/${badSignature.validAlongside}`);

    const of = (measurement: Measurement) => rounds.filter((r) => r.measurement === measurement);
    const summary = Object.fromEntries(
      MEASUREMENTS.map((m) => [
        m,
        {
          requestsPerSecond: spread(of(m).map((r) => r.requestsPerSecond)),
          latencyP50Ms: spread(of(m).map((r) => r.latencyP50Ms)),
          latencyP99Ms: spread(of(m).map((r) => r.latencyP99Ms)),
          cpuPerRequestUs: spread(of(m).map((r) => r.cpuPerRequestUs)),
          workerCpuPerRequestUs: spread(of(m).map((r) => r.workerCpuPerRequestUs)),
        },
      ]),
    ) as Record<Measurement, TargetSummary>;
    const ratios = (field: 'cpuPerRequestUs' | 'workerCpuPerRequestUs'): Record<RatioName, Spread> => {
      const perRound = (top: Measurement, bottom: Measurement) =>
        spread(Array.from({ length: options.rounds }, (_, round) => valueOf(rounds, top, round, field) / valueOf(rounds, bottom, round, field)));
      return {
        'bot PING / floor': perRound('bot PING', 'floor PING'),
        'bot /ping / floor': perRound('bot /ping', 'floor PING'),
        'verify-only / floor': perRound('verify-only PING', 'floor PING'),
        'bot PING / verify-only': perRound('bot PING', 'verify-only PING'),
        'bot /ping / verify-only': perRound('bot /ping', 'verify-only /ping'),
        'discord-sample / floor': perRound('discord-sample PING', 'floor PING'),
        'bot PING / discord-sample': perRound('bot PING', 'discord-sample PING'),
        'bot /ping / discord-sample': perRound('bot /ping', 'discord-sample PING'),
      };
    };
    const cpuRatios = ratios('cpuPerRequestUs');
    const workerCpuRatios = ratios('workerCpuPerRequestUs');
    const all = [...warmups, ...rounds];
    return {
      durationSeconds: options.durationSeconds,
      rounds: options.rounds,
      connections: options.connections,
      summary,
      cpuRatios,
      workerCpuRatios,
      budgetRatio: CPU_BUDGET_RATIO,
      withinBudget: cpuRatios['bot PING / verify-only'].median <= CPU_BUDGET_RATIO && cpuRatios['bot /ping / verify-only'].median <= CPU_BUDGET_RATIO,
      answersChecked: all.reduce((sum, r) => sum + r.checked, 0),
      wrongAnswers: all.reduce((sum, r) => sum + r.wrong + (r.requests - r.checked), 0),
      connectionErrors: all.reduce((sum, r) => sum + r.errors, 0),
      badSignature,
      roundsDetail: rounds,
    };
  } finally {
    for (const worker of started.reverse()) await worker.stop().catch(() => undefined);
  }
}

const valueOf = (rounds: RoundResult[], measurement: Measurement, round: number, field: 'cpuPerRequestUs' | 'workerCpuPerRequestUs') =>
  rounds.find((r) => r.measurement === measurement && r.round === round)![field];

/** Valid PINGs with a wrongly signed and an unsigned request mixed in (1 in 5 each): the bad ones must get 401. */
async function checkBadSignatures(bot: WorkerHandle, keys: ApplicationKeys, options: InteractionsOptions) {
  const body = pingBody();
  const valid: CheckedRequest = { body, headers: signed(keys, body), expectStatus: 200, expectJson: PONG };
  const invalid: CheckedRequest = { body, headers: signed(keys, body, 'invalid'), expectStatus: 401, expectText: 'invalid request signature' };
  const missing: CheckedRequest = { body, headers: signed(keys, body, 'missing'), expectStatus: 401, expectText: 'missing request signature' };
  const counts = { sent: 0, got401: 0, validAlongside: 0, validRight: 0 };
  const tally = (request: CheckedRequest, bad: boolean): CheckedRequest => ({
    ...request,
    onAnswer: (right: boolean) => {
      if (bad) (counts.sent++, right && counts.got401++);
      else (counts.validAlongside++, right && counts.validRight++);
    },
  });
  const result = await runLoad([tally(valid, false), tally(valid, false), tally(invalid, true), tally(valid, false), tally(missing, true)], {
    url: `${bot.url}/interactions`,
    durationSeconds: Math.min(3, options.durationSeconds),
    connections: options.connections,
  });
  return { ...counts, wrongExamples: result.wrongExamples };
}
