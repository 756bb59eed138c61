import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { parseRoiTable } from '../../src/catalog/rois.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { roiFileName } from '../../src/geometry/naming.js';
import type { Resolution } from '../../src/geometry/types.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import { runExtract } from '../../src/pipeline/run-extract.js';
import { slideKeyOfItemName } from '../../src/pipeline/slide-match.js';
import { planRoi, renderPlanToFile } from '../../src/render/render-roi.js';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'AR-A1AQ'];

function resolution(flags: string[]): Resolution {
  if (flags[0] === '--mpp') return { kind: 'mpp', mpp: Number(flags[1]) };
  if (flags[0] === '--mag') return { kind: 'mag', magnification: Number(flags[1]) };
  return { kind: 'base' };
}

const RESOLUTIONS: Array<{ label: string; flags: string[] }> = [
  { label: 'mpp 0.25', flags: ['--mpp', '0.25'] },
  { label: 'mag 20', flags: ['--mag', '20'] },
  { label: 'base', flags: ['--base'] },
];

async function pngFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
}

/**
 * Mean and max absolute difference over the colour samples (R, G, B) of two PNGs of equal size.
 * Alpha is not a grey level: it is checked to be 255 everywhere instead of diluting the mean.
 */
async function difference(a: string | Buffer, b: string | Buffer): Promise<{ mean: number; max: number; channels: [number, number] }> {
  const [x, y] = await Promise.all([a, b].map((p) => sharp(p).raw().toBuffer({ resolveWithObject: true })));
  assert.ok(x !== undefined && y !== undefined);
  assert.deepEqual([x.info.width, x.info.height], [y.info.width, y.info.height], 'sizes differ');
  if (x.info.channels !== y.info.channels) return { mean: Infinity, max: Infinity, channels: [x.info.channels, y.info.channels] };
  const ch = x.info.channels;
  let sum = 0;
  let max = 0;
  for (let i = 0; i < x.data.length; i++) {
    if (i % ch === 3) {
      assert.equal(x.data[i], 255, 'alpha is 255');
      assert.equal(y.data[i], 255, 'alpha is 255');
      continue;
    }
    const d = Math.abs((x.data[i] as number) - (y.data[i] as number));
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / ((x.data.length / ch) * Math.min(ch, 3)), max, channels: [x.info.channels, y.info.channels] };
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
  let rois: RoiRecord[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-extract-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slides: SLIDES });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
    wsiDir = join(work, 'wsis');
    slideFiles = await fetchSlides(server, wsiDir);
    assert.equal(slideFiles.length, SLIDES.length);
    rois = parseRoiTable(await readFile(roiTable, 'utf8'), roiTable);
  });

  const itemOf = (roi: RoiRecord): ServedItem => {
    const item = dataset.items.find((i) => slideKeyOfItemName(i.name) === roi.name);
    assert.ok(item?.slide, `demo item of ${roi.name}`);
    return item;
  };
  /** The ROI rendered by the extract code from the demo DSA's own slide source (the file's tiles, decoded). */
  const renderFromDemoPixels = async (roi: RoiRecord, res: Resolution): Promise<Buffer> => {
    const slide = itemOf(roi).slide;
    assert.ok(slide);
    const source = await slide.open();
    const dest = join(work, `demo-pixels-${roi.name}.png`);
    try {
      await renderPlanToFile(source, slide.geometry, planRoi(slide.geometry, roi, res), dest);
      return await readFile(dest);
    } finally {
      await source.close();
      await rm(dest, { force: true });
    }
  };
  /** At base nothing is resampled: the image is the slide file's stored base pixels, exactly. */
  const assertExactCopyOfFile = async (roi: RoiRecord, png: string): Promise<void> => {
    const file = slideFiles.find((f) => slideKeyOfItemName(f) === roi.name);
    assert.ok(file !== undefined);
    const stored = await sharp(join(wsiDir, file), { page: 0, limitInputPixels: false })
      .extract({ left: roi.xmin, top: roi.ymin, width: roi.xmax - roi.xmin, height: roi.ymax - roi.ymin })
      .raw()
      .toBuffer();
    assert.ok(stored.equals(await sharp(png).raw().toBuffer()), `${png} is the file's base pixels`);
  };
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
    test(`${label}: same names, sizes, channels and pixels as the DSA's renders; rerun skips; verify is clean`, async () => {
      const dsaOut = join(work, `dsa-${label}`);
      const wsiOut = join(work, `wsi-${label}`);
      await download(dsaOut, flags);
      const first = await extract(wsiOut, flags);
      assert.equal(first.code, EXIT.ok, first.stderr + first.stdout);

      const names = await pngFiles(join(dsaOut, 'images'));
      assert.ok(names.length >= SLIDES.length, `the demo has at least one ROI per slide (${names.length})`);
      assert.deepEqual(await pngFiles(join(wsiOut, 'images')), names);
      const worst = { file: 0, fileMax: 0, code: 0, codeMax: 0 };
      for (const roi of rois) {
        const name = roiFileName(roi.name, roi.xmin, roi.ymin, resolution(flags));
        const dsaPng = join(dsaOut, 'images', name);
        const d = await difference(dsaPng, join(wsiOut, 'images', name));
        assert.equal(d.channels[0], d.channels[1], `${name}: channels ${d.channels.join(' vs ')}`);
        assert.equal(d.channels[0], label === 'base' ? 3 : 4, `${name}: RGB at base, RGBA when resampled`);
        // The demo DSA renders from the served file's stored tiles, and both roads resample the same
        // way (Pillow's resize, whole or in strips alike): the images are the same, sample for sample.
        const code = await difference(dsaPng, await renderFromDemoPixels(roi, resolution(flags)));
        assert.equal(code.max, 0, `${name}: mean difference ${code.mean} with the DSA's own slide source`);
        assert.equal(d.max, 0, `${name}: mean difference ${d.mean} from the slide file`);
        worst.file = Math.max(worst.file, d.mean);
        worst.fileMax = Math.max(worst.fileMax, d.max);
        worst.code = Math.max(worst.code, code.mean);
        worst.codeMax = Math.max(worst.codeMax, code.max);
        if (label === 'base') await assertExactCopyOfFile(roi, join(wsiOut, 'images', name));
      }
      // The figures docs/local-render.md quotes.
      console.log(
        `# extract vs DSA at ${label} (${names.length} images, RGB): from the slide files worst mean ${worst.file.toFixed(3)} max ${worst.fileMax}; ` +
          `from the DSA's own pixels worst mean ${worst.code.toFixed(3)} max ${worst.codeMax}`,
      );

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

  test('Ctrl-C after the first image: the run stops, no temp file or partial image is left, and what was done verifies', async () => {
    const out = join(work, 'interrupted');
    const controller = new AbortController();
    const run = runExtract({
      outDir: out,
      wsiDir,
      rois,
      resolution: { kind: 'mpp', mpp: 0.25 },
      signal: controller.signal,
      onImage: () => controller.abort(),
    });
    await assert.rejects(run, (err: Error) => err.name === 'AbortError');
    const left = await readdir(join(out, 'images'));
    assert.equal(left.length, 1, `one image and nothing else: ${left.join(', ')}`);
    const v = fakeContext();
    assert.equal(await main(['node', 'bcss', 'verify', '--out', out, '--json'], v.ctx), EXIT.ok, v.stdout());
    const f = fakeContext({}, { signal: AbortSignal.abort() });
    assert.equal(await main(['node', 'bcss', 'extract', '--wsi-dir', wsiDir, '--out', out, '--rois', roiTable], f.ctx), EXIT.interrupted);
  });

  test('one ROI at a time and several at once (worker threads) write the same files, in the same order', async () => {
    const runs = [];
    for (const concurrency of [1, 3]) {
      const out = join(work, `concurrency-${concurrency}`);
      const summary = await runExtract({ outDir: out, wsiDir, rois, resolution: { kind: 'mpp', mpp: 0.25 }, concurrency });
      assert.equal(summary.failures.length, 0);
      const lock = await readLock(out, { moveAside: false });
      const files = (lock.lock?.artifacts ?? []).filter((e) => e.kind === 'images').map((e) => `${e.path} ${e.bytes} ${e.sha256}`).sort();
      assert.equal(files.length, rois.length);
      runs.push({ order: summary.images.map((i) => i.roi), files });
    }
    assert.deepEqual(runs[1], runs[0]);
  });

  test('--wsi-dir is required and must exist', async () => {
    const f = fakeContext();
    assert.equal(await main(['node', 'bcss', 'extract', '--out', join(work, 'x')], f.ctx), EXIT.usage);
    const g = fakeContext();
    assert.equal(await main(['node', 'bcss', 'extract', '--wsi-dir', join(work, 'nope'), '--out', join(work, 'x')], g.ctx), EXIT.usage);
    assert.match(g.stderr(), /--wsi-dir .*nope cannot be read/);
  });
});
