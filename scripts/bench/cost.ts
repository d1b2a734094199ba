/**
 * What one login costs on Cloudflare, from the instrumented build's counters (instrumented-worker/meter.ts says
 * how each is counted) and the bench's own measurements: the work per completed login, and dollars per million
 * logins at the Workers Paid list prices below, free allowances ignored.
 */
import type { MeterSnapshot } from './instrumented-worker/meter.ts';

export const PRICES = {
  label: 'Cloudflare Workers Paid list prices as of 2026',
  source:
    '/work/shared/PLATFORM.md §10 (from cloudflare/cloudflare-docs src/content/docs/durable-objects/platform/pricing.mdx, ' +
    'src/content/partials/durable-objects/durable-objects-pricing.mdx, src/content/docs/d1/platform/pricing.mdx, ' +
    'src/content/docs/workers/platform/pricing.mdx)',
  allowances: 'free allowances ignored: the monthly included amounts (1 M DO requests, 400,000 GB-s, 50 M rows written, …) are not subtracted',
  /** Dollars per million of each. */
  doRequest: 0.15,
  doGbSecond: 12.5,
  /** Memory billed per active object, in GB (Cloudflare's own examples: "seconds × 128 MB / 1 GB"). */
  doMemoryGb: 0.128,
  doRowWritten: 1.0,
  doRowRead: 0.001,
  d1RowWritten: 1.0,
  d1RowRead: 0.001,
  workerRequest: 0.3,
  workerCpuMs: 0.02,
} as const;

export interface CostInputs {
  counters: MeterSnapshot;
  /** Logins that ended with "Logged in as": the per-login figures divide totals by this. */
  completed: number;
  /** Graph polls of the run, as the provider's stand-in counted them. */
  graphPolls: number;
  /** Origins of the provider's (Graph) and Discord's stand-ins, to sort the outbound requests. */
  providerOrigin: string;
  discordOrigin: string;
  /** CPU of the Worker's workerd process over the run, in ms. */
  workerProcessCpuMs: number;
}

export interface CostPerLogin {
  completed: number;
  /** Durable Object requests: RPC calls plus alarm runs. */
  doRequests: number;
  rpcCalls: number;
  alarmRuns: number;
  rowsWritten: number;
  rowsRead: number;
  commits: number;
  /** All storage commits of the run divided by its Graph polls. */
  commitsPerPoll: number;
  /**
   * The marginal cost of a poll: commits and rows written by the alarm runs whose only outbound request was a
   * poll of the provider (NaN when the run recorded none).
   */
  commitsPerPollOnlyRun: number;
  rowsWrittenPerPollOnlyRun: number;
  pollOnlyRuns: number;
  /** Storage calls that wrote (put, delete, setAlarm, …): several make one commit when no I/O comes between. */
  writeCalls: number;
  activeSeconds: number;
  providerRequests: number;
  discordRequests: number;
  otherRequests: number;
  d1Queries: number;
  d1RowsWritten: number;
  d1RowsRead: number;
  workerRequests: number;
  /**
   * The whole Worker process's CPU per login (the Durable Objects' work included): an upper bound of the Worker
   * CPU billed, which covers only the Worker's own invocations (the objects are billed by duration instead).
   */
  workerCpuMsUpperBound: number;
  dollarsPerMillionLogins: DollarsPerMillion;
  /** The prices used, with their date and source. */
  prices: typeof PRICES;
}

export interface DollarsPerMillion {
  total: number;
  doRequests: number;
  doDuration: number;
  doRowsWritten: number;
  doRowsRead: number;
  d1RowsWritten: number;
  d1RowsRead: number;
  workerRequests: number;
  workerCpu: number;
}

const sum = (values: Record<string, number> | undefined) => Object.values(values ?? {}).reduce((a, b) => a + b, 0);

/** Per completed login; NaN everywhere when no login completed. */
export function costPerLogin(input: CostInputs): CostPerLogin {
  const c = input.counters;
  const o = c.durableObjects;
  const per = (total: number) => total / input.completed;
  const providerTotal = sum(c.outbound[input.providerOrigin]);
  const discordTotal = sum(c.outbound[input.discordOrigin]);
  const allOutbound = Object.values(c.outbound).reduce((total, routes) => total + sum(routes), 0);
  // The readiness probe (GET /) is wrangler dev's start-up, not a login.
  const workerRequests = c.worker.requests - (c.worker.byPath['/'] ?? 0);
  const d1 = (key: 'queries' | 'rowsWritten' | 'rowsRead') => c.d1.durableObjects[key] + c.d1.worker[key];
  const figures = {
    completed: input.completed,
    doRequests: per(o.requests + o.alarms),
    rpcCalls: per(o.requests),
    alarmRuns: per(o.alarms),
    rowsWritten: per(o.rowsWritten),
    rowsRead: per(o.rowsRead),
    commits: per(o.commits),
    commitsPerPoll: o.commits / input.graphPolls,
    commitsPerPollOnlyRun: (o.singleFetchAlarmRuns?.[input.providerOrigin]?.commits ?? NaN) / (o.singleFetchAlarmRuns?.[input.providerOrigin]?.runs ?? NaN),
    rowsWrittenPerPollOnlyRun: (o.singleFetchAlarmRuns?.[input.providerOrigin]?.rowsWritten ?? NaN) / (o.singleFetchAlarmRuns?.[input.providerOrigin]?.runs ?? NaN),
    pollOnlyRuns: o.singleFetchAlarmRuns?.[input.providerOrigin]?.runs ?? 0,
    writeCalls: per(o.writeCalls),
    activeSeconds: per(o.activeMs) / 1000,
    providerRequests: per(providerTotal),
    discordRequests: per(discordTotal),
    otherRequests: per(allOutbound - providerTotal - discordTotal),
    d1Queries: per(d1('queries')),
    d1RowsWritten: per(d1('rowsWritten')),
    d1RowsRead: per(d1('rowsRead')),
    workerRequests: per(workerRequests),
    workerCpuMsUpperBound: per(input.workerProcessCpuMs),
  };
  // Dollars per million logins = (units per login) × (dollars per million units).
  const dollars = {
    doRequests: figures.doRequests * PRICES.doRequest,
    doDuration: figures.activeSeconds * PRICES.doMemoryGb * PRICES.doGbSecond,
    doRowsWritten: figures.rowsWritten * PRICES.doRowWritten,
    doRowsRead: figures.rowsRead * PRICES.doRowRead,
    d1RowsWritten: figures.d1RowsWritten * PRICES.d1RowWritten,
    d1RowsRead: figures.d1RowsRead * PRICES.d1RowRead,
    workerRequests: figures.workerRequests * PRICES.workerRequest,
    workerCpu: figures.workerCpuMsUpperBound * PRICES.workerCpuMs,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  return { ...figures, dollarsPerMillionLogins: { total, ...dollars }, prices: PRICES };
}

/** The prices as one line, for the report. */
export function pricesLine(): string {
  const p = PRICES;
  return (
    `DO requests $${p.doRequest}/M, DO duration $${p.doGbSecond.toFixed(2)}/M GB-s (${p.doMemoryGb * 1000} MB per object), ` +
    `DO rows written $${p.doRowWritten.toFixed(2)}/M, read $${p.doRowRead}/M, D1 rows written $${p.d1RowWritten.toFixed(2)}/M, read $${p.d1RowRead}/M, ` +
    `Worker requests $${p.workerRequest.toFixed(2)}/M, Worker CPU $${p.workerCpuMs}/M CPU-ms`
  );
}
