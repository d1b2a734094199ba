/**
 * The real Worker under `wrangler dev`, pointed at both stand-ins: the Discord stand-in signs and delivers,
 * the Worker verifies and answers. Started once for the file; the last test stops it and checks that nothing
 * of it is left running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, liveProcessesInGroup, processName } from '../../scripts/lib/process-group.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordStandin } from '../../scripts/standins/discord.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { alice } from '../support/node/discord-harness.ts';

let discord: DiscordStandin;
let facebook: FacebookStandin;
let worker: WorkerHandle;

beforeAll(async () => {
  discord = await startDiscordStandin();
  facebook = await startFacebookStandin();
  worker = await startWorker({ vars: (url) => workerVarsFor({ discord, facebook, publicBaseUrl: url }) });
  discord.setInteractionsUrl(`${worker.url}/interactions`);
});

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await facebook?.close();
});

describe('the Worker under wrangler dev, against the stand-ins', () => {
  it('answers a signed /ping from the Discord stand-in with an ephemeral "Pong!"', async () => {
    const result = await discord.sendCommand({ name: 'ping', user: alice });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ type: 4, data: { content: 'Pong!', flags: 64 } });
    expect(result.failure).toBeUndefined();
    expect(result.message).toMatchObject({ content: 'Pong!', flags: 64 });
  });

  it('answers Discord\'s PING with PONG', async () => {
    expect((await discord.sendPing()).body).toEqual({ type: 1 });
  });

  it('refuses an unsigned POST and a wrongly signed one with 401', async () => {
    const body = JSON.stringify({ type: 1 });
    expect((await discord.deliverRaw(body, { signature: 'missing' })).status).toBe(401);
    expect((await discord.deliverRaw(body, { signature: 'invalid' })).status).toBe(401);
    expect((await discord.deliverRaw(body, { signature: 'valid' })).status).toBe(200);
  });

  it('stop() leaves no process of wrangler dev behind, workerd included', async () => {
    const group = liveProcessesInGroup(worker.pid);
    const workerd = group.filter((pid) => processName(pid) === 'workerd');
    expect(workerd.length).toBeGreaterThan(0);
    await worker.stop();
    expect(liveProcessesInGroup(worker.pid)).toEqual([]);
    expect(group.filter(isAlive)).toEqual([]);
    await expect(fetch(`${worker.url}/`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});
