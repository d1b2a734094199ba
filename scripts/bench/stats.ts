/** Small statistics for the benchmark: percentiles, medians, spreads, and a seeded random number generator. */

/** The `p`-th percentile (0..100) of `values`, by the nearest-rank method; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every value, in the order measured. */
  values: number[];
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values: [...values] };
}

/** How often each value occurs, keys sorted numerically. */
export function histogram(values: readonly number[]): Record<string, number> {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => a - b).map(([value, count]) => [String(value), count]));
}

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)); the same seed gives the same approvals. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CpuSplit {
  /** CPU per login that does not depend on how long the person takes: /login, device code, edits, /me, D1. */
  fixedMsPerLogin: number;
  /** CPU each further poll adds. */
  marginalMsPerPoll: number;
}

/**
 * Splits the Worker's CPU into a fixed part per login and a part per poll, by least squares over runs that differ
 * in polls per login (cpuMs = fixed × logins + marginal × polls). Needs two runs whose polls per login differ.
 */
export function cpuSplit(runs: ReadonlyArray<{ logins: number; polls: number; cpuMs: number }>): CpuSplit {
  // Normal equations of the 2-parameter fit without intercept.
  let ll = 0, lp = 0, pp = 0, lc = 0, pc = 0;
  for (const { logins, polls, cpuMs } of runs) {
    ll += logins * logins;
    lp += logins * polls;
    pp += polls * polls;
    lc += logins * cpuMs;
    pc += polls * cpuMs;
  }
  const determinant = ll * pp - lp * lp;
  if (runs.length < 2 || Math.abs(determinant) < 1e-9 * ll * pp) throw new Error('the CPU split needs at least two runs with different polls per login');
  return { fixedMsPerLogin: (lc * pp - pc * lp) / determinant, marginalMsPerPoll: (pc * ll - lc * lp) / determinant };
}
