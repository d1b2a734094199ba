/**
 * Part 1: the size of the Worker as it would be uploaded. Builds it with `wrangler deploy --dry-run --outdir`
 * (the project's wrangler.toml minifies) into a temporary directory and measures the JavaScript modules: raw
 * bytes, and gzip bytes (zlib level 9, the stricter reading; wrangler's own "gzip:" figure is kept next to it).
 */
import { build, type Plugin } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  /**
   * Where the bytes go (esbuild, minified as wrangler does, by source): raw bytes per group, and the whole Worker's
   * gzip size with only the English catalog (the other eight languages' share is the difference).
   */
  breakdown: { rawBytesByGroup: Record<string, number>; gzipBytesEnglishOnly: number } | undefined;
}

/** The groups of sources the breakdown counts, first match wins. */
const GROUPS: Array<[string, RegExp]> = [
  ['translations (8 languages)', /src\/i18n\/locales\//],
  ['English catalog', /src\/i18n\/en\.ts$/],
  ['oauth4webapi', /node_modules\/oauth4webapi\//],
  ['valibot', /node_modules\/valibot\//],
  ['other libraries', /node_modules\//],
  ['the bot\'s own code', /./],
];

/** Every other catalog replaced by the English one: the Worker as it would be in English only. */
const englishOnly: Plugin = {
  name: 'english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/[\w-]+\.ts$/ }, (args) => ({ path: join(args.resolveDir, args.path), namespace: 'english-only' }));
    b.onLoad({ filter: /.*/, namespace: 'english-only' }, (args) => {
      const name = /locales\/([\w-]+)\.ts$/.exec(args.path)![1]!.replace('-BR', 'BR');
      return { contents: `export { en as ${name} } from '../en.ts';`, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

async function breakdown(projectDir: string): Promise<BundleResult['breakdown']> {
  const options = {
    entryPoints: [join(projectDir, 'src/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm' as const,
    platform: 'neutral' as const,
    external: ['cloudflare:workers'],
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'silent' as const,
  };
  const full = await build({ ...options, metafile: true });
  const rawBytesByGroup: Record<string, number> = {};
  for (const [source, input] of Object.entries(Object.values(full.metafile.outputs)[0]!.inputs)) {
    const group = GROUPS.find(([, pattern]) => pattern.test(source))![0];
    rawBytesByGroup[group] = (rawBytesByGroup[group] ?? 0) + input.bytesInOutput;
  }
  const english = await build({ ...options, plugins: [englishOnly] });
  return { rawBytesByGroup, gzipBytesEnglishOnly: gzipSync(english.outputFiles![0]!.contents, { level: 9 }).length };
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
      breakdown: await breakdown(projectDir).catch(() => undefined),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
