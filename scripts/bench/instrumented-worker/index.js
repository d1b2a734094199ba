// @ts-check
/**
 * The instrumented bench build of the Worker (`npm run bench -- --only logins`, on by default): the real Worker
 * and its real LoginSession, with a meter (meter.ts) counting what the login engine costs. Nothing in src/ is
 * changed; the bench runs this module under `wrangler dev` with a copy of the project's wrangler.toml whose
 * `main` points here (scripts/bench/instrumented.ts). It relies only on src/index.ts exporting the Worker and a
 * `LoginSession` class that extends DurableObject with its RPC methods on its prototype.
 *
 * - `LoginSession` is a subclass whose constructor gives the real one a counting `ctx.storage` (workerd refuses a
 *   Proxy for `ctx` itself, so the counting storage replaces ctx's own `storage` property before `super()`) and an
 *   `env` whose D1 binding counts; every method of the real class's prototype chain is wrapped to count requests,
 *   alarm runs and active time.
 * - `globalThis.fetch` is wrapped: every outbound request is counted by origin and route.
 * - `GET /__bench/counters` answers the counters, summed over every object: under `wrangler dev` all objects of
 *   the class and the Worker share one isolate, and the snapshot carries its id and the number of objects seen
 *   so that the bench can check that (scripts/bench/instrumented.ts).
 *
 * JavaScript (checked with `tsc -p scripts/bench/instrumented-worker`): as a .ts file tsconfig.node.json, which
 * takes everything under scripts/, would check it and src/ with Node's types.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DurableObject } from 'cloudflare:workers';
import worker, { LoginSession as RealLoginSession } from '../../../src/index.ts';
import { Meter } from './meter.ts';

/** @type {AsyncLocalStorage<import('./meter.ts').RunRecord>} */
const runs = new AsyncLocalStorage();
const meter = new Meter({
  now: () => Date.now(),
  afterTurn: (fn) => void setTimeout(fn, 0),
  runIn: (record, fn) => runs.run(record, fn),
  currentRun: () => runs.getStore(),
});

const realFetch = globalThis.fetch;
globalThis.fetch = /** @type {typeof fetch} */ (meter.wrapFetch((input, init) => realFetch(input, init)));

/** @type {WeakMap<object, import('./meter.ts').ObjectMeter>} */
const objectMeters = new WeakMap();

/**
 * @template {{ DB?: D1Database }} E
 * @param {E} env
 * @param {import('./meter.ts').D1Counts} counts
 * @returns {E}
 */
function countingEnv(env, counts) {
  if (!env.DB) return env;
  const db = meter.wrapD1(env.DB, counts);
  return new Proxy(env, { get: (target, key) => (key === 'DB' ? db : Reflect.get(target, key, target)) });
}

export class LoginSession extends RealLoginSession {
  /**
   * @param {DurableObjectState} ctx
   * @param {import('../../../src/env.ts').Env} env
   */
  constructor(ctx, env) {
    const object = meter.objectFor(ctx.id.toString());
    Object.defineProperty(ctx, 'storage', { value: meter.wrapStorage(ctx.storage, object), configurable: true, enumerable: true });
    super(ctx, countingEnv(env, meter.d1.durableObjects));
    objectMeters.set(this, object);
  }
}

const wrapped = meter.instrumentMethods(LoginSession, RealLoginSession, DurableObject.prototype, (instance) => {
  const object = objectMeters.get(instance);
  if (!object) throw new Error('instrumented LoginSession: a method ran on an object the meter never saw built');
  return object;
});

/** @type {ExportedHandler<import('../../../src/env.ts').Env>} */
export default {
  ...worker,
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/__bench/counters') {
      return Response.json({ ...meter.snapshot(), instrumentedMethods: wrapped });
    }
    meter.workerRequest(url.pathname);
    if (!worker.fetch) return new Response('the Worker has no fetch handler', { status: 500 });
    return worker.fetch(/** @type {any} */ (request), countingEnv(env, meter.d1.worker), ctx);
  },
};
