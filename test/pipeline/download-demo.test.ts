/**
 * End-to-end: runDownload and runVerify against `bcss serve` over the demo dataset (scale 0.05,
 * a few slides including a 20× one), on 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinSlides, findSlideForRoi, parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { AuthError, BusyError, DiskError } from '../../src/errors.js';
import { acquireLease } from '../../src/storage/run-lease.js';
import { readPngHeader } from '../../src/image/png-header.js';
import { predictOutputSize } from '../../src/geometry/region-size.js';
import type { Resolution } from '../../src/geometry/types.js';
import { LOCK_FILE_NAME, readLock } from '../../src/pipeline/lock-file.js';
import { decodeGreyPng } from '../../src/image/label-png.js';
import { runDownload, type RunDownloadHooks } from '../../src/pipeline/run-download.js';
import type { DownloadOptions, PipelineEvent } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import {
  assertEachRegionRenderedOnce,
  assertFolderListedOnce,
  assertRenderGivenUpAfterItsBudget,
  assertSlideMetadataOncePerSlide,
} from '../helpers/request-log.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'A8-A07C', 'AR-A0TU', 'E2-A14N'];
const API_KEY = 'Zq7' + 'x'.repeat(34) + 'K3y';
const noWait = (): Promise<void> => Promise.resolve();

let work: string;
let dataset: ServedDataset;
let server: RunningServer;
let rois: RoiRecord[];
let outCount = 0;

async function freshOut(): Promise<string> {
  outCount += 1;
  return join(work, `out-${outCount}`);
}

function options(srv: RunningServer, over: Partial<DownloadOptions> = {}): DownloadOptions {
  const lane = { concurrency: 4, minIntervalMs: 0 };
  return demoDownloadOptions(srv.urls, rois, { lanes: { dsa: lane, 'dsa-render': lane, figshare: { concurrency: 2, minIntervalMs: 0 }, gdc: lane }, maxRetries: 8, ...over });
}

const hooks: RunDownloadHooks = { transferOverrides: { sleep: noWait, baseDelayMs: 0 } };

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

function expectedSize(roi: RoiRecord, res: Resolution): { width: number; height: number } {
  const slide = findSlideForRoi(roi, builtinSlides());
  const item = dataset.items.find((i) => i.id === slide?.dsaItemId);
  assert.ok(item?.slide, `demo item for ${roi.name}`);
  return predictOutputSize(item.slide.geometry, { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax }, res);
}

async function lockHashes(outDir: string, kinds: string[]): Promise<Record<string, string>> {
  const lock = (await readLock(outDir, { moveAside: false })).lock;
  assert.ok(lock);
  return Object.fromEntries(lock.artifacts.filter((a) => kinds.includes(a.kind)).map((a) => [a.id, a.sha256]));
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-pipeline-'));
  dataset = await loadDemoDataset({ scale: 0.05, slides: SLIDES, cacheDir: demoCacheDir(join(work, 'cache')) });
  server = await startServer({ dataset, port: 0 });
  rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
  assert.equal(rois.length, SLIDES.length);
});

after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe('bcss download against the demo server', () => {
  test('default pipeline: exact names and sizes, grey masks on the image grid, lock + verify, zero-request rerun, hand edit re-fetched', async () => {
    const outDir = await freshOut();
    const opts = options(server, { outDir });
    server.resetLog();
    const summary = await runDownload(opts, hooks);
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(summary.components, { images: { done: 5, skipped: 0, failed: 0 }, masks: { done: 5, skipped: 0, failed: 0 } });
    assertFolderListedOnce(server.log);
    assertSlideMetadataOncePerSlide(server.log, 5);
    // The first ones early (before the listing was in) included.
    assertEachRegionRenderedOnce(server.log, 5);
    assert.ok(summary.requests > 0);
    for (const roi of rois) {
      const name = `${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_MPP-0.2500.png`;
      const img = readPngHeader(await readFile(join(outDir, 'images', name)));
      const want = expectedSize(roi, opts.resolution);
      assert.deepEqual({ width: img.width, height: img.height }, want, `${name} has the predicted size`);
      const mask = await decodeGreyPng(await readFile(join(outDir, 'masks', name)));
      assert.deepEqual({ width: mask.width, height: mask.height }, want, `${name} mask on the image grid`);
      assert.ok(mask.data.every((v) => v <= 21), 'mask values are class codes');
    }
    assert.ok(summary.logPath !== null && (await stat(summary.logPath)).size > 0);
    for (const meta of ['classes.json', 'gtruth_codes.tsv', 'roiBounds.csv', 'slide_magnifications.csv', 'splits.csv', 'README.md']) {
      assert.ok((await stat(join(outDir, 'meta', meta))).size > 0, meta);
    }
    assert.deepEqual((await runVerify({ outDir })).issues, []);

    // Rerun: nothing to do, not a single request reaches the server.
    server.resetLog();
    const again = await runDownload(opts, hooks);
    assert.equal(again.requests, 0);
    assert.equal(server.log.length, 0);
    assert.deepEqual(again.components, { images: { done: 0, skipped: 5, failed: 0 }, masks: { done: 0, skipped: 5, failed: 0 } });

    // A hand-edited image: verify reports it, the next run fetches exactly that file again.
    const victim = join(outDir, 'images', `${rois[1]!.name}_xmin${rois[1]!.xmin}_ymin${rois[1]!.ymin}_MPP-0.2500.png`);
    const original = await readFile(victim);
    const edited = Buffer.from(original);
    edited[edited.length - 20] = (edited[edited.length - 20]! + 1) % 256;
    await writeFile(victim, edited);
    const report = await runVerify({ outDir });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.issues.map((i) => [i.path, i.problem]),
      [[relative(outDir, victim), 'changed']],
    );
    server.resetLog();
    const repaired = await runDownload(opts, hooks);
    assert.deepEqual(repaired.components.images, { done: 1, skipped: 4, failed: 0 });
    assert.ok(server.log.every((e) => e.service === 'girder'), 'only the DSA was asked');
    assertEachRegionRenderedOnce(server.log, 1);
    // Its slide's metadata, looked up early (during the listing), was the only other lookup.
    assertSlideMetadataOncePerSlide(server.log, 1);
    assert.deepEqual(await readFile(victim), original);
    assert.equal((await runVerify({ outDir })).ok, true);
  });

  test('each component alone', async () => {
    const byComponent: Record<string, string[]> = {};
    for (const component of ['images', 'masks', 'annotations', 'wsi-scripts'] as const) {
      const outDir = await freshOut();
      const summary = await runDownload(options(server, { outDir, components: [component] }), hooks);
      assert.deepEqual(summary.failures, [], component);
      byComponent[component] = (await filesUnder(outDir)).filter((f) => !f.startsWith('logs/') && !f.startsWith('meta/') && f !== LOCK_FILE_NAME);
      assert.equal((await runVerify({ outDir })).ok, true, component);
    }
    assert.equal(byComponent.images!.length, 5);
    assert.ok(byComponent.images!.every((f) => f.startsWith('images/')));
    // Masks without images still come at 0.25 µm/px, on the predicted grid.
    assert.equal(byComponent.masks!.length, 5);
    const outMasks = join(work, `out-${outCount - 2}`);
    for (const roi of rois) {
      const h = readPngHeader(await readFile(join(outMasks, 'masks', `${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_MPP-0.2500.png`)));
      assert.deepEqual({ width: h.width, height: h.height }, expectedSize(roi, { kind: 'mpp', mpp: 0.25 }));
      assert.equal(h.colorType, 0);
    }
    assert.deepEqual(
      byComponent.annotations,
      rois.map((r) => `annotations/${findSlideForRoi(r, builtinSlides())!.fileName.replace(/\.svs$/, '.json')}`).sort(),
    );
    const outAnn = join(work, `out-${outCount - 1}`);
    for (const f of byComponent.annotations!) assert.ok(Array.isArray(JSON.parse(await readFile(join(outAnn, f), 'utf8'))));
    assert.deepEqual(byComponent['wsi-scripts'], ['wsis/download_wsis.bat', 'wsis/download_wsis.sh', 'wsis/download_wsis_gdc.sh', 'wsis/gdc_manifest.txt']);
    const manifest = await readFile(join(work, `out-${outCount}`, 'wsis', 'gdc_manifest.txt'), 'utf8');
    assert.equal(manifest.trim().split('\n').length, 1 + 5);
  });

  for (const [label, res, suffix] of [
    ['--mag 20', { kind: 'mag', magnification: 20 }, 'MAG-20.00'],
    ['--base', { kind: 'base' }, 'MAG-0'],
  ] as const) {
    test(`${label}: names end ${suffix}, images have the predicted size and masks match`, async () => {
      const outDir = await freshOut();
      const summary = await runDownload(options(server, { outDir, resolution: res }), hooks);
      assert.deepEqual(summary.failures, []);
      for (const roi of rois) {
        const name = `${roi.name}_xmin${roi.xmin}_ymin${roi.ymin}_${suffix}.png`;
        const img = readPngHeader(await readFile(join(outDir, 'images', name)));
        const want = expectedSize(roi, res);
        if (res.kind === 'base') assert.deepEqual(want, { width: roi.xmax - roi.xmin, height: roi.ymax - roi.ymin });
        assert.deepEqual({ width: img.width, height: img.height }, want);
        const mask = readPngHeader(await readFile(join(outDir, 'masks', name)));
        assert.deepEqual({ width: mask.width, height: mask.height }, want);
      }
      assert.equal((await runVerify({ outDir })).ok, true);
    });
  }

  test('JPEG renders are saved as .jpg with the predicted size', async () => {
    const outDir = await freshOut();
    const summary = await runDownload(options(server, { outDir, components: ['images'], encoding: 'jpeg' }), hooks);
    assert.deepEqual(summary.failures, []);
    const files = await readdir(join(outDir, 'images'));
    assert.equal(files.filter((f) => f.endsWith('_MPP-0.2500.jpg')).length, 5);
    assert.ok(server.log.some((e) => e.path.includes('encoding=JPEG')));
  });

  test('a per-ROI failure is reported and the rest completes; a corrupt lock is moved aside', async () => {
    const outDir = await freshOut();
    const broken = rois.map((r, i) => (i === 2 ? { ...r, maskFileId: 99999999 } : r));
    const summary = await runDownload(options(server, { outDir, rois: broken }), hooks);
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0]!.item, new RegExp(`^masks/${rois[2]!.name}_`));
    assert.match(summary.failures[0]!.reason, /has no file 99999999/);
    assert.deepEqual(summary.components.masks, { done: 4, skipped: 0, failed: 1 });
    assert.deepEqual(summary.components.images, { done: 5, skipped: 0, failed: 0 });

    await writeFile(join(outDir, LOCK_FILE_NAME), '{"version": 1, "artif');
    const events: PipelineEvent[] = [];
    const again = await runDownload(options(server, { outDir }), { ...hooks, onEvent: (e) => events.push(e) });
    assert.deepEqual(again.failures, []);
    assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /moved it to/.test(e.message)));
    assert.equal((await readdir(outDir)).filter((f) => f.startsWith(`${LOCK_FILE_NAME}.corrupt-`)).length, 1);
    assert.equal((await runVerify({ outDir })).ok, true);
  });

  test('a hand-damaged lock entry costs only that artifact: verify reports the lock, the rerun fetches one file', async () => {
    const outDir = await freshOut();
    assert.deepEqual((await runDownload(options(server, { outDir }), hooks)).failures, []);
    const lockPath = join(outDir, LOCK_FILE_NAME);
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { artifacts: Array<{ id: string; sha256: string }> };
    const victim = lock.artifacts.find((a) => a.id.startsWith('masks/'))!;
    victim.sha256 = 'edited by hand';
    await writeFile(lockPath, JSON.stringify(lock));
    const report = await runVerify({ outDir });
    assert.deepEqual(
      report.issues.map((i) => [i.path, i.problem]),
      [
        [LOCK_FILE_NAME, 'unreadable'],
        [victim.id, 'extra'],
        // Its entry was dropped, so the artifact counts as planned but not fetched.
        [victim.id, 'incomplete'],
      ],
    );
    server.resetLog();
    const again = await runDownload(options(server, { outDir }), hooks);
    assert.deepEqual(again.components, { images: { done: 0, skipped: 5, failed: 0 }, masks: { done: 1, skipped: 4, failed: 0 } });
    assert.ok(server.log.every((e) => !e.path.includes('/tiles/region')), 'no image is rendered again');
    assert.equal((await runVerify({ outDir })).ok, true);
  });

  test('dry run: the plan with predicted sizes and bytes, and nothing written', async () => {
    const outDir = join(await freshOut(), 'not-yet');
    const events: PipelineEvent[] = [];
    const summary = await runDownload(options(server, { outDir, dryRun: true }), { ...hooks, onEvent: (e) => events.push(e) });
    assert.equal(summary.dryRun, true);
    assert.equal(summary.plan?.length, 10);
    for (const p of summary.plan ?? []) {
      const roi = rois.find((r) => p.path.includes(r.name))!;
      assert.deepEqual({ width: p.width, height: p.height }, expectedSize(roi, { kind: 'mpp', mpp: 0.25 }));
      assert.ok((p.estimatedBytes ?? 0) > 0);
    }
    assert.ok((summary.estimatedBytes ?? 0) > 0 && (summary.freeBytes ?? 0) > 0);
    assert.ok(events.some((e) => e.type === 'plan' && e.toFetch === 10));
    await assert.rejects(stat(outDir), { code: 'ENOENT' });
  });
});

describe('bcss download: private data and faults', () => {
  test('private data on every service: no key → AuthError; with the key (and it as the figshare/GDC token) it works and it is in no file', async () => {
    const priv = await startServer({ dataset, port: 0, apiKey: API_KEY, figshareToken: API_KEY, gdcToken: API_KEY });
    try {
      const denied = await freshOut();
      await assert.rejects(runDownload(options(priv, { outDir: denied }), hooks), AuthError);
      await assert.rejects(stat(join(denied, 'bcss.lease')), { code: 'ENOENT' }, 'the lease is released');

      const outDir = await freshOut();
      const events: PipelineEvent[] = [];
      const summary = await runDownload(
        options(priv, {
          outDir,
          components: ['images', 'masks', 'annotations', 'wsi-scripts'],
          credentials: { kind: 'api-key', apiKey: API_KEY },
          figshareToken: API_KEY,
          gdcToken: API_KEY,
          masksVia: 'zip',
        }),
        { ...hooks, onEvent: (e) => events.push(e) },
      );
      assert.deepEqual(summary.failures, []);
      assert.ok(priv.log.some((e) => e.path.startsWith('/api/v1/api_key/token') && !e.path.includes(API_KEY)));
      // The token opened figshare's polite route too: listing, article record, one ZIP.
      assert.ok(priv.log.some((e) => e.path.includes('/ndownloader/articles/') && e.status === 302), 'masks came through the article ZIP');
      for (const f of await filesUnder(outDir)) {
        const text = await readFile(join(outDir, f), 'latin1');
        assert.ok(!text.includes(API_KEY), `${f} does not contain the key`);
      }
      assert.ok(!JSON.stringify(events).includes(API_KEY));
      assert.ok(!JSON.stringify(summary).includes(API_KEY));
    } finally {
      await priv.close();
    }
  });

  test('≥10% faults (5xx, 429 + Retry-After, resets, truncation, HTML): completes with the same hashes as a clean run', async () => {
    const kinds = ['images', 'masks', 'annotations', 'meta'];
    const components = ['images', 'masks', 'annotations'] as const;
    const clean = await freshOut();
    assert.deepEqual((await runDownload(options(server, { outDir: clean, components: [...components] }), hooks)).failures, []);

    const faulty = await startServer({
      dataset,
      port: 0,
      faults: {
        seed: 11,
        girder: { error502: 0.04, error503: 0.02, rateLimit429: 0.04, resetMidBody: 0.03, truncateBody: 0.03, htmlPage200: 0.03, badAnnotationJson: 0.05, retryAfterSeconds: 2 },
        figshare: { error500: 0.04, rateLimit429: 0.04, truncateBody: 0.04, htmlPage200: 0.04, resetMidBody: 0.04 },
      },
    });
    try {
      const outDir = await freshOut();
      const retries: PipelineEvent[] = [];
      const summary = await runDownload(options(faulty, { outDir, components: [...components], maxRetries: 12 }), {
        ...hooks,
        onEvent: (e) => {
          if (e.type === 'retry') retries.push(e);
        },
      });
      assert.deepEqual(summary.failures, []);
      const counters = faulty.counters();
      const injected = Object.entries(counters)
        .filter(([k]) => /^fault\./.test(k))
        .reduce((s, [, v]) => s + v, 0);
      assert.ok(injected / (counters.requests ?? 1) >= 0.1, `fault rate ${injected}/${counters.requests}`);
      assert.ok(summary.retries > 0 && retries.length === summary.retries);
      assert.deepEqual(await lockHashes(outDir, kinds), await lockHashes(clean, kinds));
      assert.equal((await runVerify({ outDir })).ok, true);
    } finally {
      await faulty.close();
    }
  });

  test('a region the DSA answers with 0 bytes ("nothing rendered", docs/protocols.md#tiles-region) fails that item after 3 tries with an explanation', async () => {
    const empty = await startServer({ dataset, port: 0, faults: { girder: { emptyBody200: 1, pathIncludes: '/tiles/region' } } });
    try {
      const outDir = await freshOut();
      const one = rois.slice(0, 1);
      const summary = await runDownload(options(empty, { outDir, rois: one, components: ['images', 'masks'] }), hooks);
      assert.equal(summary.failures.length, 1);
      assert.match(summary.failures[0]!.item, /^images\//);
      assert.match(summary.failures[0]!.reason, /rendered nothing for this region.*check this ROI's bounds/);
      assertRenderGivenUpAfterItsBudget(empty.log);
      assert.deepEqual(summary.components.masks, { done: 1, skipped: 0, failed: 0 }, 'the mask is not affected');
    } finally {
      await empty.close();
    }
  });
});

describe('bcss download: renders started before the listing', () => {
  test('when the listing names other items than the catalog, early renders are not kept: the right items are rendered and stored', async () => {
    // Two slides swap item ids: the catalog's id of each now serves the other slide.
    const [a, b] = rois.map((r) => findSlideForRoi(r, builtinSlides())!.dsaItemId);
    const swapped = { ...dataset, items: dataset.items.map((i) => (i.id === a ? { ...i, id: b! } : i.id === b ? { ...i, id: a! } : i)) };
    const other = await startServer({ dataset: swapped, port: 0 });
    try {
      const two = rois.slice(0, 2);
      const reference = await freshOut();
      assert.deepEqual((await runDownload(options(server, { outDir: reference, rois: two, components: ['images'] }), hooks)).failures, []);
      const outDir = await freshOut();
      const summary = await runDownload(options(other, { outDir, rois: two, components: ['images'] }), hooks);
      assert.deepEqual(summary.failures, []);
      // Stored: the same bytes as from the normal server, i.e. the ROIs' own slides.
      assert.deepEqual(await lockHashes(outDir, ['images']), await lockHashes(reference, ['images']));
      // Early on the catalog's ids (a region outside the wrong slide is an empty answer, tried
      // again as such), then once more on the ids the listing gave.
      const renders = other.log.filter((e) => e.path.includes('/tiles/region') && e.status === 200).map((e) => e.path.split('/')[4]);
      assert.deepEqual([...new Set(renders)].sort(), [a, b].sort());
      assert.ok(renders.filter((id) => id === a).length >= 2 && renders.filter((id) => id === b).length >= 2, renders.join(' '));
      assert.equal((await runVerify({ outDir })).ok, true);
    } finally {
      await other.close();
    }
  });

  test('a render that fails on the item the listing confirms is not tried twice as often', async () => {
    const empty = await startServer({ dataset, port: 0, faults: { girder: { emptyBody200: 1, pathIncludes: '/tiles/region' } } });
    try {
      const summary = await runDownload(options(empty, { outDir: await freshOut(), rois: rois.slice(0, 1), components: ['images'] }), hooks);
      assert.equal(summary.failures.length, 1);
      assertRenderGivenUpAfterItsBudget(empty.log);
    } finally {
      await empty.close();
    }
  });
});

describe('bcss download: run control', () => {
  test('an interrupted run keeps what finished, leaves no temp file, and the rerun fetches only the rest', async () => {
    const outDir = await freshOut();
    const controller = new AbortController();
    let done = 0;
    const cut = await runDownload(options(server, { outDir, concurrency: 1 }), {
      ...hooks,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'artifact-done' && ++done === 3) controller.abort(new Error('stop'));
      },
    });
    const counted = Object.values(cut.components).reduce((n, c) => n + (c.done ?? 0), 0);
    assert.equal(counted, 3, 'the summary says what finished');
    assert.ok((cut.components.images?.planned ?? 0) + (cut.components.masks?.planned ?? 0) > 0, 'the rest is reported as not started');
    await assert.rejects(stat(join(outDir, 'bcss.lease')), { code: 'ENOENT' });
    const files = await filesUnder(outDir);
    assert.ok(!files.some((f) => f.endsWith('.part')), 'no temp file under the output folder');
    const locked = Object.keys(await lockHashes(outDir, ['images', 'masks']));
    assert.ok(locked.length >= 3 && locked.length < 10, `${locked.length} artifacts locked before the interruption`);
    const resumed = await runDownload(options(server, { outDir }), hooks);
    const fetched = (resumed.components.images?.done ?? 0) + (resumed.components.masks?.done ?? 0);
    const skipped = (resumed.components.images?.skipped ?? 0) + (resumed.components.masks?.skipped ?? 0);
    assert.equal(skipped, locked.length);
    assert.equal(fetched, 10 - locked.length);
    assert.equal((await runVerify({ outDir })).ok, true);
  });

  test('a run whose lease another run took over stops with a BusyError and leaves that lease alone', async () => {
    // Slow answers keep the run going long enough for its (20 ms) heartbeat to notice.
    const slow = await startServer({ dataset, port: 0, faults: { girder: { latencyMs: 100 }, figshare: { latencyMs: 100 } } });
    try {
      const outDir = await freshOut();
      const usurper = { pid: 4242, host: 'other-node', startedAt: new Date().toISOString(), heartbeatAt: new Date().toISOString(), id: 'usurper' };
      const err = await runDownload(options(slow, { outDir, concurrency: 1 }), {
        ...hooks,
        lease: { heartbeatMs: 20, staleMs: 60_000 },
        onEvent: (e) => {
          // What a second run does when it judges this one's lease stale (e.g. after a Ctrl-Z).
          // Repeated, because a heartbeat already past its ownership check may overwrite it once.
          if (e.type === 'artifact-done') void writeFile(join(outDir, 'bcss.lease'), JSON.stringify(usurper));
        },
      }).then(
        () => assert.fail('the run must notice that it lost the folder'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BusyError, String(err));
      assert.match(err.message, /took over the output folder/);
      assert.equal(JSON.parse(await readFile(join(outDir, 'bcss.lease'), 'utf8')).id, 'usurper', "the other run's lease is kept");
      const locked = Object.keys(await lockHashes(outDir, ['images', 'masks']));
      assert.ok(locked.length < 10, `the run stopped early (${locked.length} of 10 artifacts)`);
    } finally {
      await slow.close();
    }
  });

  test('--fail-fast stops scheduling after the first failure', async () => {
    const outDir = await freshOut();
    const broken = rois.map((r, i) => (i === 0 ? { ...r, maskFileId: 99999999 } : r));
    const summary = await runDownload(options(server, { outDir, rois: broken, components: ['masks'], concurrency: 1, failFast: true }), hooks);
    assert.equal(summary.failures.length, 1);
    assert.deepEqual(summary.components.masks, { done: 0, skipped: 0, failed: 1, planned: 4 });
  });

  test('an unwritable output folder is a DiskError; a folder in use is a BusyError; neither sends a request', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'x');
    server.resetLog();
    await assert.rejects(runDownload(options(server, { outDir: join(file, 'out') }), hooks), DiskError);
    const busyDir = await freshOut();
    const lease = await acquireLease(busyDir);
    try {
      await assert.rejects(runDownload(options(server, { outDir: busyDir }), hooks), BusyError);
    } finally {
      await lease.release();
    }
    assert.equal(server.log.length, 0);
  });

  test('a failed DSA listing falls back to the catalog item ids with a warning', async () => {
    const flaky = await startServer({ dataset, port: 0, faults: { girder: { error500: 1, requests: [1] } } });
    try {
      const outDir = await freshOut();
      const events: PipelineEvent[] = [];
      const summary = await runDownload(options(flaky, { outDir, components: ['annotations'], maxRetries: 0 }), {
        ...hooks,
        onEvent: (e) => events.push(e),
      });
      assert.deepEqual(summary.failures, []);
      assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /built-in catalog/.test(e.message)));
      assert.equal(flaky.log[0]?.status, 500);
    } finally {
      await flaky.close();
    }
  });

  test('an unreachable GDC is a warning: the DSA scripts are written, the manifest is skipped, nothing fails', async () => {
    const noGdc = await startServer({ dataset, port: 0, faults: { gdc: { error500: 1 } } });
    try {
      const outDir = await freshOut();
      const events: PipelineEvent[] = [];
      const summary = await runDownload(options(noGdc, { outDir, components: ['wsi-scripts'], maxRetries: 0 }), {
        ...hooks,
        onEvent: (e) => events.push(e),
      });
      assert.deepEqual(summary.failures, []);
      assert.deepEqual(summary.components['wsi-scripts'], { done: 3, skipped: 1, failed: 0 });
      assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /GDC lookup failed/.test(e.message)));
      await assert.rejects(stat(join(outDir, 'wsis', 'gdc_manifest.txt')), { code: 'ENOENT' });
    } finally {
      await noGdc.close();
    }
  });
});
