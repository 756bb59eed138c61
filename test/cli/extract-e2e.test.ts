import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeContext } from '../helpers/cli-context.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'AR-A1AQ'];
const RESOLUTIONS: Array<{ label: string; flags: string[] }> = [
  { label: 'mpp 0.25', flags: ['--mpp', '0.25'] },
  { label: 'mag 20', flags: ['--mag', '20'] },
  { label: 'base', flags: ['--base'] },
];

async function pngFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
}

/** Mean and max absolute difference over all samples of two decoded images of equal size and channels. */
async function difference(a: string, b: string): Promise<{ mean: number; max: number; channels: [number, number] }> {
  const [x, y] = await Promise.all([a, b].map((p) => sharp(p).raw().toBuffer({ resolveWithObject: true })));
  assert.ok(x !== undefined && y !== undefined);
  assert.deepEqual([x.info.width, x.info.height], [y.info.width, y.info.height], `${a} vs ${b}: sizes differ`);
  if (x.info.channels !== y.info.channels) return { mean: Infinity, max: Infinity, channels: [x.info.channels, y.info.channels] };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < x.data.length; i++) {
    const d = Math.abs((x.data[i] as number) - (y.data[i] as number));
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / x.data.length, max, channels: [x.info.channels, y.info.channels] };
}

/** The demo's slide files, fetched as a GDC client does (POST /files, GET /data/{id}). */
async function fetchSlides(server: RunningServer, dir: string): Promise<string[]> {
  const res = await fetch(`${server.urls.gdc}/files`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fields: 'file_id,file_name', size: 100 }),
  });
  const hits = ((await res.json()) as { data: { hits: { file_id: string; file_name: string }[] } }).data.hits;
  await mkdir(dir, { recursive: true });
  for (const hit of hits) {
    const body = Buffer.from(await (await fetch(`${server.urls.gdc}/data/${hit.file_id}`)).arrayBuffer());
    await writeFile(join(dir, hit.file_name), body);
  }
  return hits.map((h) => h.file_name).sort();
}

describe('bcss extract: ROI images from local slides, offline', () => {
  let work = '';
  let dataset: ServedDataset;
  let server: RunningServer;
  let wsiDir = '';
  let slideFiles: string[] = [];
  let roiTable = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-extract-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: join(work, 'cache'), slides: SLIDES });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
    wsiDir = join(work, 'wsis');
    slideFiles = await fetchSlides(server, wsiDir);
    assert.equal(slideFiles.length, SLIDES.length);
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const download = async (out: string, res: string[]): Promise<void> => {
    const f = fakeContext();
    const args = ['--out', out, '--api-url', server.urls.girder, '--figshare-url', server.urls.figshare, '--gdc-url', server.urls.gdc];
    const code = await main(['node', 'bcss', 'download', ...args, '--rois', roiTable, '--components', 'images', '--no-progress', ...res], f.ctx);
    assert.equal(code, EXIT.ok, f.stderr());
  };
  const extract = async (out: string, res: string[], dir = wsiDir): Promise<{ code: number; stdout: string; stderr: string }> => {
    const f = fakeContext();
    const code = await main(['node', 'bcss', 'extract', '--wsi-dir', dir, '--out', out, '--rois', roiTable, '--json', ...res], f.ctx);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  };

  for (const { label, flags } of RESOLUTIONS) {
    test(`${label}: same names, sizes and channels as the DSA's renders, mean pixel difference ≤ 1; rerun skips; verify is clean`, async () => {
      const dsaOut = join(work, `dsa-${label}`);
      const wsiOut = join(work, `wsi-${label}`);
      await download(dsaOut, flags);
      const first = await extract(wsiOut, flags);
      assert.equal(first.code, EXIT.ok, first.stderr + first.stdout);

      const names = await pngFiles(join(dsaOut, 'images'));
      assert.ok(names.length >= SLIDES.length, `the demo has at least one ROI per slide (${names.length})`);
      assert.deepEqual(await pngFiles(join(wsiOut, 'images')), names);
      let worstMean = 0;
      let worstMax = 0;
      for (const name of names) {
        const d = await difference(join(dsaOut, 'images', name), join(wsiOut, 'images', name));
        assert.equal(d.channels[0], d.channels[1], `${name}: channels ${d.channels.join(' vs ')}`);
        assert.equal(d.channels[0], label === 'base' ? 3 : 4, `${name}: RGB at base, RGBA when resampled`);
        assert.ok(d.mean <= 1, `${name}: mean difference ${d.mean}`);
        worstMean = Math.max(worstMean, d.mean);
        worstMax = Math.max(worstMax, d.max);
      }
      // The figures the report and docs/local-render.md quote.
      console.log(`# extract vs DSA at ${label}: ${names.length} images, worst mean |diff| ${worstMean.toFixed(4)}, max |diff| ${worstMax}`);

      const lock = await readLock(wsiOut, { moveAside: false });
      const images = lock.lock?.artifacts.filter((e) => e.kind === 'images') ?? [];
      assert.equal(images.length, names.length);
      for (const e of images) assert.match(e.source.url ?? '', /^wsi:TCGA-.*\.svs$/);

      const mtimes = await Promise.all(names.map(async (n) => (await stat(join(wsiOut, 'images', n))).mtimeMs));
      const again = await extract(wsiOut, flags);
      assert.equal(again.code, EXIT.ok, again.stderr);
      const summary = JSON.parse(again.stdout) as { images: { status: string }[]; failures: unknown[] };
      assert.deepEqual(new Set(summary.images.map((i) => i.status)), new Set(['skipped']));
      assert.deepEqual(await Promise.all(names.map(async (n) => (await stat(join(wsiOut, 'images', n))).mtimeMs)), mtimes);

      const v = fakeContext();
      assert.equal(await main(['node', 'bcss', 'verify', '--out', wsiOut, '--json'], v.ctx), EXIT.ok, v.stdout());
    });
  }

  test('a missing and an unreadable slide file fail their own ROIs (exit 1); the others are written', async () => {
    const dir = join(work, 'broken-wsis');
    await mkdir(dir, { recursive: true });
    const [missing, garbage, good] = slideFiles;
    assert.ok(missing !== undefined && garbage !== undefined && good !== undefined);
    await copyFile(join(wsiDir, good), join(dir, good));
    await writeFile(join(dir, garbage), 'this is not a TIFF file\n');
    const out = join(work, 'broken-out');
    const r = await extract(out, ['--mpp', '0.25']);
    assert.equal(r.code, EXIT.ok, 'sanity: with every slide present the run is clean');
    await rm(out, { recursive: true, force: true });

    const res = await extract(out, ['--mpp', '0.25'], dir);
    assert.equal(res.code, EXIT.partial, res.stderr);
    const summary = JSON.parse(res.stdout) as { images: { slideFile: string }[]; failures: { roi: string; reason: string }[] };
    const key = (file: string): string => `${file.slice(0, 12)}-${/-(DX\d+)\./.exec(file)?.[1] ?? ''}`;
    const failedRois = new Set(summary.failures.map((f) => f.roi));
    assert.deepEqual(failedRois, new Set([key(missing), key(garbage)]));
    assert.match(summary.failures.find((f) => f.roi === key(missing))?.reason ?? '', /is not in/);
    assert.match(summary.failures.find((f) => f.roi === key(garbage))?.reason ?? '', /cannot be read/);
    assert.ok(summary.images.length > 0);
    for (const image of summary.images) assert.equal(image.slideFile, good);
    const v = fakeContext();
    assert.equal(await main(['node', 'bcss', 'verify', '--out', out, '--json'], v.ctx), EXIT.ok, v.stdout());
  });

  test('--wsi-dir is required and must exist', async () => {
    const f = fakeContext();
    assert.equal(await main(['node', 'bcss', 'extract', '--out', join(work, 'x')], f.ctx), EXIT.usage);
    const g = fakeContext();
    assert.equal(await main(['node', 'bcss', 'extract', '--wsi-dir', join(work, 'nope'), '--out', join(work, 'x')], g.ctx), EXIT.usage);
    assert.match(g.stderr(), /--wsi-dir .*nope cannot be read/);
  });
});
