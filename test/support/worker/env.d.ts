// What `env` from cloudflare:workers / cloudflare:test holds in tests: the Worker's bindings plus the private
// half of the key pair vitest.config.ts generated and the D1 migrations; and the Worker's main module, for
// typed `exports`.
import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../../../src/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_DISCORD_PRIVATE_KEY: string;
      /** migrations/, read by vitest.config.ts; applied by apply-migrations.ts. */
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import('../../../src/index.ts');
    }
  }
}
