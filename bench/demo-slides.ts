/**
 * How long the demo takes to make its slide files, and how big they are (issue #10 §3: at
 * --scale 0.05 all 151 slides in well under a minute, a few MB each). Not a test: timings vary.
 *
 *   node --import tsx bench/demo-slides.ts [--scale 0.05] [--slides A1-A0SK,…]
 *
 * Each run uses a fresh cache folder (cold), then loads the dataset again over the same folder
 * (warm: sidecars only). Peak RSS is this process's maxRSS, Node and the decoded base included.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { filesReady } from '../src/server/files-ready.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '0.05' }, slides: { type: 'string' } } });
const scale = Number(values.scale);
if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${values.scale}`);
const slides = values.slides?.split(',');

const cacheDir = await mkdtemp(join(tmpdir(), 'bcss-bench-demo-slides-'));
try {
  const options = { scale, cacheDir, slideFiles: 'tiff' as const, ...(slides ? { slides } : {}) };
  const cold = await loadDemoDataset(options);
  const t0 = performance.now();
  await filesReady(cold.gdc.files);
  const coldMs = performance.now() - t0;
  const warm = await loadDemoDataset(options);
  const t1 = performance.now();
  await filesReady(warm.gdc.files);
  const warmMs = performance.now() - t1;

  const sizes = cold.gdc.files.map((f) => f.size).sort((a, b) => a - b);
  const mb = (n: number): string => (n / 1e6).toFixed(2);
  const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
  const pixels = cold.items.reduce((s, i) => s + (i.slide ? i.slide.geometry.sizeX * i.slide.geometry.sizeY : 0), 0);
  process.stdout.write(
    [
      `Demo slide files at scale ${scale}: ${sizes.length} slides, ${(pixels / 1e6).toFixed(0)} MPix of base pixels`,
      `| cold: make all (s) | warm: find all in cache (s) | total (MB) | median / min / max per slide (MB) | peak RSS (MiB) |`,
      `| --- | --- | --- | --- | --- |`,
      `| ${(coldMs / 1000).toFixed(1)} | ${(warmMs / 1000).toFixed(2)} | ${mb(sizes.reduce((a, b) => a + b, 0))} | ` +
        `${mb(median)} / ${mb(sizes[0] ?? 0)} / ${mb(sizes.at(-1) ?? 0)} | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} |`,
      '',
    ].join('\n'),
  );
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
