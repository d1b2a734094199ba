/**
 * Part 3: logins at scale. N users run /login at once through the Discord stand-in against the real Worker under
 * `wrangler dev`, which polls the Facebook stand-in (interval 1 s by default); each code is approved on Facebook
 * at a random time (uniform over [approveMin, approveMax] seconds after Facebook issued it; seeded). A login is
 * complete when its Discord message shows the final "Logged in as" edit. Measured: completions (and the final
 * message of every login that did not complete), Graph polls per login against the ideal, polls faster than the
 * interval (the Facebook stand-in counts them per code), approval-to-edit time, and wrangler dev's RSS.
 *
 * Ideal polls: the first poll is due one interval after the code is issued, each next one an interval after the
 * previous answer, so a login approved at `a` needs ceil((a - issued) / interval) polls: one per interval slot,
 * up to and including the first slot at or after the approval. A poll arriving later than its slot (alarm or
 * answer latency) can make a login need one poll fewer (-1); any extra poll (+1) is wasted Graph traffic.
 *
 * With `instrumented` (the default of `npm run bench`), the Worker runs as the instrumented bench build
 * (instrumented-worker/), whose counters give what each login costs on Cloudflare (cost.ts). Also measured: how
 * long each /login took to be answered while the engine was busy (the Discord stand-in times every delivery), and
 * the open files of the Worker's workerd (one SQLite database per live object, against its limit).
 */
import type { DeviceLoginEvent, DeviceLoginSnapshot } from '../standins/facebook.ts';
import { startDiscordStandin, type DiscordChange, type DiscordStandin } from '../standins/discord.ts';
import { startFacebookStandin, type FacebookStandin } from '../standins/facebook.ts';
import { workerVarsFor } from '../lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../lib/wrangler-dev.ts';
import type { TrafficEntry } from '../lib/traffic-log.ts';
import { costPerLogin, type CostPerLogin } from './cost.ts';
import { cpuBetween, groupCpu, groupRssBytes, openFileLimit, openFiles, processRole, sampleProcessStates, type StateSampler } from './cpu.ts';
import { fsyncCheckResult, startFsyncTrace, type FsyncCheckResult, type FsyncTrace } from './fsync-check.ts';
import { prepareInstrumented, readSettledCounters, type Counters } from './instrumented.ts';
import { liveProcessesInGroup } from '../lib/process-group.ts';
import { histogram, mean, percentile, seededRandom } from './stats.ts';
import { QUIET_WRANGLER_ENV, START_TIMEOUT_MS } from './targets.ts';

export interface LoginsOptions {
  projectDir: string;
  logins: number;
  intervalSeconds: number;
  /** Approval delay after the code was issued, uniform over [min, max] seconds. */
  approveMinSeconds: number;
  approveMaxSeconds: number;
  seed: number;
  /** /login interactions in flight at once while starting the logins (each must be answered within 3 s). */
  sendConcurrency: number;
  /** How long to wait for the last final message after the last approval (or the last progress), in seconds. */
  settleSeconds: number;
  /** Run the instrumented bench build and report the cost per login. */
  instrumented: boolean;
  /** Check the counted commits against the objects' WAL fsyncs under strace (fsync-check.ts; slows the Worker). */
  fsyncCheck?: boolean;
}

/** An interaction token edits its message for 15 minutes: after that no login of the run can still finish. */
const TOKEN_LIFETIME_MS = 15 * 60_000;
export const LOGIN_ANSWER_BUDGET_MS = 1_000;

export interface LoginsResult {
  logins: number;
  intervalSeconds: number;
  approveWindowSeconds: [number, number];
  seed: number;
  sendConcurrency: number;
  /** Time to deliver all N /login interactions. */
  sendSeconds: number;
  /** /login interactions Discord would show as failed (no or wrong answer within 3 s). */
  interactionFailures: number;
  /** How long each /login took to be answered, as the Discord stand-in timed it (while the engine was busy). */
  loginAnswerMs: { answers: number; p50: number; p99: number; max: number; mean: number };
  interactionFailureReasons: Record<string, number>;
  approved: number;
  approvalErrors: Record<string, number>;
  completed: number;
  allCompleted: boolean;
  /** Final message titles (with the reason text for "Login failed"), and logins with no final message. */
  outcomes: Record<string, number>;
  polls: {
    total: number;
    /** Per completed login: actual - ideal, as "difference: logins". */
    minusIdeal: Record<string, number>;
    meanMinusIdeal: number;
    meanPerLogin: number;
    meanIdealPerLogin: number;
    /** Polls sooner than the interval after the previous poll of the same code, over every code. */
    tooFast: number;
    slowDowns: number;
    /** Polls that came after the code was redeemed (Facebook answers "invalid code"). */
    afterRedeemed: number;
  };
  approvalToEditMs: { p50: number; p99: number; max: number; mean: number };
  /** Warnings and errors the Worker logged (wrangler dev at --log-level warn), by kind. */
  workerLog: Record<string, number>;
  rssBytes: { before: number; after: number; peak: number };
  /** Peak RSS of this bench process, which runs the Discord and Facebook stand-ins. */
  benchRssPeakBytes: number;
  /** Open file descriptors of the Worker's workerd (sampled every second) and its limit. */
  openFiles: { peak: number; limit: number };
  /** Scheduler states of the workerd process running the Worker, sampled every 50 ms while the logins ran. */
  workerStates: { samples: number; running: number; diskWait: number; idle: number };
  /** CPU time of that process over the whole run: every /login, poll, profile read, D1 write and edit. */
  workerCpuMs: number;
  durationSeconds: number;
  budgets: {
    tooFastZero: boolean;
    pollsIdeal: boolean;
    allCompleted: boolean;
    approvalToEditP99WithinIntervalPlus1s: boolean;
    loginAnswerP99Within1s: boolean;
  };
  instrumented: boolean;
  /** The instrumented build's counters, as read at the end (with `instrumented`). */
  counters?: Counters;
  /** Per completed login, and in dollars per million logins (with `instrumented`). */
  cost?: CostPerLogin;
  /** Reasons the counters cannot be trusted (an object the meter did not see), empty when they can. */
  counterProblems: string[];
  /** With `fsyncCheck`: the WAL fsyncs strace saw against the commits counted. */
  fsyncCheck?: FsyncCheckResult;
}

const CODE_TITLE = 'Log in with Facebook';
const SUCCESS = /^Logged in as Bench ([A-Z0-9]+)$/;

interface Final {
  title: string;
  description: string;
  at: number;
}

const titleOf = (message: { embeds: unknown[] }) => (message.embeds[0] as { title?: string } | undefined)?.title;
const descriptionOf = (message: { embeds: unknown[] }) => (message.embeds[0] as { description?: string } | undefined)?.description ?? '';

/**
 * Runs `task` for 0..count-1 with at most `limit` in flight, giving up after `deadlineMs`: then no new task
 * starts and the ones still running are left behind. Resolves with how many were started and how many finished.
 */
async function pool(count: number, limit: number, deadlineMs: number, task: (index: number) => Promise<void>): Promise<{ started: number; finished: number }> {
  let next = 0;
  let finished = 0;
  let expired = false;
  const lane = async () => {
    while (next < count && !expired) {
      await task(next++);
      finished++;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(Array.from({ length: Math.min(limit, count) }, lane)),
    new Promise<void>((resolve) => (timer = setTimeout(() => ((expired = true), resolve()), deadlineMs))),
  ]);
  clearTimeout(timer);
  return { started: next, finished };
}

/** Counts the Worker's log lines by kind: the message text up to the first colon-separated detail, numbers masked. */
function countWorkerLog(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    const text = line.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (!text || /Request\.cf|getaddrinfo|at .*\(|^at |^\[wrangler:warn\] Unable/.test(text)) continue;
    const kind = text.replace(/\d+(\.\d+)?/g, 'N').slice(0, 160);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

export async function benchLogins(options: LoginsOptions, log: (line: string) => void): Promise<LoginsResult> {
  const random = seededRandom(options.seed);
  const intervalMs = options.intervalSeconds * 1000;
  let discord: DiscordStandin | undefined;
  let facebook: FacebookStandin | undefined;
  let worker: WorkerHandle | undefined;
  const timers = new Set<NodeJS.Timeout>();
  let sampler: NodeJS.Timeout | undefined;
  let states: StateSampler | undefined;
  let fsyncTrace: FsyncTrace | undefined;
  const instrumented = options.instrumented ? prepareInstrumented(options.projectDir) : undefined;
  try {
    discord = await startDiscordStandin();
    facebook = await startFacebookStandin({ intervalSeconds: options.intervalSeconds });
    const [d, f] = [discord, facebook];
    log(`logins: starting the ${instrumented ? 'instrumented ' : ''}bot under wrangler dev against the stand-ins (interval ${options.intervalSeconds} s)`);
    worker = await startWorker({
      cwd: instrumented?.dir ?? options.projectDir,
      env: QUIET_WRANGLER_ENV,
      logLevel: 'warn',
      startTimeoutMs: START_TIMEOUT_MS,
      vars: (url) => workerVarsFor({ discord: d, facebook: f, publicBaseUrl: url }),
    });
    const w = worker;
    d.setInteractionsUrl(`${w.url}/interactions`);
    const rssBefore = groupRssBytes(w.pid);
    let rssPeak = rssBefore;
    const workerPids = liveProcessesInGroup(w.pid).filter((pid) => processRole(pid) === 'workerd (Worker)');
    const fileLimit = Math.min(...workerPids.map(openFileLimit));
    let filesPeak = workerPids.reduce((total, pid) => total + openFiles(pid), 0);
    let benchRssPeak = process.memoryUsage.rss();
    sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, groupRssBytes(w.pid));
      benchRssPeak = Math.max(benchRssPeak, process.memoryUsage.rss());
      filesPeak = Math.max(filesPeak, workerPids.reduce((total, pid) => total + openFiles(pid), 0));
    }, 1_000);
    states = sampleProcessStates(workerPids, 50);
    if (options.fsyncCheck) {
      log('logins: --fsync-check: strace follows the Worker (it runs slower while traced)');
      fsyncTrace = await startFsyncTrace(workerPids[0]!);
    }
    const cpuBefore = groupCpu(w.pid);

    // Approvals: scheduled when Facebook issues each code, at a seeded random delay from that moment.
    const approvalErrors: Record<string, number> = {};
    let approved = 0;
    let approvalsScheduled = 0;
    let lastApprovalDue = 0;
    const onFacebook = (event: DeviceLoginEvent) => {
      if (event.kind !== 'created') return;
      const delayMs = (options.approveMinSeconds + random() * (options.approveMaxSeconds - options.approveMinSeconds)) * 1000;
      const due = event.time + delayMs;
      lastApprovalDue = Math.max(lastApprovalDue, due);
      approvalsScheduled++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          f.approve(event.userCode, { name: `Bench ${event.userCode}` });
          approved++;
        } catch (error) {
          const problem = (error as { problem?: string }).problem ?? (error as Error).message;
          approvalErrors[problem] = (approvalErrors[problem] ?? 0) + 1;
        }
      }, Math.max(0, due - Date.now()));
      timers.add(timer);
    };
    f.events.on('change', onFacebook);

    // Final messages, timestamped when the Discord stand-in applies the edit.
    const finals = new Map<string, Final>();
    const loginMessages = new Set<string>();
    let finishedLogins = 0;
    let sendingDone = false;
    let allFinished: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (allFinished = resolve));
    const onDiscord = (change: DiscordChange) => {
      if (change.kind !== 'message' || change.action !== 'updated') return;
      const title = titleOf(change.message);
      if (!title || title === CODE_TITLE || finals.has(change.message.id)) return;
      finals.set(change.message.id, { title, description: descriptionOf(change.message), at: Date.now() });
      if (loginMessages.has(change.message.id) && ++finishedLogins === loginMessages.size && sendingDone) allFinished();
    };
    d.events.on('change', onDiscord);

    // /login answer times: the Discord stand-in logs every delivery with the time its answer took.
    const loginAnswers: number[] = [];
    const onDelivery = (entry: TrafficEntry) => {
      if (entry.direction === 'out' && entry.route === 'interaction' && entry.note === '/login') loginAnswers.push(entry.durationMs);
    };
    d.traffic.on('entry', onDelivery);

    const started = Date.now();
    log(`logins: sending ${options.logins} /login (${options.sendConcurrency} in flight), approvals ${options.approveMinSeconds}-${options.approveMaxSeconds} s after each code, seed ${options.seed}`);
    const interactionFailureReasons: Record<string, number> = {};
    // Each /login is answered or given up on within 3 s; twice the time that takes in sequence bounds the phase.
    const sendDeadlineMs = Math.ceil(options.logins / options.sendConcurrency) * 3_000 * 2 + 30_000;
    let answered = 0;
    const sending = setInterval(() => log(`  … ${answered}/${options.logins} /login answered, ${finishedLogins} final, ${approved} approved`), 5_000);
    const sent = await pool(options.logins, options.sendConcurrency, sendDeadlineMs, async (index) => {
      const user = { id: String(800_000_000_000_000_000n + BigInt(index)), username: `bench${index}` };
      const result = await d.sendCommand({ name: 'login', user });
      answered++;
      const id = result.message?.id;
      const deferred = result.status === 200 && (result.body as { type?: number } | undefined)?.type === 5 && !result.failure;
      if (!deferred || !id) {
        const reason = result.failure ?? `HTTP ${result.status}`;
        interactionFailureReasons[reason] = (interactionFailureReasons[reason] ?? 0) + 1;
        return;
      }
      loginMessages.add(id);
      if (finals.has(id)) ++finishedLogins;
    });
    clearInterval(sending);
    if (sent.finished < options.logins) {
      // Never answered within the bench's bound (each delivery has a 3 s timeout, so this means something hung).
      interactionFailureReasons['no answer within the bench deadline (delivery hung)'] = sent.started - sent.finished;
      if (sent.started < options.logins) interactionFailureReasons['not sent: bench deadline reached'] = options.logins - sent.started;
    }
    const sendSeconds = (Date.now() - started) / 1000;
    const interactionFailures = Object.values(interactionFailureReasons).reduce((a, b) => a + b, 0);
    log(`logins: all /login sent in ${sendSeconds.toFixed(1)} s (${interactionFailures} failed); waiting for the final messages`);

    // Bounded wait, sized from the approval window: each code is approved within approveMax seconds of being
    // issued, so the wait lasts until settleSeconds after the last approval due, and, when a busy engine issues
    // codes or edits late, as long as logins keep making progress (a code issued, a final message) within
    // settleSeconds. Past the tokens' 15 minutes no login can finish anyway.
    sendingDone = true;
    if (finishedLogins === loginMessages.size) allFinished();
    const sendEnd = Date.now();
    let lastProgress = sendEnd;
    let seen = approvalsScheduled + finishedLogins;
    const deadline = () => {
      if (approvalsScheduled + finishedLogins !== seen) (seen = approvalsScheduled + finishedLogins), (lastProgress = Date.now());
      const settleMs = options.settleSeconds * 1000;
      const due = Math.max(sendEnd + options.approveMaxSeconds * 1000 + 30_000, lastApprovalDue + settleMs, lastProgress + settleMs);
      return Math.min(due, started + TOKEN_LIFETIME_MS + settleMs);
    };
    const progress = setInterval(() => log(`  … ${finishedLogins}/${options.logins} final, ${approved} approved`), 5_000);
    timers.add(progress as unknown as NodeJS.Timeout);
    let waitTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        const check = () => (Date.now() >= deadline() ? resolve() : (waitTimer = setTimeout(check, 1_000)));
        check();
      }),
    ]);
    clearTimeout(waitTimer);
    clearInterval(progress);
    const durationSeconds = (Date.now() - started) / 1000;
    d.traffic.off('entry', onDelivery);
    // The counters once the objects are done (a login stores its end just after its final edit).
    const counters = instrumented ? await readSettledCounters(w.url) : undefined;
    const fsyncs = fsyncTrace && counters ? fsyncCheckResult(await fsyncTrace.stop(), counters.durableObjects.commits, counters.objects) : undefined;
    const rssAfter = groupRssBytes(w.pid);
    rssPeak = Math.max(rssPeak, rssAfter);
    const workerStates = states.stop();
    const workerCpuMs = cpuBetween(cpuBefore, groupCpu(w.pid)).byName['workerd (Worker)'] ?? 0;
    f.events.off('change', onFacebook);
    d.events.off('change', onDiscord);

    // Per login: outcome, polls against the ideal, approval-to-edit.
    const byUserCode = new Map<string, DeviceLoginSnapshot>(f.deviceLogins().map((login) => [login.userCode, login]));
    const outcomes: Record<string, number> = {};
    const minusIdeal: number[] = [];
    const actualPolls: number[] = [];
    const idealPolls: number[] = [];
    const approvalToEdit: number[] = [];
    let completed = 0;
    for (const id of loginMessages) {
      const final = finals.get(id);
      const outcome = !final
        ? 'no final message'
        : SUCCESS.test(final.title)
          ? 'Logged in as …'
          : final.title === 'Login failed'
            ? `Login failed: ${final.description}`
            : final.title;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      const userCode = final && SUCCESS.exec(final.title)?.[1];
      const device = userCode ? byUserCode.get(userCode) : undefined;
      if (!final || !device || device.decidedAt === undefined) continue;
      completed++;
      const ideal = Math.ceil((device.decidedAt - device.createdAt) / intervalMs);
      actualPolls.push(device.polls.length);
      idealPolls.push(ideal);
      minusIdeal.push(device.polls.length - ideal);
      approvalToEdit.push(final.at - device.decidedAt);
    }
    const devices = [...byUserCode.values()];
    const tooFast = devices.reduce((sum, login) => sum + login.tooFastPolls, 0);
    const afterRedeemed = devices.reduce((sum, login) => sum + (login.redeemedAt === undefined ? 0 : login.polls.filter((t) => t > login.redeemedAt!).length), 0);
    const p99 = percentile(approvalToEdit, 99);
    const loginAnswerP99 = percentile(loginAnswers, 99);
    const distribution = histogram(minusIdeal);
    return {
      logins: options.logins,
      intervalSeconds: options.intervalSeconds,
      approveWindowSeconds: [options.approveMinSeconds, options.approveMaxSeconds],
      seed: options.seed,
      sendConcurrency: options.sendConcurrency,
      sendSeconds,
      interactionFailures,
      interactionFailureReasons,
      loginAnswerMs: {
        answers: loginAnswers.length,
        p50: percentile(loginAnswers, 50),
        p99: loginAnswerP99,
        max: Math.max(...loginAnswers),
        mean: mean(loginAnswers),
      },
      approved,
      approvalErrors,
      completed,
      allCompleted: completed === options.logins,
      outcomes,
      polls: {
        total: devices.reduce((sum, login) => sum + login.polls.length, 0),
        minusIdeal: distribution,
        meanMinusIdeal: mean(minusIdeal),
        meanPerLogin: mean(actualPolls),
        meanIdealPerLogin: mean(idealPolls),
        tooFast,
        slowDowns: devices.reduce((sum, login) => sum + login.slowDowns, 0),
        afterRedeemed,
      },
      approvalToEditMs: { p50: percentile(approvalToEdit, 50), p99, max: Math.max(...approvalToEdit), mean: mean(approvalToEdit) },
      workerLog: countWorkerLog(w.output()),
      rssBytes: { before: rssBefore, after: rssAfter, peak: rssPeak },
      benchRssPeakBytes: benchRssPeak,
      openFiles: { peak: filesPeak, limit: fileLimit },
      workerStates,
      workerCpuMs,
      durationSeconds,
      budgets: {
        tooFastZero: tooFast === 0,
        pollsIdeal: minusIdeal.length > 0 && minusIdeal.every((d) => d === 0),
        allCompleted: completed === options.logins,
        approvalToEditP99WithinIntervalPlus1s: p99 <= intervalMs + 1_000,
        loginAnswerP99Within1s: loginAnswerP99 <= LOGIN_ANSWER_BUDGET_MS,
      },
      instrumented: options.instrumented,
      ...(counters
        ? {
            counters,
            cost: costPerLogin({
              counters,
              completed,
              graphPolls: devices.reduce((sum, login) => sum + login.polls.length, 0),
              providerOrigin: new URL(f.graphUrl).origin,
              discordOrigin: new URL(d.apiUrl).origin,
              workerProcessCpuMs: workerCpuMs,
            }),
          }
        : {}),
      counterProblems: counters ? counterProblems(counters, loginMessages.size) : [],
      ...(fsyncs ? { fsyncCheck: fsyncs } : {}),
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    clearInterval(sampler);
    states?.stop();
    await fsyncTrace?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    instrumented?.dispose();
    await discord?.close();
    await facebook?.close();
  }
}

/**
 * The counters sum module-scope figures of one isolate: they cover the run only if every login's object was
 * counted there (each user has an object of its own), and the build wrapped the engine's methods.
 */
function counterProblems(counters: Counters, loginsStarted: number): string[] {
  const problems: string[] = [];
  if (counters.objects < loginsStarted) {
    problems.push(`the instrumented build counted ${counters.objects} Durable Objects for ${loginsStarted} logins started: some objects ran in another isolate or were not instrumented`);
  }
  if (!counters.instrumentedMethods.includes('alarm')) problems.push('the instrumented build found no alarm() to wrap on LoginSession');
  return problems;
}
