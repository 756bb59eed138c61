/**
 * Issue 10 §4 on the demo: `bcss extract` from the demo's slide files (fetched through its GDC)
 * against `bcss download --components images` from the demo DSA, for every ROI at --mpp 0.25,
 * --mag 20 and --base.
 *
 *   node --import tsx bench/extract-agreement.ts [--scale 0.05] [--slides A1-A0SK,...] [--json]
 *
 * Prints per resolution: images compared, whether names and sizes (and channels) are identical,
 * how many images are identical sample for sample, the mean and the worst of the per-image mean
 * absolute difference over the colour samples, and the largest single-sample difference. Exit 1
 * when a name or size differs or an image's mean difference passes 1 grey level (§4's bound).
 *
 * The demo DSA renders from the stored JPEG tiles of the very file its GDC serves
 * (src/server/demo/demo-tile-slide.ts), as a real DSA renders from the SVS the GDC serves, and
 * both roads resample with the same Pillow resize (src/slides/pil-resample.ts, whose strips equal
 * the whole-region resize exactly), so every figure is expected to be 0
 * (docs/local-render.md).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { main as cli } from '../src/cli/main.js';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { startServer } from '../src/server/start-server.js';
import { fakeContext } from '../test/helpers/cli-context.js';

const RESOLUTIONS = [['--mpp', '0.25'], ['--mag', '20'], ['--base']];

async function colourDifference(a: string, b: string): Promise<{ mean: number; max: number; same: boolean }> {
  const [x, y] = await Promise.all([a, b].map((p) => sharp(p).raw().toBuffer({ resolveWithObject: true })));
  if (x === undefined || y === undefined) throw new Error('decode failed');
  const same = x.info.width === y.info.width && x.info.height === y.info.height && x.info.channels === y.info.channels;
  if (!same) return { mean: Infinity, max: Infinity, same };
  const ch = x.info.channels;
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < x.data.length; i++) {
    if (i % ch === 3) continue;
    const d = Math.abs((x.data[i] as number) - (y.data[i] as number));
    sum += d;
    n += 1;
    if (d > max) max = d;
  }
  return { mean: sum / n, max, same };
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { scale: { type: 'string', default: '0.05' }, slides: { type: 'string' }, json: { type: 'boolean' } } });
  const work = await mkdtemp(join(tmpdir(), 'bcss-extract-agree-'));
  const dataset = await loadDemoDataset({ scale: Number(values.scale), cacheDir: join(work, 'cache'), slideFiles: 'tiff', ...(values.slides ? { slides: values.slides.split(',') } : {}) });
  const server = await startServer({ dataset, port: 0 });
  const rows = [];
  try {
    const wsiDir = join(work, 'wsis');
    await mkdir(wsiDir);
    for (const file of dataset.gdc.files) {
      const body = Buffer.from(await (await fetch(`${server.urls.gdc}/data/${file.fileId}`)).arrayBuffer());
      await writeFile(join(wsiDir, file.fileName), body);
    }
    const common = ['--rois', dataset.roiTablePath ?? '', '--json'];
    for (const res of RESOLUTIONS) {
      const dsa = join(work, `dsa${res.join('')}`);
      const wsi = join(work, `wsi${res.join('')}`);
      const d = fakeContext();
      const urls = ['--api-url', server.urls.girder, '--figshare-url', server.urls.figshare, '--gdc-url', server.urls.gdc];
      const dc = await cli(['node', 'bcss', 'download', '--out', dsa, ...urls, '--components', 'images', '--no-progress', ...common, ...res], d.ctx);
      const e = fakeContext();
      const ec = await cli(['node', 'bcss', 'extract', '--wsi-dir', wsiDir, '--out', wsi, ...common, ...res], e.ctx);
      if (dc !== 0 || ec !== 0) throw new Error(`download exit ${dc}, extract exit ${ec}: ${d.stderr()} ${e.stderr()}`);
      const names = (await readdir(join(dsa, 'images'))).filter((n) => n.endsWith('.png')).sort();
      const mine = (await readdir(join(wsi, 'images'))).filter((n) => n.endsWith('.png')).sort();
      let sameNames = names.length === mine.length && names.every((n, i) => n === mine[i]);
      let sum = 0;
      let worst = 0;
      let max = 0;
      let identical = 0;
      for (const name of names) {
        const diff = await colourDifference(join(dsa, 'images', name), join(wsi, 'images', name));
        sameNames &&= diff.same;
        sum += diff.mean;
        worst = Math.max(worst, diff.mean);
        max = Math.max(max, diff.max);
        if (diff.max === 0) identical += 1;
      }
      rows.push({ resolution: res.join(' '), images: names.length, namesAndSizesIdentical: sameNames, identicalImages: identical, meanOfMeans: sum / names.length, worstMean: worst, maxSample: max });
    }
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
  if (values.json === true) console.log(JSON.stringify(rows));
  else {
    console.log('| resolution | images | names & sizes | identical images | mean of per-image means | worst per-image mean | max sample diff |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.resolution} | ${r.images} | ${r.namesAndSizesIdentical ? 'identical' : 'DIFFER'} | ${r.identicalImages} / ${r.images} | ` +
          `${r.meanOfMeans.toFixed(3)} | ${r.worstMean.toFixed(3)} | ${r.maxSample} |`,
      );
    }
  }
  if (rows.some((r) => !r.namesAndSizesIdentical || r.worstMean > 1)) process.exitCode = 1;
}

await run();
