/**
 * `bcss download --image-source dsa|wsi|auto` (issue 10 §2 and the §5 faults that concern it)
 * against `bcss serve --demo --scale 0.05` in-process: images rendered from local slides with the
 * DSA's names, sizes and channels; `auto`'s fall-back per ROI and its circuit breaker; slides that
 * are missing or not TIFFs; the lock, the summary and the run log saying which source made what.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { closedPort } from '../helpers/closed-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { downloadExitCode } from '../../src/cli/commands/download.js';
import { readPngHeader } from '../../src/image/png-header.js';
import { imageSourceOf, readLock, type LockEntry } from '../../src/pipeline/lock-file.js';
import { runDownload, type RunDownloadHooks } from '../../src/pipeline/run-download.js';
import { slideKeyOfItemName } from '../../src/pipeline/slide-match.js';
import type { DownloadOptions, DownloadSummary, PipelineEvent } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { wsiSlideNames } from '../../src/pipeline/wsi-artifacts.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { FaultOptions } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'E2-A14N', 'AR-A1AQ'];
const noWait = (): Promise<void> => Promise.resolve();
const hooks: RunDownloadHooks = { transferOverrides: { sleep: noWait, baseDelayMs: 0 } };

let work: string;
let dataset: ServedDataset;
let rois: RoiRecord[];
/** The demo's slide files, as the first test downloads them (OUT/wsis of its folder). */
let slidesDir = '';
/** Image file name → [width, height, PNG colour type] of the demo DSA's own renders. */
const dsaImages = new Map<string, [number, number, number]>();
const servers: RunningServer[] = [];
let n = 0;

async function serve(faults?: FaultOptions): Promise<RunningServer> {
  const s = await startServer({ dataset, port: 0, ...(faults === undefined ? {} : { faults }) });
  servers.push(s);
  return s;
}

function options(urls: { girder: string; figshare: string; gdc: string }, over: Partial<DownloadOptions> = {}): DownloadOptions {
  n += 1;
  return demoDownloadOptions(urls, rois, { outDir: join(work, `out-${n}`), components: ['images'], maxRetries: 2, ...over }, 2);
}

async function imageEntries(outDir: string): Promise<LockEntry[]> {
  const lock = (await readLock(outDir, { moveAside: false })).lock;
  return (lock?.artifacts ?? []).filter((a) => a.kind === 'images').sort((a, b) => a.path.localeCompare(b.path));
}

/** Width, height and colour type from each PNG's IHDR. */
async function pngShapes(dir: string): Promise<Map<string, [number, number, number]>> {
  const out = new Map<string, [number, number, number]>();
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.png'))) {
    const bytes = await readFile(join(dir, name));
    const h = readPngHeader(bytes);
    out.set(name, [h.width, h.height, bytes[25] as number]);
  }
  return out;
}

async function runLog(summary: DownloadSummary): Promise<string> {
  assert.ok(summary.logPath !== null);
  return readFile(summary.logPath, 'utf8');
}

function itemIdOf(roi: RoiRecord): string {
  const item = dataset.items.find((i) => slideKeyOfItemName(i.name) === roi.name);
  assert.ok(item, `demo item of ${roi.name}`);
  return item.id;
}

const regionRequests = (srv: RunningServer, itemId?: string): number =>
  srv.log.filter((e) => e.service === 'girder' && e.path.includes('/tiles/region') && (itemId === undefined || e.path.includes(itemId))).length;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-image-source-'));
  dataset = await loadDemoDataset({ scale: 0.05, slides: SLIDES, cacheDir: join(work, 'cache') });
  rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
  assert.equal(rois.length, SLIDES.length);
});

after(async () => {
  for (const s of servers) await s.close();
  await rm(work, { recursive: true, force: true });
});

describe('--image-source', () => {
  test('wsi after wsis in the same run: each image waits for its own slide only; DSA names, sizes and channels; masks sized from the slides; no DSA request', async () => {
    // A slow GDC (one slide at a time, ~0.3 s each) makes "its own slide, not the whole run" visible in the event order.
    const slideBytes = (await Promise.all(dataset.gdc.files.map(async (f) => (await f.ready?.(), f.size)))).reduce((a, b) => a + b, 0);
    const srv = await serve({ gdc: { bandwidthBytesPerSec: Math.max(64 * 1024, slideBytes / 1.2) } });
    const opts = options(srv.urls, { components: ['images', 'masks', 'wsis'], imageSource: 'wsi', gdcConcurrency: 1 });
    const events: PipelineEvent[] = [];
    const summary = await runDownload(opts, { ...hooks, onEvent: (e) => events.push(e) });
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(summary.components.images, { done: 4, skipped: 0, failed: 0 });
    assert.deepEqual(summary.components.masks, { done: 4, skipped: 0, failed: 0 });
    assert.deepEqual(summary.imageSources, { dsa: 0, wsi: 4, fallbacks: 0 });
    assert.equal(srv.log.filter((e) => e.service === 'girder').length, 0, 'no request of any kind to the DSA');
    const done = events.flatMap((e, i) => (e.type === 'artifact-done' ? [{ kind: e.kind, i }] : []));
    const firstImage = done.find((d) => d.kind === 'images')?.i ?? Infinity;
    const lastSlide = Math.max(...done.filter((d) => d.kind === 'wsis').map((d) => d.i));
    assert.ok(firstImage < lastSlide, 'an image was made before the last slide had arrived');

    const entries = await imageEntries(opts.outDir);
    assert.equal(entries.length, 4);
    for (const e of entries) {
      assert.equal(e.imageSource, 'wsi');
      assert.match(e.source.url ?? '', /^wsi:TCGA-.*\.svs$/);
    }
    assert.deepEqual((await runVerify({ outDir: opts.outDir })).issues, []);
    slidesDir = join(opts.outDir, 'wsis');
    assert.equal((await readdir(slidesDir)).filter((f) => f.endsWith('.svs')).length, 4);

    // The same ROIs from the DSA: the same file names, pixel sizes and PNG colour types.
    const viaDsa = options(srv.urls, { imageSource: 'dsa' });
    assert.deepEqual((await runDownload(viaDsa, hooks)).imageSources, { dsa: 4, wsi: 0, fallbacks: 0 });
    for (const [name, shape] of await pngShapes(join(viaDsa.outDir, 'images'))) dsaImages.set(name, shape);
    assert.equal(dsaImages.size, 4);
    assert.deepEqual(await pngShapes(join(opts.outDir, 'images')), dsaImages);
    const maskSizes = [...(await pngShapes(join(opts.outDir, 'masks')))].map(([name, [w, h]]) => [name, w, h]);
    assert.deepEqual(maskSizes, [...dsaImages].map(([name, [w, h]]) => [name, w, h]), 'each mask has its image\'s size');

    // A rerun skips verified images whatever made them and whatever --image-source says now.
    srv.resetLog();
    for (const imageSource of ['dsa', 'auto'] as const) {
      const again = await runDownload({ ...opts, imageSource }, hooks);
      assert.equal(again.requests, 0);
      assert.deepEqual(again.components.images, { done: 0, skipped: 4, failed: 0 });
    }
    assert.equal(srv.log.length, 0);
  });

  test('wsi --dry-run: sizes come from the local slide files, no DSA request; a slide not on disk leaves its ROI unsized', async () => {
    assert.ok(slidesDir !== '', 'needs the slides of the first test');
    const srv = await serve();
    const partial = join(work, 'partial-slides');
    await cp(slidesDir, partial, { recursive: true });
    const [absent] = rois;
    assert.ok(absent);
    const absentFile = (await readdir(partial)).find((f) => f.startsWith(absent.name.replace(/-DX.*$/, '')));
    assert.ok(absentFile, `slide file of ${absent.name}`);
    await rm(join(partial, absentFile));
    const opts = options(srv.urls, { components: ['images', 'masks'], imageSource: 'wsi', wsiDir: partial, dryRun: true });
    const summary = await runDownload(opts, hooks);
    assert.equal(srv.log.filter((e) => e.service === 'girder').length, 0, 'no request to the DSA');
    const images = (summary.plan ?? []).filter((p) => p.kind === 'images');
    assert.equal(images.length, 4);
    for (const p of images) {
      const name = p.path.split('/').pop() ?? '';
      if (name.startsWith(absent.name)) {
        assert.equal(p.width, undefined, 'the slide is not on disk, so the size is unknown');
        continue;
      }
      const shape = dsaImages.get(name);
      assert.ok(shape, `a DSA render named ${name}`);
      assert.deepEqual([p.width, p.height], [shape[0], shape[1]]);
    }
    await assert.rejects(stat(opts.outDir), 'a dry run writes nothing');
  });

  test('auto: an ROI whose region render keeps failing (503) comes from its slide; lock, summary and log say so', async () => {
    assert.ok(slidesDir !== '', 'needs the slides of the first test');
    const [bad] = rois;
    assert.ok(bad);
    const itemId = itemIdOf(bad);
    const srv = await serve({ girder: { error503: 1, pathIncludes: `${itemId}/tiles/region` } });
    const opts = options(srv.urls, { wsiDir: slidesDir });
    const summary = await runDownload(opts, hooks);
    assert.deepEqual(summary.failures, []);
    assert.equal(downloadExitCode(summary), 0);
    assert.deepEqual(summary.imageSources, { dsa: 3, wsi: 1, fallbacks: 1 });
    assert.equal(regionRequests(srv, itemId), opts.maxRetries + 1, 'the DSA had its retries first');
    const entries = await imageEntries(opts.outDir);
    const sources = Object.fromEntries(entries.map((e) => [e.source.params.roi, imageSourceOf(e)]));
    assert.deepEqual(sources, Object.fromEntries(rois.map((r) => [r.name, r === bad ? 'wsi' : 'dsa'])));
    assert.deepEqual(await pngShapes(join(opts.outDir, 'images')), dsaImages);
    const log = await runLog(summary);
    const lines = log.split('\n').filter((l) => l.includes('the DSA render failed after its retries'));
    assert.equal(lines.length, 1, log);
    assert.match(lines[0] ?? '', new RegExp(`${bad.name}.*503.*rendering it from the local slide`));
    assert.doesNotMatch(log, /the DSA looks down/, 'one failing ROI does not open the breaker');
  });

  test('auto with the DSA down for the whole run: every image from the slides, masks sized from them, exit 0; the breaker spares the other ROIs the retries', async () => {
    const srv = await serve(); // GDC and figshare only; the DSA URL is a closed port
    const opts = options({ ...srv.urls, girder: `http://127.0.0.1:${await closedPort()}/api/v1` }, { components: ['images', 'masks'], wsiDir: slidesDir, maxRetries: 3 });
    const events: PipelineEvent[] = [];
    const summary = await runDownload(opts, { ...hooks, onEvent: (e) => events.push(e) });
    assert.deepEqual(summary.failures, []);
    assert.equal(downloadExitCode(summary), 0);
    assert.deepEqual(summary.imageSources, { dsa: 0, wsi: 4, fallbacks: 4 });
    assert.deepEqual(summary.components.masks, { done: 4, skipped: 0, failed: 0 });
    // Without the breaker every ROI pays its render and its /tiles lookup, each (retries + 1)
    // times, plus the listing. With it: the listing, the early renders (one per render slot)
    // and the early /tiles lookups, then nothing.
    const log = await runLog(summary);
    const dsaRequests = log.split('\n').filter((l) => / debug (dsa|dsa-render) request #/.test(l)).length;
    const perRequest = opts.maxRetries + 1;
    const withoutBreaker = (1 + rois.length * 2) * perRequest;
    const early = 2; // the render lane's slots: those renders started before the listing failed
    assert.ok(dsaRequests > 0 && dsaRequests <= (1 + early * 2) * perRequest, `${dsaRequests} DSA requests (without the breaker: ≥ ${withoutBreaker})`);
    const warnings = events.filter((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('the DSA looks down'));
    assert.equal(warnings.length, 1, 'the breaker opening is said once');
    assert.match(log, /the DSA looks down \(the DSA folder listing failed after its retries: .*ECONNREFUSED/);
    for (const e of await imageEntries(opts.outDir)) assert.equal(e.imageSource, 'wsi');
    assert.deepEqual(await pngShapes(join(opts.outDir, 'images')), dsaImages);
  });

  test('wsi: a slide that is not a TIFF and a missing slide fail their own ROIs with what to do; the others are made; the bad file stays', async () => {
    const dir = join(work, 'damaged-slides');
    await cp(slidesDir, dir, { recursive: true });
    const names = wsiSlideNames(rois);
    const [damaged, missing] = names;
    assert.ok(damaged !== undefined && missing !== undefined);
    await writeFile(join(dir, damaged), 'this is not a TIFF file\n');
    await rm(join(dir, missing));
    const srv = await serve();
    const opts = options(srv.urls, { imageSource: 'wsi', wsiDir: dir });
    const summary = await runDownload(opts, hooks);
    assert.equal(downloadExitCode(summary), 1);
    assert.equal(summary.failures.length, 2);
    assert.deepEqual(summary.components.images, { done: 2, skipped: 0, failed: 2 });
    const reasons = summary.failures.map((f) => f.reason).join('\n');
    assert.match(reasons, new RegExp(`slide file ${join(dir, damaged).replace(/[.]/g, '\\.')} cannot be read as a tiled TIFF/SVS .*delete it and rerun with --components wsis`));
    assert.match(reasons, new RegExp(`slide file ${missing.replace(/[.]/g, '\\.')} is not in .*add --components wsis .*--wsi-dir`));
    assert.equal((await stat(join(dir, damaged))).size, 'this is not a TIFF file\n'.length, 'the bad file is left as it was');
    assert.equal(srv.log.filter((e) => e.service === 'girder').length, 0);
  });

  test('auto: a ROI whose DSA render fails and whose slide is not a TIFF is asked of the DSA once more, then fails naming both', async () => {
    const dir = join(work, 'damaged-slides-auto');
    await cp(slidesDir, dir, { recursive: true });
    const bad = rois.find((r) => wsiSlideNames([r])[0] === wsiSlideNames(rois)[0]);
    assert.ok(bad);
    await writeFile(join(dir, wsiSlideNames([bad])[0] as string), 'not a TIFF');
    const itemId = itemIdOf(bad);
    const srv = await serve({ girder: { error503: 1, pathIncludes: `${itemId}/tiles/region` } });
    const opts = options(srv.urls, { wsiDir: dir });
    const summary = await runDownload(opts, hooks);
    assert.equal(summary.failures.length, 1);
    assert.equal(downloadExitCode(summary), 1);
    const reason = summary.failures[0]?.reason ?? '';
    assert.match(reason, /cannot be read as a tiled TIFF\/SVS.*; and the DSA render failed again \(.*503/);
    assert.equal(regionRequests(srv, itemId), 2 * (opts.maxRetries + 1), 'the DSA once more, with its retries');
    assert.deepEqual(summary.imageSources, { dsa: 3, wsi: 0, fallbacks: 0 });
    assert.match(await runLog(summary), /the local slide cannot be used .*asking the DSA once more instead/);
  });

  test('slides never wait for the DSA: with its login failing (closed port), every slide is in before the login gives up', async () => {
    const srv = await serve();
    const opts = options(
      { ...srv.urls, girder: `http://127.0.0.1:${await closedPort()}/api/v1` },
      { components: ['wsis', 'annotations'], imageSource: 'dsa', credentials: { kind: 'api-key', apiKey: 'abc123' }, maxRetries: 3 },
    );
    const events: PipelineEvent[] = [];
    // Real (short) backoff: the login's last retry is scheduled ~1.2 s in, the slides take a few ms each.
    const slowLogin: RunDownloadHooks = { transferOverrides: { baseDelayMs: 600, maxDelayMs: 600, random: () => 0.99 }, onEvent: (e) => events.push(e) };
    await assert.rejects(runDownload(opts, slowLogin), (err: Error & { kind?: string }) => err.kind === 'network' && /ECONNREFUSED/.test(err.message));
    const slides = events.flatMap((e, i) => (e.type === 'artifact-done' && e.kind === 'wsis' ? [i] : []));
    assert.equal(slides.length, rois.length, 'every slide was fetched although the run ends with the DSA error');
    const loginRetries = events.flatMap((e, i) => (e.type === 'retry' && e.url.includes('/api_key/token') ? [i] : []));
    assert.equal(loginRetries.length, opts.maxRetries);
    assert.ok(Math.max(...slides) < Math.max(...loginRetries), 'the slides did not wait for the login');
    const lock = (await readLock(opts.outDir, { moveAside: false })).lock;
    assert.equal(lock?.artifacts.filter((a) => a.kind === 'wsis').length, rois.length);
  });

  test('auto with the DSA down and wsis in the same run, one worker: each image waits for its slide, which is queued first (no deadlock)', async () => {
    const srv = await serve();
    const two = rois.slice(0, 2);
    const opts = options({ ...srv.urls, girder: `http://127.0.0.1:${await closedPort()}/api/v1` }, { components: ['images', 'wsis'], rois: two, concurrency: 1, maxRetries: 1 });
    const summary = await runDownload(opts, hooks);
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(summary.components, { images: { done: 2, skipped: 0, failed: 0 }, wsis: { done: 2, skipped: 0, failed: 0 } });
    assert.deepEqual(summary.imageSources, { dsa: 0, wsi: 2, fallbacks: 2 });
    assert.deepEqual([...(await pngShapes(join(opts.outDir, 'images')))], [...dsaImages].filter(([name]) => two.some((r) => name.startsWith(r.name))));
  });
});
