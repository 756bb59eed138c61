/**
 * Benchmark row `rasterize` (issue 12): `bcss rasterize --base` over the annotations of all 151
 * demo ROIs at scale 1 (full-size ROIs, up to ~11000 × 11000 px), as a child process under GNU
 * time: wall time, CPU and peak RSS. Every run starts from an empty output folder, so nothing is
 * skipped. Standalone: `node --import tsx bench/rasterize-demo.ts [--runs N]` (needs dist/, i.e.
 * `npx tsc -p tsconfig.build.json`); `npm run bench -- --only R` runs it as part of the bench.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { measureChild } from '../test/helpers/harness/measure-child.js';
import { REPO_ROOT } from '../test/helpers/harness/repo.js';

export interface RasterizeBench {
  rois: number;
  /** Output pixels over all masks. */
  megapixels: number;
  wallSeconds: number[];
  cpuSeconds: Array<number | null>;
  maxRssMiB: Array<number | null>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export async function runRasterizeBench(options: { cacheDir: string; runs: number; progress: (line: string) => void }): Promise<RasterizeBench> {
  const work = await mkdtemp(join(tmpdir(), 'bcss-bench-rasterize-'));
  try {
    const dataset = await loadDemoDataset({ scale: 1, cacheDir: options.cacheDir });
    const annotations = join(work, 'annotations');
    await mkdir(annotations);
    for (const item of dataset.items) {
      if (item.slide === null) continue;
      await writeFile(join(annotations, `${item.name.replace(/\.svs$/i, '')}.json`), JSON.stringify(await item.annotations()));
    }
    const result: RasterizeBench = { rois: 0, megapixels: 0, wallSeconds: [], cpuSeconds: [], maxRssMiB: [] };
    for (let run = 0; run < options.runs; run++) {
      const out = join(work, `out-${run}`);
      const args = [join(REPO_ROOT, 'bin', 'bcss.js'), 'rasterize', '--out', out, '--annotations', annotations, '--base', '--json'];
      const m = await measureChild(process.execPath, args, { cwd: work, env: process.env });
      if (m.exitCode !== 0) throw new Error(`rasterize exited ${m.exitCode ?? m.signal}: ${m.stderr.slice(0, 2000)}`);
      const summary = JSON.parse(m.stdout) as { masks: Array<{ width: number; height: number }> };
      result.rois = summary.masks.length;
      result.megapixels = summary.masks.reduce((s, k) => s + k.width * k.height, 0) / 1e6;
      result.wallSeconds.push(m.wallSeconds);
      result.cpuSeconds.push(m.cpuSeconds);
      result.maxRssMiB.push(m.maxRssMiB);
      options.progress(`rasterize run ${run + 1}: ${m.wallSeconds.toFixed(1)} s, peak RSS ${m.maxRssMiB?.toFixed(0) ?? 'n/a'} MiB`);
      await rm(out, { recursive: true, force: true });
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The Markdown row printed under the bench table. */
export function rasterizeRow(r: RasterizeBench): string {
  const known = (xs: Array<number | null>): number[] => xs.filter((x): x is number => x !== null);
  const rss = known(r.maxRssMiB);
  const cpu = known(r.cpuSeconds);
  return (
    `| rasterize | ${r.rois} demo ROIs at scale 1, --base (${r.megapixels.toFixed(0)} Mpx) | ` +
    `wall ${median(r.wallSeconds).toFixed(1)} s (median of ${r.wallSeconds.length}) | ` +
    `CPU ${cpu.length > 0 ? `${median(cpu).toFixed(1)} s` : 'n/a'} | peak RSS ${rss.length > 0 ? `${median(rss).toFixed(0)} MiB` : 'n/a'} |`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 1;
  runRasterizeBench({ cacheDir: join(tmpdir(), 'bcss-bench-cache'), runs, progress: (l) => process.stderr.write(`[bench] ${l}\n`) })
    .then((r) => process.stdout.write(`${rasterizeRow(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
}
