// What `env` from cloudflare:workers / cloudflare:test holds in tests: the Worker's bindings plus the private
// half of the key pair vitest.config.ts generated; and the Worker's main module, for typed `exports`.
import type { Env as WorkerEnv } from '../../../src/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_DISCORD_PRIVATE_KEY: string;
    }
    interface GlobalProps {
      mainModule: typeof import('../../../src/index.ts');
    }
  }
}
