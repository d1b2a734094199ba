/**
 * startWorker's promises about processes and output, checked with a trivial Worker (this project's Worker is
 * covered by worker-end-to-end-smoke.test.ts): secrets masked in the captured output, kill() takes workerd
 * with it, a parent that dies without cleaning up leaves nothing running (nor its temporary state), and a
 * failed start says why.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, liveProcessesInGroup, processName, waitForGroupToEnd } from '../../scripts/lib/process-group.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';

const SECRET = 'hunter2-not-for-logs-7f3a';

const projects: string[] = [];

/** A project directory with a one-file Worker that logs a secret var, sharing this project's node_modules. */
function probeProject(main = 'index.js'): string {
  const dir = mkdtempSync(join(tmpdir(), 'wrangler-probe-'));
  projects.push(dir);
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'wrangler.toml'), `name = "standins-probe"\nmain = "${main}"\ncompatibility_date = "2026-10-01"\n`);
  writeFileSync(
    join(dir, 'index.js'),
    `export default { fetch(request, env) { console.log('probe sees', env.PROBE_SECRET, env.PROBE_PLAIN, 'dev-vars:' + (env.PROBE_DEV_ONLY ?? 'none')); return new Response('probe ok'); } };\n`,
  );
  // What a developer keeps for `npm run dev`: never loaded by startWorker.
  writeFileSync(join(dir, '.dev.vars'), 'PROBE_DEV_ONLY=from-dev-vars\nPROBE_PLAIN=overridden-by-dev-vars\n');
  return dir;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 50));
  }
  return true;
}

let project: string;
let worker: WorkerHandle;

beforeAll(async () => {
  project = probeProject();
  worker = await startWorker({ cwd: project, vars: { PROBE_SECRET: SECRET, PROBE_PLAIN: 'plain-value' } });
});
afterAll(async () => {
  await worker?.stop();
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe('startWorker', () => {
  it('serves on 127.0.0.1 and masks secret-looking vars in the captured output', async () => {
    expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${worker.url}/`);
    expect(await response.text()).toBe('probe ok');
    expect(await until(() => worker.output().includes('probe sees'), 5_000)).toBe(true);
    // The project's .dev.vars is not read: only the vars startWorker was given.
    expect(worker.output()).toContain('plain-value dev-vars:none');
    expect(worker.output()).toContain('probe sees *** plain-value');
    expect(worker.output()).not.toContain(SECRET);
  });

  it('kill() SIGKILLs wrangler and workerd together', async () => {
    const group = liveProcessesInGroup(worker.pid);
    expect(group.some((pid) => processName(pid) === 'workerd')).toBe(true);
    await worker.kill();
    expect(group.filter(isAlive)).toEqual([]);
    await expect(fetch(`${worker.url}/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });

  it('leaves nothing running when its parent process is killed without any cleanup', async () => {
    const script = join(project, 'parent.ts');
    writeFileSync(
      script,
      `import { startWorker } from ${JSON.stringify(pathToFileURL(resolve('scripts/lib/wrangler-dev.ts')).href)};\n` +
        `const worker = await startWorker({ cwd: ${JSON.stringify(project)}, vars: { PROBE_SECRET: 'x', PROBE_PLAIN: 'y' } });\n` +
        `console.log(JSON.stringify({ pid: worker.pid, url: worker.url, persistTo: worker.persistTo }));\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const firstLine = await new Promise<string>((done, fail) => {
      createInterface({ input: parent.stdout! }).once('line', done);
      parent.once('exit', () => fail(new Error('the parent exited before starting the Worker')));
    });
    const { pid, url, persistTo } = JSON.parse(firstLine) as { pid: number; url: string; persistTo: string };
    expect(existsSync(persistTo)).toBe(true);
    const group = liveProcessesInGroup(pid);
    expect(group.some((p) => processName(p) === 'workerd')).toBe(true);
    expect((await fetch(`${url}/`)).status).toBe(200);

    parent.kill('SIGKILL');
    expect(await waitForGroupToEnd(pid, 10_000)).toBe(true);
    expect(group.filter(isAlive)).toEqual([]);
    // The watchdog removes the temporary state directory right after the kill.
    expect(await until(() => !existsSync(persistTo), 5_000)).toBe(true);
  });

  it('fails with wrangler\'s own output when the Worker cannot start', async () => {
    const broken = probeProject('missing.js');
    const error = await startWorker({ cwd: broken, vars: { PROBE_SECRET: SECRET }, startTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/wrangler dev exited/);
    expect((error as Error).message).toContain('--- wrangler output ---');
    expect((error as Error).message).toContain('missing.js');
    expect((error as Error).message).not.toContain(SECRET);
  });
});
