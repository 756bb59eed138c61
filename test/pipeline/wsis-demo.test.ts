/**
 * `--components wsis` end to end against `bcss serve` over the demo dataset (scale 0.05): slides
 * from the GDC with their true size and md5, one `POST /files` for all of them, the lock, verify,
 * a zero-request rerun, `--wsi-dir`, and the faults of issue 10 §5 that need the whole pipeline.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { downloadExitCode } from '../../src/cli/commands/download.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { DiskError } from '../../src/errors.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import { runDownload, type RunDownloadHooks } from '../../src/pipeline/run-download.js';
import type { DownloadOptions, PipelineEvent } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { wsiSlideNames } from '../../src/pipeline/wsi-artifacts.js';
import { freeBytesFor } from '../../src/pipeline/free-space.js';
import { checkFreeSpace } from '../../src/pipeline/wsi-space.js';
import type { GdcFile, ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { FaultOptions } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { partPathFor } from '../../src/transfer/resumable-download.js';
import { smallFs } from '../transfer/small-fs.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'E2-A14N'];
const noWait = (): Promise<void> => Promise.resolve();
const hooks: RunDownloadHooks = { transferOverrides: { sleep: noWait, baseDelayMs: 0 } };

let work: string;
let dataset: ServedDataset;
let rois: RoiRecord[];
const servers: RunningServer[] = [];
let n = 0;

async function serve(data: ServedDataset = dataset, faults?: FaultOptions): Promise<RunningServer> {
  const s = await startServer({ dataset: data, port: 0, ...(faults === undefined ? {} : { faults }) });
  servers.push(s);
  return s;
}

function options(srv: RunningServer, over: Partial<DownloadOptions> = {}): DownloadOptions {
  n += 1;
  return demoDownloadOptions(srv.urls, rois, { outDir: join(work, `out-${n}`), components: ['wsis'], ...over });
}

async function md5Of(path: string): Promise<string> {
  return createHash('md5').update(await readFile(path)).digest('hex');
}

async function records(): Promise<GdcFile[]> {
  const names = new Set(wsiSlideNames(rois));
  const files = dataset.gdc.files.filter((f) => names.has(f.fileName));
  for (const f of files) await f.ready?.();
  return files;
}

/** The same file with some fields replaced (its getters stay on the original). */
function override(f: GdcFile, fields: Partial<GdcFile>): GdcFile {
  const props = { size: f.size, md5: f.md5, open: f.open.bind(f), ready: undefined, ...fields };
  return Object.create(f, Object.fromEntries(Object.entries(props).map(([k, value]) => [k, { value, enumerable: true }]))) as GdcFile;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-wsis-'));
  dataset = await loadDemoDataset({ scale: 0.05, slides: SLIDES, cacheDir: demoCacheDir(join(work, 'cache')) });
  rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
});

after(async () => {
  for (const s of servers) await s.close();
  await rm(work, { recursive: true, force: true });
});

describe('--components wsis against the demo GDC', () => {
  test('every slide with its true size and md5, one POST /files, locked, verified, zero-request rerun', async () => {
    const srv = await serve();
    const opts = options(srv);
    const events: PipelineEvent[] = [];
    const summary = await runDownload(opts, { ...hooks, onEvent: (e) => events.push(e) });
    assert.deepEqual(summary.failures, []);
    assert.deepEqual(summary.components, { wsis: { done: 3, skipped: 0, failed: 0 } });
    const files = await records();
    assert.equal(files.length, 3);
    for (const f of files) {
      const p = join(opts.outDir, 'wsis', f.fileName);
      assert.equal((await stat(p)).size, f.size);
      assert.equal(await md5Of(p), f.md5);
    }
    const gdcLog = srv.log.filter((e) => e.service === 'gdc');
    assert.equal(gdcLog.filter((e) => e.method === 'POST' && e.path.endsWith('/files')).length, 1, 'one POST /files for all slides');
    assert.equal(gdcLog.filter((e) => e.path.includes('/data/')).length, 3);
    assert.equal(srv.log.filter((e) => e.service === 'girder').length, 0, 'slides need no DSA');
    // Progress in bytes: every body byte was reported, none twice.
    const reported = events.reduce((s, e) => s + (e.type === 'bytes' ? e.bytes : 0), 0);
    const total = files.reduce((s, f) => s + f.size, 0);
    assert.ok(summary.bytes >= total && summary.requests === 4, 'the summary counts the slide requests and bytes');
    assert.ok(reported >= total && reported - total < 16_384, `${reported} bytes reported for ${total} bytes of slides (plus one small JSON answer)`);

    const lock = (await readLock(opts.outDir, { moveAside: false })).lock;
    const wsis = lock?.artifacts.filter((a) => a.kind === 'wsis') ?? [];
    assert.equal(wsis.length, 3);
    for (const e of wsis) assert.equal(e.sourceChecksum?.md5, files.find((f) => e.path.endsWith(f.fileName))?.md5);
    assert.deepEqual((await runVerify({ outDir: opts.outDir })).issues, []);

    srv.resetLog();
    const again = await runDownload(opts, hooks);
    assert.equal(again.requests, 0);
    assert.equal(srv.log.length, 0, 'a rerun with the slides in place asks nothing');
    assert.deepEqual(again.components, { wsis: { done: 0, skipped: 3, failed: 0 } });
  });

  test('--wsi-dir puts the slides elsewhere; verify and reruns find them there', async () => {
    const srv = await serve();
    const wsiDir = join(work, 'elsewhere');
    const opts = options(srv, { wsiDir, rois: rois.slice(0, 1) });
    const summary = await runDownload(opts, hooks);
    assert.deepEqual(summary.failures, []);
    const [f] = (await records()).filter((r) => wsiSlideNames(rois.slice(0, 1)).includes(r.fileName));
    assert.ok(f);
    assert.equal(await md5Of(join(wsiDir, f.fileName)), f.md5);
    await assert.rejects(stat(join(opts.outDir, 'wsis', f.fileName)));
    assert.deepEqual((await runVerify({ outDir: opts.outDir })).issues, []);
    const again = await runDownload(opts, hooks);
    assert.equal(again.requests, 0);
  });

  test('--dry-run: the slides\' total bytes from their GDC records; refused, naming both numbers, when the slide folder lacks space', async (t) => {
    const srv = await serve();
    const files = await records();
    const total = files.reduce((a, f) => a + f.size, 0);
    const opts = options(srv, { dryRun: true });
    const summary = await runDownload(opts, hooks);
    assert.equal(summary.estimatedBytes, total);
    assert.deepEqual(summary.plan?.map((p) => p.estimatedBytes).sort(), files.map((f) => f.size).sort());
    await assert.rejects(stat(opts.outDir), 'a dry run writes nothing');

    // The check itself, on any machine: one byte more than the folder's disk has free.
    const free = (await freeBytesFor(work)) as number;
    await assert.rejects(checkFreeSpace(work, free + 1, '--components wsis'), new RegExp(`needs ${free + 1} bytes .* but only \\d+ bytes .* are free`));

    // And through a dry run, where a real small file system can be mounted (the injected
    // stand-in cannot shrink what statfs reports).
    const fs = await smallFs(work, 1024 * 1024);
    t.diagnostic(`small disk: ${fs.method}`);
    try {
      if (fs.method !== 'tmpfs') return;
      const err = await runDownload({ ...opts, wsiDir: fs.dir }, hooks).then(
        () => assert.fail('must refuse'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DiskError, String(err));
      assert.match(err.message, new RegExp(`needs ${total} bytes .* but only \\d+ bytes .* are free`));
    } finally {
      await fs.dispose();
    }
  });

  test('disk full mid-slide: the run stops with exit 6, the parts are kept, and the rerun continues them', async (t) => {
    const srv = await serve();
    const two = (await records()).slice(0, 2);
    const need = two.reduce((a, f) => a + f.size, 0);
    // Room for either slide alone (so the check before each start passes), not for both.
    const sizes = two.map((f) => f.size);
    const fs = await smallFs(work, Math.max(...sizes) + Math.floor(Math.min(...sizes) / 2));
    t.diagnostic(`full disk: ${fs.method}`);
    try {
      const opts = options(srv, { wsiDir: fs.dir, gdcConcurrency: 2, rois: rois.filter((r) => two.some((f) => wsiSlideNames([r]).includes(f.fileName))) });
      const err = await runDownload(opts, hooks).then(
        () => assert.fail('must fail on a full disk'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DiskError, String(err));
      assert.match(err.message, /ENOSPC/, 'it ran out of space mid-slide, not before');
      assert.equal(exitCodeFor(err.kind), 6);
      const sizeOf = (p: string): Promise<number> => stat(p).then((s) => s.size, () => 0);
      const parts = await Promise.all(two.map((f) => sizeOf(partPathFor(join(fs.dir, f.fileName)))));
      assert.ok(parts.some((size) => size > 0), `a part is kept (${parts.join(', ')} bytes)`);
      // Each slide holds its finished file (one may have completed before the disk filled) or its part.
      const held = await Promise.all(two.map(async (f, i) => (await sizeOf(join(fs.dir, f.fileName))) || (parts[i] ?? 0)));
      await fs.grow(need * 2 + 1024 * 1024);
      srv.resetLog();
      const rerun = await runDownload(opts, hooks);
      assert.deepEqual(rerun.failures, []);
      for (const f of two) assert.equal(await md5Of(join(fs.dir, f.fileName)), f.md5);
      const sent = srv.log.filter((e) => e.path.includes('/data/')).reduce((a, e) => a + e.bytes, 0);
      assert.equal(sent, need - held.reduce((a, b) => a + b, 0), 'the rerun fetched only what the parts lacked');
    } finally {
      await fs.dispose();
    }
  });

  test('md5 mismatch: the part is deleted and fetched once more, then exit 4 naming the slide', async () => {
    const bad = 'f'.repeat(32);
    const first = (await records())[0] as GdcFile;
    // The record (and its Content-MD5) claim another md5 than the served bytes have.
    const lying: ServedDataset = {
      ...dataset,
      gdc: { files: dataset.gdc.files.map((f) => (f === first ? override(f, { md5: bad }) : f)) },
    };
    const srv = await serve(lying);
    const opts = options(srv, { rois: rois.filter((r) => wsiSlideNames([r]).includes(first.fileName)) });
    const summary = await runDownload(opts, hooks);
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0]?.reason ?? '', new RegExp(first.fileName.replace(/\./g, '\\.')));
    assert.match(summary.failures[0]?.reason ?? '', /md5/);
    assert.equal(downloadExitCode(summary), 4);
    assert.equal(srv.log.filter((e) => e.path.includes('/data/')).length, 2, 'fetched once more, then given up');
    await assert.rejects(stat(partPathFor(join(opts.outDir, 'wsis', first.fileName))), 'the bad part is deleted');
    await assert.rejects(stat(join(opts.outDir, 'wsis', first.fileName)));
  });

  test('a controlled file without a token: no access, not retried (exit 3)', async () => {
    const first = (await records())[0] as GdcFile;
    const guarded: ServedDataset = {
      ...dataset,
      gdc: { files: dataset.gdc.files.map((f) => (f === first ? override(f, { access: 'controlled' }) : f)) },
    };
    const srv = await serve(guarded);
    const opts = options(srv, { rois: rois.filter((r) => wsiSlideNames([r]).includes(first.fileName)) });
    await assert.rejects(runDownload(opts, hooks), (err: Error & { kind?: string }) => err.kind === 'auth' && /no access/.test(err.message));
    assert.equal(srv.log.filter((e) => e.path.includes('/data/')).length, 0);
  });
});
