/**
 * Disk full during `bcss download`: a real small tmpfs when the test runs as root on Linux, an
 * injected ENOSPC otherwise (test/transfer/small-fs.ts; the test's diagnostic says which). The
 * run must stop with a DiskError that says what to do, leave nothing half-written and a lock
 * that matches the disk, and a rerun after freeing space must complete.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { parseRoiTable } from '../../src/catalog/index.js';
import { DiskError } from '../../src/errors.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import { runDownload } from '../../src/pipeline/run-download.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { smallFs } from '../transfer/small-fs.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

let work = '';
let server: RunningServer;
let options: Omit<DownloadOptions, 'outDir'>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-disk-full-'));
  const dataset = await loadDemoDataset({ scale: 0.05, slides: ['A1-A0SK', 'A2-A04P', 'A8-A07C', 'E2-A14N'], cacheDir: demoCacheDir(join(work, 'cache')) });
  server = await startServer({ dataset, port: 0 });
  const rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
  options = demoDownloadOptions(server.urls, rois, { components: ['images', 'masks', 'annotations'], concurrency: 4, maxRetries: 2 }, 2);
});

after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

test('a full disk stops the run with a DiskError, corrupts nothing, and the rerun after freeing space completes', async (t) => {
  // Room for the lease, the log, the lock and a few small files, not for the large renders.
  const fs = await smallFs(work, 300 * 1024);
  t.diagnostic(`full disk: ${fs.method}`);
  try {
    const outDir = fs.dir;
    const hooks = { transferOverrides: { sleep: () => Promise.resolve(), baseDelayMs: 0 } };
    const err = await runDownload({ ...options, outDir }, hooks).then(
      () => assert.fail('the run on a full disk must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DiskError, String(err));
    assert.match(err.message, /ENOSPC\): no space left on the device: free some space .*rerun the same command/);
    assert.match(err.hint ?? '', /already completed are kept/);

    const files = await filesUnder(outDir);
    assert.deepEqual(files.filter((f) => f.endsWith('.part') || f === 'bcss.lease'), [], 'no temp file and no lease left');
    const read = await readLock(outDir, { moveAside: false });
    assert.equal(read.warning, undefined, 'the lock is intact');
    const report = await runVerify({ outDir });
    // Files renamed into place but not yet recorded may be "extra"; nothing may be wrong, and
    // the download is reported as what it is: incomplete.
    assert.deepEqual(report.issues.filter((i) => i.problem !== 'extra' && i.problem !== 'incomplete'), []);
    assert.equal(report.issues.filter((i) => i.problem === 'incomplete').length, 1);

    await fs.grow(16 * 1024 * 1024);
    server.resetLog();
    const rerun = await runDownload({ ...options, outDir }, hooks);
    assert.deepEqual(rerun.failures, []);
    const locked = new Set(read.lock?.artifacts.map((a) => a.id) ?? []);
    const skipped = Object.values(rerun.components).reduce((n, c) => n + (c.skipped ?? 0), 0);
    assert.equal(skipped, [...locked].filter((id) => !id.startsWith('meta/')).length, 'what was locked is not fetched again');
    assert.deepEqual((await runVerify({ outDir })).issues, []);
  } finally {
    await fs.dispose();
  }
});
