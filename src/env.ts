import type { Vars } from './config.ts';

/** The Worker's environment: its settings (validated by config.ts) plus its bindings. */
export interface Env extends Vars {
  /** Linked accounts and data-deletion requests (D1; schema in migrations/). */
  DB: D1Database;
}
