/**
 * The Workers the interaction benchmark loads, each under its own `wrangler dev` (and so its own process group):
 * the bot itself, the floor (answers PONG, verifies nothing), verify-only (the Ed25519 check, then PONG) and
 * discord-sample (a re-creation of Discord's official sample Worker, the budget's reference point).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { workerVarsFor } from '../lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../lib/wrangler-dev.ts';

/**
 * wrangler dev's local trace collection and local explorer do work on every request that a deployed Worker does
 * not: off for every benchmarked Worker, so the figures are about our code. Likewise every Worker runs at
 * `--log-level warn`, which stops the per-request log line (a loopback POST to wrangler's Node process each).
 */
export const QUIET_WRANGLER_ENV = { X_LOCAL_OBSERVABILITY: 'false', X_LOCAL_EXPLORER: 'false' } as const;

/** Starting wrangler dev on a busy 2-core machine (a test suite running alongside) can take far longer than 30 s. */
export const START_TIMEOUT_MS = 90_000;

export type TargetName = 'bot' | 'floor' | 'verify' | 'discord-sample';

export interface Target {
  name: TargetName;
  worker: WorkerHandle;
}

/** The bot, configured as in production except that its outbound base URLs point at a closed loopback port. */
export function startBot(projectDir: string, publicKeyHex: string, env: Record<string, string> = {}): Promise<WorkerHandle> {
  const nowhere = 'http://127.0.0.1:9'; // /ping and PING make no outbound call; nothing must leave loopback anyway.
  return startWorker({
    cwd: projectDir,
    env: { ...QUIET_WRANGLER_ENV, ...env },
    logLevel: 'warn',
    startTimeoutMs: START_TIMEOUT_MS,
    vars: (url) =>
      workerVarsFor({
        discord: { apiUrl: `${nowhere}/api/v10`, applicationId: '1234567890123456789', publicKeyHex },
        facebook: {
          graphUrl: `${nowhere}/v25.0`,
          appId: '987654321012345',
          clientToken: randomBytes(16).toString('hex'),
          appSecret: randomBytes(16).toString('hex'),
        },
        publicBaseUrl: url,
      }),
  });
}

/** A comparison Worker in scripts/bench/<directory>, under its own quiet `wrangler dev`. */
function startComparison(projectDir: string, directory: string, vars: Record<string, string>, env: Record<string, string> = {}): Promise<WorkerHandle> {
  return startWorker({
    cwd: join(projectDir, 'scripts', 'bench', directory),
    env: { ...QUIET_WRANGLER_ENV, ...env },
    logLevel: 'warn',
    startTimeoutMs: START_TIMEOUT_MS,
    vars,
  });
}

export const startFloor = (projectDir: string) => startComparison(projectDir, 'floor-worker', {});

export const startVerifyOnly = (projectDir: string, publicKeyHex: string, env: Record<string, string> = {}) =>
  startComparison(projectDir, 'verify-worker', { DISCORD_PUBLIC_KEY: publicKeyHex }, env);

export const startSample = (projectDir: string, publicKeyHex: string) =>
  startComparison(projectDir, 'sample-worker', { DISCORD_PUBLIC_KEY: publicKeyHex });
