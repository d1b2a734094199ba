/**
 * Runs the real Worker under `wrangler dev` on 127.0.0.1 for end-to-end tests, the playground and the
 * benchmark. wrangler and the workerd processes it starts share one process group of their own, which
 * stop()/kill() signal as a whole. A small watchdog process holds a pipe from this process and kills that
 * group when the pipe closes, so nothing is orphaned even if this process dies without running any cleanup
 * (vitest killing a worker, SIGKILL); an `exit` hook covers the ordinary exits too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Socket } from 'node:net';
import { redactAll } from './mask.ts';
import { liveProcessesInGroup, signalGroup, waitForGroupToEnd } from './process-group.ts';

export interface StartWorkerOptions {
  /** `--var NAME:VALUE` for each entry; a function gets the Worker's URL first (for PUBLIC_BASE_URL). */
  vars: Record<string, string> | ((url: string) => Record<string, string>);
  /** Default: a free port the OS picks. */
  port?: number;
  /** Durable Object (and D1) state. Default: a fresh temporary directory, removed by stop()/kill(). */
  persistTo?: string;
  /** The project directory (wrangler.toml, node_modules). Default: the current directory. */
  cwd?: string;
  /** How long wrangler may take to answer its first request. Default 30 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 5 s. */
  stopGraceMs?: number;
  /**
   * Extra environment for wrangler (not Worker vars), e.g. `X_LOCAL_OBSERVABILITY: 'false'` and
   * `X_LOCAL_EXPLORER: 'false'`, which turn off wrangler's local trace and explorer features (the benchmark does:
   * they add work to every request that production does not do).
   */
  env?: Record<string, string>;
  /**
   * wrangler's `--log-level`. Default: wrangler's own (info). At `warn`, wrangler dev neither prints "Ready on"
   * (readiness is then the first answered request alone) nor logs each request, which otherwise costs a loopback
   * POST from workerd to wrangler's Node process per request; the Worker's console.warn/error still show.
   */
  logLevel?: 'info' | 'warn';
}

export interface WorkerHandle {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** wrangler's pid, which is also the id of the process group holding workerd. */
  readonly pid: number;
  readonly persistTo: string;
  /** SIGTERM to the whole group, SIGKILL after the grace period; resolves when no process of it is left. */
  stop(): Promise<void>;
  /** SIGKILL to the whole group at once (a crash, for restart tests); resolves when no process is left. */
  kill(): Promise<void>;
  /** What wrangler printed so far, secrets masked. */
  output(): string;
}

const OUTPUT_CAP = 256 * 1024;
const SECRET_VAR = /SECRET|TOKEN|PASSWORD|PRIVATE/i;

// The watchdog: when our pipe closes, unless told "disarm" first, kill the group and remove the temporary
// state directory (if startWorker made it).
const WATCHDOG = `
const pgid = Number(process.argv[1]);
const tempDir = process.argv[2];
let armed = true;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => { if (text.includes('disarm')) armed = false; });
const end = () => {
  if (armed) {
    try { process.kill(-pgid, 'SIGKILL'); } catch {}
    if (tempDir) { try { require('node:fs').rmSync(tempDir, { recursive: true, force: true }); } catch {} }
  }
  process.exit(0);
};
process.stdin.on('end', end);
process.stdin.on('error', end);
`;

const running = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of running) signalGroup(pgid, 'SIGKILL');
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** wrangler needs Node >= 22.12: use ours if it is recent enough, else the project's `node` devDependency. */
function nodeBinary(cwd: string): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  const local = join(cwd, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

function wranglerScript(cwd: string): string {
  const require = createRequire(join(cwd, 'package.json'));
  return join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js');
}

function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  return env;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * Applies the repo's D1 migrations to the local database in `persistTo`, as `npm run dev` does for the default
 * directory: the Worker under test then has its tables without anyone running wrangler by hand.
 */
export function applyLocalMigrations(cwd: string, persistTo: string): Promise<void> {
  const args = [wranglerScript(cwd), 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo];
  return new Promise((done, fail) => {
    execFile(nodeBinary(cwd), args, { cwd, env: childEnvironment(), timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`applying D1 migrations failed: ${error.message}\n${stdout}${stderr}`));
      else done();
    });
  });
}

export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const vars = typeof options.vars === 'function' ? options.vars(url) : options.vars;
  const ownPersistDir = options.persistTo === undefined;
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), 'wrangler-dev-'));
  const secrets = Object.entries(vars).filter(([name]) => SECRET_VAR.test(name)).map(([, value]) => value);
  if (existsSync(join(cwd, 'migrations'))) await applyLocalMigrations(cwd, persistTo);

  const args = [
    wranglerScript(cwd),
    'dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--inspector-port', '0', // wrangler cannot turn the inspector off; an OS-picked port at least never collides.
    '--show-interactive-dev-session=false',
    '--persist-to', persistTo,
    // Only the vars given here: a developer's .dev.vars (made for `npm run dev` against real Discord) must not
    // change the playground, a test or the bench. An explicit env file replaces .dev.vars and .env.
    '--env-file', '/dev/null',
    ...(options.logLevel ? ['--log-level', options.logLevel] : []),
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child: ChildProcess = spawn(nodeBinary(cwd), args, {
    cwd,
    env: childEnvironment(options.env),
    detached: true, // its own process group, so one signal reaches workerd too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start wrangler dev');
  running.add(pid);
  installExitHook();

  const watchdogArgs = ['-e', WATCHDOG, String(pid), ...(ownPersistDir ? [persistTo] : [])];
  const watchdog = spawn(process.execPath, watchdogArgs, { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  (watchdog.stdin as Socket).unref();

  let captured = '';
  const onOutput = (chunk: Buffer) => {
    captured += chunk.toString('utf8');
    if (captured.length > OUTPUT_CAP) captured = captured.slice(-OUTPUT_CAP);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const output = () => redactAll(captured, secrets);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((done) => child.once('exit', (code, signal) => ((exitCode = code ?? signal), done())));

  let ended: Promise<void> | undefined;
  const end = (signal: 'SIGTERM' | 'SIGKILL', graceMs: number) =>
    (ended ??= (async () => {
      signalGroup(pid, signal);
      let gone = await waitForGroupToEnd(pid, graceMs);
      if (!gone && signal === 'SIGTERM') {
        signalGroup(pid, 'SIGKILL');
        gone = await waitForGroupToEnd(pid, 5_000);
      }
      if (!gone) throw new Error(`wrangler dev processes ${liveProcessesInGroup(pid).join(', ')} survived SIGKILL`);
      await exited;
      running.delete(pid);
      watchdog.stdin!.end('disarm\n');
      if (ownPersistDir) rmSync(persistTo, { recursive: true, force: true });
    })());

  const deadline = performance.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exitCode !== undefined) throw new Error(`wrangler dev exited (${String(exitCode)}) before it was ready`);
      if ((options.logLevel === 'warn' || /Ready on http/.test(captured)) && (await answers(`${url}/`))) break;
      if (performance.now() >= deadline) throw new Error(`wrangler dev did not answer on ${url} within ${options.startTimeoutMs ?? 30_000} ms`);
      await Promise.race([exited, new Promise((done) => setTimeout(done, 100))]);
    }
  } catch (error) {
    await end('SIGKILL', 5_000).catch(() => undefined);
    throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${output()}`);
  }

  return {
    url,
    port,
    pid,
    persistTo,
    stop: () => end('SIGTERM', options.stopGraceMs ?? 5_000),
    kill: () => end('SIGKILL', 5_000),
    output,
  };
}
