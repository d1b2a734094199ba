import type { Vars } from './config.ts';
import type { LoginSession } from './login/login-session.ts';

/** The Worker's environment: its settings (validated by config.ts) plus its bindings. */
export interface Env extends Vars {
  LOGIN_SESSIONS: DurableObjectNamespace<LoginSession>;
  /** Linked accounts and data-deletion requests (D1; schema in migrations/). */
  DB: D1Database;
}
