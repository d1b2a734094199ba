/**
 * `npm start` as a person runs it: it prints the URL, the page and the Worker behind it answer, a second
 * `npm start` on the same port says the port is taken and exits 1, and Ctrl-C (SIGINT to the terminal's
 * process group) stops every process it started, wrangler's and workerd's included.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../scripts/lib/http.ts';
import { isAlive, waitForGroupToEnd } from '../../scripts/lib/process-group.ts';
import { freePort } from '../../scripts/lib/wrangler-dev.ts';
import { PortTakenError, startPlayground } from '../../scripts/playground/playground.ts';
import { descendants, watchOutput } from '../support/node/child-output.ts';
import { call } from '../support/node/http.ts';

/** `npm start` in a process group of its own, as a shell runs a foreground job. */
function npmStart(port: number) {
  const child = spawn('npm', ['start'], {
    detached: true,
    env: { ...process.env, PLAYGROUND_PORT: String(port), npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, output: watchOutput(child) };
}

describe('npm start', () => {
  it('prints the URL; the page answers; a second start finds the port taken; Ctrl-C stops every process', async () => {
    const port = await freePort();
    const first = npmStart(port);
    try {
      const [, url] = await first.output.waitFor(/Playground ready: open (\S+)/);
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      expect(first.output.text()).toMatch(/interval is 2 s/);

      const page = await call(url!);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<title>Playground');
      const ping = await call(`${url}api/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"ping"}' });
      expect(ping.json).toMatchObject({ botStatus: 200 });

      const second = npmStart(port);
      expect(await second.output.exited).toBe(1);
      expect(second.output.text()).toContain(`port ${port} is taken`);
      expect(second.output.text()).not.toContain('Playground ready');

      const processes = descendants(first.child.pid!);
      expect(processes.map((process) => process.name)).toContain('workerd');
      const groups = [...new Set(processes.map((process) => process.pgid))];

      process.kill(-first.child.pid!, 'SIGINT'); // what Ctrl-C in a terminal does
      // npm ends itself by the signal it got; the script (which shares its output pipes) reports its own stop.
      expect(await first.output.exited).toBe('SIGINT');
      await first.output.waitFor(/Stopped\./, 15_000);
      for (const group of groups) expect(await waitForGroupToEnd(group, 5_000)).toBe(true);
      expect(processes.filter((process) => isAlive(process.pid))).toEqual([]);
    } finally {
      try {
        process.kill(-first.child.pid!, 'SIGKILL'); // only if an assertion failed before it stopped
      } catch {
        // The group is gone: the test stopped it.
      }
    }
  });

  it('checks the port before anything else starts', async () => {
    const taken = await listenOnLoopback(async (_request, response) => void response.end());
    try {
      // A missing project directory would make wrangler fail; the port check must come first.
      await expect(startPlayground({ port: taken.port, cwd: '/nonexistent' })).rejects.toThrow(PortTakenError);
    } finally {
      await taken.close();
    }
  });
});
