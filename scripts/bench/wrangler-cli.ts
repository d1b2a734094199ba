/** Runs a wrangler CLI command of this project (not `dev`: see scripts/lib/wrangler-dev.ts) and captures its output. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

export function runWrangler(cwd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const require = createRequire(join(resolve(cwd), 'package.json'));
  const script = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js');
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_OPTIONS;
  return new Promise((done, fail) => {
    execFile(process.execPath, [script, ...args], { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`wrangler ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else done(`${stdout}${stderr}`);
    });
  });
}
