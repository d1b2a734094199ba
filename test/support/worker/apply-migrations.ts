// Runs before every worker test file: brings the test D1 database to the schema in migrations/, exactly as
// `wrangler d1 migrations apply` would (already-applied migrations are skipped).
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
