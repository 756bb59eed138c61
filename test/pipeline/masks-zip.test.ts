/**
 * Masks through figshare's article ZIP (issue #11), end to end against `bcss serve` over the demo
 * dataset: the route choice, the request count, byte-identical masks, faults in the archive, the
 * 202 challenge and a damaged member falling back to per-file requests.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import { runDownload, type RunDownloadHooks } from '../../src/pipeline/run-download.js';
import { chooseMasksRoute, ASSUMED_ZIP_BYTES_PER_SEC } from '../../src/pipeline/steps/masks-zip.js';
import type { DownloadOptions, PipelineEvent } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { articleZipUrl } from '../../src/remote/figshare-zip.js';
import type { FigshareFile, ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { FaultOptions } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'A8-A07C', 'AR-A0TU', 'E2-A14N'];
const noWait = (): Promise<void> => Promise.resolve();

let work: string;
let dataset: ServedDataset;
let rois: RoiRecord[];
let runs = 0;

function options(srv: RunningServer, over: Partial<DownloadOptions> = {}): DownloadOptions {
  runs += 1;
  return demoDownloadOptions(srv.urls, rois, { outDir: join(work, `out-${runs}`), components: ['masks'], concurrency: 8, masksVia: 'zip', ...over });
}

function collect(): { hooks: RunDownloadHooks; events: PipelineEvent[] } {
  const events: PipelineEvent[] = [];
  return { events, hooks: { transferOverrides: { sleep: noWait, baseDelayMs: 0 }, onEvent: (e) => events.push(e) } };
}

/** figshare requests by route, from the server's log. */
function figshareRoutes(srv: RunningServer): { listing: number; record: number; zip: number; zipBlob: number; files: number; fileBlobs: number; figshareHosts: number } {
  const paths = srv.log.filter((e) => e.service === 'figshare').map((e) => e.path);
  const count = (re: RegExp): number => paths.filter((p) => re.test(p)).length;
  const zip = count(/\/ndownloader\/articles\//);
  const files = count(/\/ndownloader\/files\//);
  const listing = count(/\/v2\/articles\/\d+\/files/);
  const record = count(/\/v2\/articles\/\d+($|\?)/);
  return { listing, record, zip, zipBlob: count(/\/blob\/article-/), files, fileBlobs: count(/\/blob\/\d+/), figshareHosts: listing + record + zip + files };
}

async function maskHashes(outDir: string): Promise<Record<string, string>> {
  const lock = (await readLock(outDir, { moveAside: false })).lock;
  assert.ok(lock);
  return Object.fromEntries(lock.artifacts.filter((a) => a.kind === 'masks').map((a) => [a.id, a.sha256]));
}

async function noArchiveLeft(outDir: string): Promise<void> {
  const names = await readdir(outDir);
  assert.deepEqual(names.filter((n) => n.includes('.zip')), [], 'the archive is deleted after use');
}

async function withServer<T>(faults: FaultOptions | undefined, data: ServedDataset, fn: (srv: RunningServer) => Promise<T>): Promise<T> {
  const srv = await startServer({ dataset: data, port: 0, ...(faults ? { faults } : {}) });
  try {
    return await fn(srv);
  } finally {
    await srv.close();
  }
}

let reference: Record<string, string>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-masks-zip-'));
  dataset = await loadDemoDataset({ scale: 0.05, slides: SLIDES, cacheDir: demoCacheDir(join(work, 'cache')) });
  rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
  // The per-file route's masks: what the ZIP route must reproduce byte for byte.
  await withServer(undefined, dataset, async (srv) => {
    const opts = options(srv, { masksVia: 'files' });
    const s = await runDownload(opts, collect().hooks);
    assert.deepEqual(s.failures, []);
    assert.equal(figshareRoutes(srv).zip, 0);
    reference = await maskHashes(opts.outDir);
  });
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('choosing the route', () => {
  test('auto: the ZIP when it beats n × interval; files with no interval or for a few masks', () => {
    const base = { via: 'auto' as const, archiveBytes: 50e6, intervalMs: 1000 };
    assert.equal(chooseMasksRoute({ ...base, wanted: 151 }).route, 'zip'); // 2 + 5 s < 151 s
    assert.equal(chooseMasksRoute({ ...base, wanted: 10 }).route, 'zip'); // 7 s < 10 s
    assert.equal(chooseMasksRoute({ ...base, wanted: 5 }).route, 'files'); // 7 s > 5 s
    assert.equal(chooseMasksRoute({ ...base, wanted: 151, intervalMs: 0 }).route, 'files'); // no politeness cost
    assert.equal(chooseMasksRoute({ ...base, wanted: 5, via: 'zip' }).route, 'zip');
    assert.equal(chooseMasksRoute({ ...base, wanted: 151, via: 'files' }).route, 'files');
    assert.equal(chooseMasksRoute({ ...base, wanted: 10 }).bytesPerSec, ASSUMED_ZIP_BYTES_PER_SEC);
  });

  test('auto: a measured slow line turns the choice to files', () => {
    const slow = { bytes: 2e6, seconds: 4 }; // 0.5 MB/s: the 50 MB archive would take 100 s
    const choice = chooseMasksRoute({ via: 'auto', archiveBytes: 50e6, intervalMs: 1000, wanted: 60, measured: slow });
    assert.equal(choice.bytesPerSec, 5e5);
    assert.equal(choice.route, 'files');
    // Too little received to say anything: the assumption stands.
    assert.equal(chooseMasksRoute({ via: 'auto', archiveBytes: 50e6, intervalMs: 1000, wanted: 60, measured: { bytes: 1000, seconds: 1 } }).bytesPerSec, ASSUMED_ZIP_BYTES_PER_SEC);
  });

  test('the archive URL is derived from a file download URL and pins the version', () => {
    assert.equal(articleZipUrl('https://ndownloader.figshare.com/files/13243676', 7193138, 3), 'https://ndownloader.figshare.com/articles/7193138/versions/3');
    assert.equal(articleZipUrl('http://127.0.0.1:9/figshare/ndownloader/files/1?x=1', 7, 1), 'http://127.0.0.1:9/figshare/ndownloader/articles/7/versions/1');
    assert.equal(articleZipUrl('ftp://x/files/1', 7, 1), null);
    assert.equal(articleZipUrl('https://x/other/1', 7, 1), null);
  });
});

describe('masks through the article ZIP', () => {
  test('three figshare requests, byte-identical masks, no archive left, verify clean, zero-request rerun', async () => {
    await withServer(undefined, dataset, async (srv) => {
      const opts = options(srv, { masksVia: 'auto', lanes: { ...options(srv).lanes, figshare: { concurrency: 4, minIntervalMs: 300 } } });
      const { hooks, events } = collect();
      const s = await runDownload(opts, hooks);
      assert.deepEqual(s.failures, []);
      const routes = figshareRoutes(srv);
      assert.deepEqual({ ...routes }, { listing: 1, record: 1, zip: 1, zipBlob: 1, files: 0, fileBlobs: 0, figshareHosts: 3 });
      assert.ok(events.some((e) => e.type === 'log' && e.message.includes("figshare's article ZIP (--masks-via auto")));
      assert.deepEqual(await maskHashes(opts.outDir), reference);
      await noArchiveLeft(opts.outDir);
      assert.deepEqual((await runVerify({ outDir: opts.outDir })).issues, []);
      srv.resetLog();
      const again = await runDownload(opts, collect().hooks);
      assert.equal(again.requests, 0);
      assert.equal(srv.log.length, 0);
    });
  });

  test('a subset: only the wanted members are taken from the archive of every file', async () => {
    await withServer(undefined, dataset, async (srv) => {
      const subset = rois.slice(1, 3);
      const opts = options(srv, { rois: subset });
      const s = await runDownload(opts, collect().hooks);
      assert.deepEqual(s.failures, []);
      assert.deepEqual(s.components.masks, { done: 2, skipped: 0, failed: 0 });
      assert.equal(figshareRoutes(srv).figshareHosts, 3);
      const got = await maskHashes(opts.outDir);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(reference).filter((id) => subset.some((r) => id.includes(r.name))).sort());
      for (const [id, sha] of Object.entries(got)) assert.equal(sha, reference[id]);
    });
  });

  test('faults in the archive answer (cut, reset, 5xx, expired URL) are retried; the run completes on the ZIP', async () => {
    const faults: FaultOptions = {
      seed: 7,
      figshare: { truncateBody: 0.3, resetMidBody: 0.2, error503: 0.1, expiredUrl403: 0.1, pathIncludes: 'article' },
    };
    await withServer(faults, dataset, async (srv) => {
      const opts = options(srv, { maxRetries: 12 });
      const s = await runDownload(opts, collect().hooks);
      assert.deepEqual(s.failures, []);
      assert.ok(s.retries > 0, 'faults were met and retried');
      assert.ok(srv.log.some((e) => e.fault !== undefined && e.path.includes('/blob/article-')), 'a fault hit the archive itself');
      assert.equal(figshareRoutes(srv).files, 0, 'no mask needed its own request');
      assert.deepEqual(await maskHashes(opts.outDir), reference);
      await noArchiveLeft(opts.outDir);
    });
  });

  test('a 202 challenge on the ZIP route: every mask falls back to its own request, and the log says so', async () => {
    const faults: FaultOptions = { figshare: { challenge202: 1, pathIncludes: 'ndownloader/articles' } };
    await withServer(faults, dataset, async (srv) => {
      const opts = options(srv, { maxRetries: 2 });
      const { hooks, events } = collect();
      const s = await runDownload(opts, hooks);
      assert.deepEqual(s.failures, []);
      const routes = figshareRoutes(srv);
      assert.equal(routes.zip, 3, 'the ZIP request was tried 1 + maxRetries times');
      assert.equal(routes.files, SLIDES.length);
      assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /article ZIP route failed .*202.*5 unverified mask/.test(e.message)));
      assert.deepEqual(await maskHashes(opts.outDir), reference);
      await noArchiveLeft(opts.outDir);
    });
  });

  test('the object store answers 403 for every archive URL: after the retries every mask falls back to its own request', async () => {
    const faults: FaultOptions = { figshare: { expiredUrl403: 1, pathIncludes: 'blob/article' } };
    await withServer(faults, dataset, async (srv) => {
      const opts = options(srv, { maxRetries: 4 });
      const { hooks, events } = collect();
      const s = await runDownload(opts, hooks);
      assert.deepEqual(s.failures, []);
      const routes = figshareRoutes(srv);
      assert.ok(routes.zipBlob >= 1 && routes.zipBlob <= 5, `the archive was tried 1 to 1 + maxRetries times (${routes.zipBlob})`);
      assert.equal(routes.zip, routes.zipBlob, 'each try asks figshare for a fresh pre-signed URL');
      assert.equal(routes.files, SLIDES.length);
      assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /article ZIP route failed .*403/.test(e.message)));
      assert.deepEqual(await maskHashes(opts.outDir), reference);
      await noArchiveLeft(opts.outDir);
    });
  });

  test('a damaged member fails its md5 and only that mask is fetched on its own', async () => {
    const victim = dataset.figshare.files[2] as FigshareFile;
    let reads = 0;
    const damaged: FigshareFile = {
      id: victim.id,
      name: victim.name,
      mimetype: victim.mimetype,
      meta: () => victim.meta(),
      // The archive reads the file twice (its CRC, then its bytes); the file route later gets the real one.
      read: async () => {
        const bytes = await victim.read();
        reads += 1;
        if (reads > 2) return bytes;
        const copy = Buffer.from(bytes);
        copy[copy.length - 20] = (copy[copy.length - 20] as number) ^ 0x55;
        return copy;
      },
    };
    const files = dataset.figshare.files.map((f) => (f === victim ? damaged : f));
    const data: ServedDataset = { ...dataset, figshare: { ...dataset.figshare, files } };
    await withServer(undefined, data, async (srv) => {
      const opts = options(srv);
      const { hooks, events } = collect();
      const s = await runDownload(opts, hooks);
      assert.deepEqual(s.failures, []);
      const routes = figshareRoutes(srv);
      assert.equal(routes.zip, 1);
      assert.equal(routes.files, 1, 'exactly one mask fetched on its own');
      assert.ok(srv.log.some((e) => e.path.includes(`/ndownloader/files/${victim.id}`)));
      assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes(`ZIP member ${victim.name} has md5`)));
      assert.deepEqual(await maskHashes(opts.outDir), reference);
    });
  });
});
