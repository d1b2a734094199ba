/**
 * Alternatives the logins benchmark can measure side by side with the shipped Worker (`--variant NAME`): a
 * temporary copy of the project with one deliberate change, run under its own `wrangler dev`. They exist to show,
 * with figures, why the Worker does what it does; none of them ships.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Variant {
  /** What the change is, for the report. */
  description: string;
  file: string;
  from: string;
  to: string;
}

export const VARIANTS = {
  /**
   * The next poll counted from when the previous one was *sent* (a fixed rate) rather than from when its answer
   * came back: polls line up with the interval slots, but Facebook sees each one a varying network delay later.
   */
  'send-anchored': {
    description: 'next poll one interval after the previous poll was sent (not after its answer)',
    file: 'src/login/session.ts',
    from: 'const session: Session = { ...current, lastPollAt: now, pollInFlight: false };',
    to: 'const session: Session = { ...current, pollInFlight: false };',
  },
} as const satisfies Record<string, Variant>;

export type VariantName = keyof typeof VARIANTS;

export const isVariantName = (name: string): name is VariantName => Object.hasOwn(VARIANTS, name);

/** A copy of the Worker's project with the variant applied; `dispose()` removes it. */
export function prepareVariant(projectDir: string, name: VariantName): { dir: string; description: string; dispose(): void } {
  const variant: Variant = VARIANTS[name];
  const dir = mkdtempSync(join(tmpdir(), `bench-variant-${name}-`));
  // The instrumented bench build imports src/ by a relative path: its copy measures the variant's src/.
  for (const entry of ['src', 'migrations', 'wrangler.toml', 'package.json', 'tsconfig.json', 'scripts/bench/instrumented-worker']) {
    cpSync(join(projectDir, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(projectDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const path = join(dir, variant.file);
  const source = readFileSync(path, 'utf8');
  // A variant that no longer applies must fail loudly, not measure the unchanged Worker under its name.
  if (source.split(variant.from).length !== 2) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`variant ${name}: ${variant.file} no longer contains exactly one ${JSON.stringify(variant.from)}`);
  }
  writeFileSync(path, source.replace(variant.from, variant.to));
  return { dir, description: variant.description, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
