/**
 * Part 1: the size of the Worker as it would be uploaded. Builds it with `wrangler deploy --dry-run --outdir`
 * (the project's wrangler.toml minifies) into a temporary directory and measures the JavaScript modules: raw
 * bytes, and gzip bytes (zlib level 9, the stricter reading; wrangler's own "gzip:" figure is kept next to it).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runWrangler } from './wrangler-cli.ts';

export const BUNDLE_BUDGET_GZIP_BYTES = 40 * 1024;

export interface BundleResult {
  files: Array<{ name: string; rawBytes: number; gzipBytes: number }>;
  rawBytes: number;
  gzipBytes: number;
  /** What wrangler printed as "Total Upload: … / gzip: …", in bytes (KiB × 1024, rounded), if it printed it. */
  wranglerReported: { rawBytes: number; gzipBytes: number } | undefined;
  budgetGzipBytes: number;
  withinBudget: boolean;
}

export async function measureBundle(projectDir: string): Promise<BundleResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  try {
    const output = await runWrangler(projectDir, ['deploy', '--dry-run', '--outdir', outdir]);
    // Source maps are uploaded too (upload_source_maps) but do not count towards the script size limit.
    const files = readdirSync(outdir, { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.(m?js|wasm)$/.test(name))
      .sort()
      .map((name) => {
        const bytes = readFileSync(join(outdir, name));
        return { name, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
      });
    if (files.length === 0) throw new Error(`wrangler wrote no module to ${outdir}:\n${output}`);
    const reported = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
    const gzipBytes = files.reduce((sum, file) => sum + file.gzipBytes, 0);
    return {
      files,
      rawBytes: files.reduce((sum, file) => sum + file.rawBytes, 0),
      gzipBytes,
      wranglerReported: reported
        ? { rawBytes: Math.round(Number(reported[1]) * 1024), gzipBytes: Math.round(Number(reported[2]) * 1024) }
        : undefined,
      budgetGzipBytes: BUNDLE_BUDGET_GZIP_BYTES,
      withinBudget: gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
