/** The benchmark's summary: rows of figure / value / budget / verdict, rendered as a text table or Markdown. */
import type { BundleResult } from './bundle.ts';
import type { InstructionsResult } from './instructions.ts';
import type { InteractionsResult, Measurement, RatioName } from './interactions.ts';
import type { CostPerLogin } from './cost.ts';
import { FSYNCS_PER_OBJECT_CREATED, type FsyncCheckResult } from './fsync-check.ts';
import { LOGIN_ANSWER_BUDGET_MS, type LoginsResult } from './logins.ts';
import type { Spread } from './stats.ts';

export interface Row {
  figure: string;
  value: string;
  budget: string;
  /** 'met' | 'MISSED' | '' (a figure without a budget). */
  verdict: string;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ratio = (s: Spread) => `${s.median.toFixed(3)}x (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function bundleRows(bundle: BundleResult): Row[] {
  const rows: Row[] = [
    {
      figure: 'Worker bundle, gzip (raw)',
      value: `${kib(bundle.gzipBytes)} (${kib(bundle.rawBytes)})`,
      budget: `≤ ${kib(bundle.budgetGzipBytes)}`,
      verdict: verdict(bundle.withinBudget),
    },
  ];
  const b = bundle.breakdown;
  if (b) {
    const total = Object.values(b.rawBytesByGroup).reduce((sum, n) => sum + n, 0);
    const shares = Object.entries(b.rawBytesByGroup)
      .sort((x, y) => y[1] - x[1])
      .map(([group, bytes]) => `${group} ${kib(bytes)} (${((bytes / total) * 100).toFixed(0)}%)`)
      .join(', ');
    rows.push(info('Bundle, minified, by source (raw)', shares));
    rows.push(info('Bundle, gzip, with the English catalog only (esbuild)', kib(b.gzipBytesEnglishOnly)));
  }
  return rows;
}

/** Ratios shown for information, without a budget. Discord's sample is the issue's reference point, not a budget. */
const GROUP_RATIOS: RatioName[] = [
  'bot PING / floor',
  'bot /ping / floor',
  'verify-only / floor',
  'discord-sample / floor',
  'bot PING / discord-sample',
  'bot /ping / discord-sample',
];
const WORKER_RATIOS: RatioName[] = [
  'bot PING / floor',
  'bot /ping / floor',
  'verify-only / floor',
  'discord-sample / floor',
  'bot PING / discord-sample',
  'bot /ping / discord-sample',
];
const label = (name: RatioName) => name.replace(' / ', ' ÷ ').replace('discord-sample', 'Discord sample');
const info = (figure: string, value: string): Row => ({ figure, value, budget: '', verdict: '' });
const budget = (figure: string, value: string, limit: string, met: boolean): Row => ({ figure, value, budget: limit, verdict: verdict(met) });

export function interactionRows(result: InteractionsResult): Row[] {
  const group = (name: RatioName) => ratio(result.cpuRatios[name]);
  const worker = (name: RatioName) => ratio(result.workerCpuRatios[name]);
  const rows: Row[] = [
    {
      figure: 'CPU/interaction, bot PING ÷ verify-only',
      value: group('bot PING / verify-only'),
      budget: `≤ ${result.budgetRatio}x`,
      verdict: verdict(result.cpuRatios['bot PING / verify-only'].median <= result.budgetRatio),
    },
    {
      figure: 'CPU/interaction, bot /ping ÷ verify-only /ping (the same body)',
      value: group('bot /ping / verify-only'),
      budget: `≤ ${result.budgetRatio}x`,
      verdict: verdict(result.cpuRatios['bot /ping / verify-only'].median <= result.budgetRatio),
    },
    ...GROUP_RATIOS.map((name) => info(`CPU/interaction, ${label(name)}`, group(name))),
    ...WORKER_RATIOS.map((name) => info(`Worker process only: ${label(name)}`, worker(name))),
  ];
  for (const measurement of Object.keys(result.summary) as Measurement[]) {
    const s = result.summary[measurement];
    rows.push({
      figure: `${measurement}: req/s, p50/p99, CPU/req`,
      value: `${s.requestsPerSecond.median.toFixed(0)} req/s, ${s.latencyP50Ms.median}/${s.latencyP99Ms.median} ms, ${s.cpuPerRequestUs.median.toFixed(0)} µs (Worker process ${s.workerCpuPerRequestUs.median.toFixed(0)} µs)`,
      budget: '',
      verdict: '',
    });
  }
  const bad = result.badSignature;
  rows.push({
    figure: 'Answers checked (wrong)',
    value: `${result.answersChecked} (${result.wrongAnswers} wrong, ${result.connectionErrors} connection errors)`,
    budget: '0 wrong',
    verdict: verdict(result.wrongAnswers === 0 && result.connectionErrors === 0),
  });
  rows.push({
    figure: 'Bad/missing signature under load → 401',
    value: `${bad.got401}/${bad.sent} (valid alongside: ${bad.validRight}/${bad.validAlongside} right)`,
    budget: 'all',
    verdict: verdict(bad.sent > 0 && bad.got401 === bad.sent && bad.validRight === bad.validAlongside),
  });
  return rows;
}

export function instructionRows(result: InstructionsResult): Row[] {
  const p = result.perRequest;
  const count = (n: number) => `${(n / 1000).toFixed(0)}k`;
  const perRequest = (s: Spread) => `${count(s.median)} (${count(s.min)}–${count(s.max)})`;
  const ratioOf = (name: keyof InstructionsResult['ratios']) => `${result.ratios[name].toFixed(3)}x`;
  return [
    budget('Instructions/interaction, bot PING ÷ verify-only (callgrind)', ratioOf('bot PING / verify-only PING'), `≤ ${result.budgetRatio}x`, result.ratios['bot PING / verify-only PING'] <= result.budgetRatio),
    budget('Instructions/interaction, bot /ping ÷ verify-only /ping (callgrind)', ratioOf('bot /ping / verify-only /ping'), `≤ ${result.budgetRatio}x`, result.ratios['bot /ping / verify-only /ping'] <= result.budgetRatio),
    info(
      `Instructions per request in the Worker's workerd, median (min–max) of ${result.rounds} rounds of ${result.requestsPerRound}`,
      `bot PING ${perRequest(p['bot PING'])}, verify-only PING ${perRequest(p['verify-only PING'])}, bot /ping ${perRequest(p['bot /ping'])}, verify-only /ping ${perRequest(p['verify-only /ping'])}`,
    ),
    ...(['PING', '/ping'] as const).map((kind) =>
      info(
        `Largest differences by function, bot ${kind} − verify-only ${kind}, instructions per request (median round)`,
        result.largestDifferences[kind].map((d) => `${d.irPerRequest >= 0 ? '+' : '−'}${Math.abs(d.irPerRequest).toFixed(0)} ${d.function.slice(0, 60)}`).join('; '),
      ),
    ),
  ];
}

export function loginRows(result: LoginsResult): Row[] {
  const interval = result.intervalSeconds * 1000;
  const differences = Object.entries(result.polls.minusIdeal)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([difference, count]) => (difference === '0' ? `=ideal ${count}` : `${Number(difference) > 0 ? '+' : '−'}${Math.abs(Number(difference))}: ${count}`))
    .join(', ');
  const notCompleted = Object.entries(result.outcomes).filter(([outcome]) => outcome !== 'Logged in as …');
  return [
    {
      figure: `Logins completed (N=${result.logins}, interval ${result.intervalSeconds} s)`,
      value: `${result.completed}/${result.logins}${notCompleted.length ? ` — ${notCompleted.map(([o, n]) => `${n}× ${o}`).join('; ')}` : ''}`,
      budget: 'all',
      verdict: verdict(result.allCompleted),
    },
    {
      figure: 'Graph polls per login − ideal',
      value: `${differences || 'none'} (mean ${result.polls.meanMinusIdeal.toFixed(2)}; ${result.polls.meanPerLogin.toFixed(2)} polls/login)`,
      budget: '= ideal',
      verdict: verdict(result.budgets.pollsIdeal),
    },
    { figure: 'Polls faster than the interval', value: String(result.polls.tooFast), budget: '0', verdict: verdict(result.budgets.tooFastZero) },
    {
      figure: 'Approval → "Logged in as" edit, p50 / p99',
      value: `${seconds(result.approvalToEditMs.p50)} / ${seconds(result.approvalToEditMs.p99)} (max ${seconds(result.approvalToEditMs.max)})`,
      budget: `p99 ≤ ${seconds(interval + 1000)}`,
      verdict: verdict(result.budgets.approvalToEditP99WithinIntervalPlus1s),
    },
    {
      figure: 'Worker\'s workerd while logging in: running / disk wait / idle; CPU per poll',
      value: `${percentages(result.workerStates)}; ${(result.workerCpuMs / Math.max(1, result.polls.total)).toFixed(2)} ms (all login work / Graph polls)`,
      budget: '',
      verdict: '',
    },
    {
      figure: 'wrangler dev RSS before → after (peak); bench and stand-ins, peak',
      value: `${mib(result.rssBytes.before)} → ${mib(result.rssBytes.after)} (${mib(result.rssBytes.peak)}); ${result.benchRssPeakBytes === undefined ? 'n/a' : mib(result.benchRssPeakBytes)}`,
      budget: '',
      verdict: '',
    },
    {
      figure: '/login answers failed; polls after redemption',
      value: `${result.interactionFailures}; ${result.polls.afterRedeemed}`,
      budget: '',
      verdict: '',
    },
    {
      figure: '/login answered, p50 / p99, while the engine is busy',
      value: `${seconds(result.loginAnswerMs.p50)} / ${seconds(result.loginAnswerMs.p99)} (max ${seconds(result.loginAnswerMs.max)}; ${result.loginAnswerMs.answers} answers, ${result.sendConcurrency} in flight)`,
      budget: `p99 ≤ ${seconds(LOGIN_ANSWER_BUDGET_MS)}`,
      verdict: verdict(result.budgets.loginAnswerP99Within1s),
    },
    {
      figure: "Open files of the Worker's workerd, peak (limit)",
      value: `${result.openFiles.peak} (${result.openFiles.limit ?? 'unlimited'})`,
      budget: '',
      verdict: '',
    },
    ...(result.cost ? costRows(result.cost) : []),
    ...(result.fsyncCheck ? [fsyncRow(result.fsyncCheck)] : []),
  ];
}

function fsyncRow(check: FsyncCheckResult): Row {
  const figure = "Check (strace): the objects' WAL fsyncs against the commits counted";
  if (check.unavailable) return { figure, value: `not run: ${check.unavailable}`, budget: '', verdict: '' };
  return {
    figure,
    value:
      `${check.objectWal} fsyncs in ${check.objectFiles} databases; counted ${check.commitsCounted} commits + ` +
      `${FSYNCS_PER_OBJECT_CREATED} × ${check.objectsCounted} objects created = ${check.expectedObjectWal} (alarm scheduler: ${check.alarmMetadata})`,
    budget: 'equal',
    verdict: verdict(check.matches),
  };
}

const n = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const usd = (value: number) => (Number.isFinite(value) ? `$${value.toFixed(2)}` : 'n/a');

/** What each completed login cost (instrumented build), and its price at the list prices printed under the table. */
export function costRows(cost: CostPerLogin): Row[] {
  const d = cost.dollarsPerMillionLogins;
  const parts: Array<[string, number]> = [
    ['DO rows written', d.doRowsWritten],
    ['DO requests', d.doRequests],
    ['DO duration', d.doDuration],
    ['D1 rows written', d.d1RowsWritten],
    ['Worker requests', d.workerRequests],
    ['Worker CPU (upper bound)', d.workerCpu],
    ['rows read', d.doRowsRead + d.d1RowsRead],
  ];
  return [
    info('Per login: Durable Object requests (RPC + alarm runs)', `${n(cost.doRequests)} (${n(cost.rpcCalls)} + ${n(cost.alarmRuns)})`),
    info('Per login: storage rows written / read', `${n(cost.rowsWritten)} / ${n(cost.rowsRead)}`),
    info('Per login: storage commits; per Graph poll', `${n(cost.commits)} (${n(cost.writeCalls)} write calls); ${n(cost.commitsPerPoll)} per poll`),
    budget(
      'Per poll (alarm runs whose only request was a poll): storage commits; rows written',
      `${n(cost.commitsPerPollOnlyRun)}; ${n(cost.rowsWrittenPerPollOnlyRun)} (${cost.pollOnlyRuns} runs)`,
      '≤ 1 commit',
      cost.commitsPerPollOnlyRun <= 1,
    ),
    info('Per login: Durable Object active wall time', `${n(cost.activeSeconds, 3)} s`),
    info('Per login: outbound requests, Graph / Discord', `${n(cost.providerRequests)} / ${n(cost.discordRequests)}${cost.otherRequests ? ` (+ ${n(cost.otherRequests)} elsewhere)` : ''}`),
    info('Per login: D1 queries; rows written / read', `${n(cost.d1Queries)}; ${n(cost.d1RowsWritten)} / ${n(cost.d1RowsRead)}`),
    info('Per login: Worker requests; Worker process CPU (upper bound)', `${n(cost.workerRequests)}; ${n(cost.workerCpuMsUpperBound, 1)} ms`),
    info(
      '$ per million logins (Workers Paid list prices as of 2026, free allowances ignored)',
      `${usd(d.total)} = ${parts.map(([name, value]) => `${name} ${usd(value)}`).join(' + ')}`,
    ),
  ];
}

const HEADERS: Row = { figure: 'Figure', value: 'Value (median (min–max) over rounds)', budget: 'Budget', verdict: '' };

export function textTable(rows: Row[]): string {
  const all = [HEADERS, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((row) => row[key].length));
  const line = (row: Row) => `${row.figure.padEnd(width('figure'))}  ${row.value.padEnd(width('value'))}  ${row.budget.padEnd(width('budget'))}  ${row.verdict}`.trimEnd();
  return [line(HEADERS), '-'.repeat(line(HEADERS).length + 6), ...rows.map(line)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    `| ${HEADERS.figure} | ${HEADERS.value} | ${HEADERS.budget} | |`,
    '|---|---|---|---|',
    ...rows.map((row) => `| ${cell(row.figure)} | ${cell(row.value)} | ${cell(row.budget)} | ${row.verdict} |`),
  ].join('\n');
}

function percentages(states: { samples: number; running: number; diskWait: number; idle: number }): string {
  if (states.samples === 0) return 'no samples';
  const share = (n: number) => `${Math.round((n / states.samples) * 100)}%`;
  return `${share(states.running)} / ${share(states.diskWait)} / ${share(states.idle)} (${states.samples} samples)`;
}
