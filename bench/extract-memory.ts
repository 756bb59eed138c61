/**
 * Peak RSS of `bcss extract` on the demo's largest ROI (issue 10 §2 memory; too slow for the suite).
 *
 *   node --import tsx bench/extract-memory.ts [--scale 0.3] [--mpp 0.25] [--cache-dir DIR] [--json]
 *
 * Makes the demo slide file of the slide with the largest ROI of the catalog (TCGA-D8-A142) at
 * `--scale` (cached in --cache-dir), runs `bcss extract` from source on that ROI in a child
 * process, and reads the child's VmHWM from /proc while it runs (Linux only). Prints the output
 * size, wall time, output MPix/s and peak RSS; exit 1 above 400 MB (the bound at scale 1).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinRois } from '../src/catalog/rois.js';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { SOURCE_CLI } from '../test/helpers/harness/drill-client.js';
import { cleanEnv } from '../test/helpers/harness/repo.js';

const RSS_LIMIT = 400e6;

async function hwm(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '0.3' }, mpp: { type: 'string', default: '0.25' }, 'cache-dir': { type: 'string' }, json: { type: 'boolean' } },
  });
  const scale = Number(values.scale);
  const largest = builtinRois().reduce((a, b) => ((b.xmax - b.xmin) * (b.ymax - b.ymin) > (a.xmax - a.xmin) * (a.ymax - a.ymin) ? b : a));
  const work = await mkdtemp(join(tmpdir(), 'bcss-extract-bench-'));
  const cacheDir = values['cache-dir'] ?? join(work, 'cache');
  try {
    const t0 = performance.now();
    const dataset = await loadDemoDataset({ scale, cacheDir, slides: [largest.name], slideFiles: 'tiff' });
    const item = dataset.items.find((i) => i.slide?.storedTiff !== undefined);
    const tiff = await item?.slide?.storedTiff?.();
    if (item === undefined || tiff === undefined || dataset.roiTablePath === null) throw new Error('the demo made no slide file');
    const wsiDir = join(work, 'wsis');
    await mkdir(wsiDir);
    await symlink(tiff, join(wsiDir, item.name));
    const makeSeconds = (performance.now() - t0) / 1000;

    const args = ['extract', '--wsi-dir', wsiDir, '--out', join(work, 'out'), '--rois', dataset.roiTablePath, '--slides', largest.name, '--mpp', values.mpp, '--json'];
    const t1 = performance.now();
    const child = spawn(SOURCE_CLI.command, [...SOURCE_CLI.prefixArgs, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let peak = 0;
    const timer = setInterval(() => {
      if (child.pid !== undefined) void hwm(child.pid).then((v) => (peak = Math.max(peak, v)));
    }, 20);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(timer);
    const seconds = (performance.now() - t1) / 1000;
    const summary = JSON.parse(out) as { images: { width: number; height: number }[]; failures: unknown[] };
    const image = summary.images[0];
    if (code !== 0 || image === undefined) throw new Error(`bcss extract exited ${code}: ${out}`);
    const mpix = (image.width * image.height) / 1e6;
    const result = { roi: largest.name, scale, mpp: Number(values.mpp), width: image.width, height: image.height, mpix, seconds, mpixPerSecond: mpix / seconds, peakRssMB: peak / 1e6, slideFileSeconds: makeSeconds };
    if (values.json === true) console.log(JSON.stringify(result));
    else {
      console.log(
        `${largest.name} at scale ${scale}, ${values.mpp} um/px: ${image.width}x${image.height} (${mpix.toFixed(1)} MPix) in ${seconds.toFixed(1)} s ` +
          `(${result.mpixPerSecond.toFixed(2)} MPix/s, process start included), peak RSS ${result.peakRssMB.toFixed(0)} MB`,
      );
    }
    if (peak >= RSS_LIMIT) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
