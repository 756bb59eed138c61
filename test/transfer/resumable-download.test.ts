/**
 * The resumable slide download (issue 10 §5) against `bcss serve`'s GDC with injected faults: a
 * reset, a truncation or a stall mid-file, and a 5xx or 429 on the request that continues a part,
 * are all resumed with Range (no byte is sent twice); a server that ignores Range gets a safe
 * restart; a full disk keeps the part for the next run.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiskError, NetworkError } from '../../src/errors.js';
import type { GdcFile, ServedDataset } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServiceFaults } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { downloadResumable, partPathFor, sidecarPathFor, type ResumableSpec } from '../../src/transfer/resumable-download.js';
import { smallFs } from './small-fs.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

let work: string;
let dataset: ServedDataset;
let file: GdcFile;
const servers: RunningServer[] = [];
let n = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-resumable-'));
  dataset = await loadDemoDataset({ scale: 0.05, slides: ['A1-A0SK'], cacheDir: demoCacheDir(join(work, 'cache')) });
  file = dataset.gdc.files[0] as GdcFile;
  await file.ready?.();
});

after(async () => {
  for (const s of servers) await s.close();
  await rm(work, { recursive: true, force: true });
});

/** A server whose GDC answers its `requests`-th GDC requests (1-based) with `fault`. */
async function serve(gdc?: ServiceFaults): Promise<RunningServer> {
  const s = await startServer({ dataset, port: 0, ...(gdc === undefined ? {} : { faults: { gdc: { pathIncludes: '/data/', ...gdc } } }) });
  servers.push(s);
  return s;
}

function spec(srv: RunningServer, destPath: string, over: Partial<ResumableSpec> = {}): ResumableSpec {
  return {
    url: `${srv.urls.gdc}/data/${file.fileId}`,
    destPath,
    expectedBytes: file.size,
    expectedMd5: file.md5,
    label: file.fileName,
    maxRetries: 3,
    baseDelayMs: 0,
    idleTimeoutMs: 5000,
    sleep: () => Promise.resolve(),
    ...over,
  };
}

function freshDest(): string {
  n += 1;
  return join(work, `dest-${n}`, file.fileName);
}

async function md5Of(path: string): Promise<string> {
  return createHash('md5').update(await readFile(path)).digest('hex');
}

function dataLog(srv: RunningServer): Array<{ status: number; bytes: number }> {
  return srv.log.filter((e) => e.path.includes('/data/')).map((e) => ({ status: e.status, bytes: e.bytes }));
}

/** A part of about half the file, left by a run whose connection was cut and which had no retries left. */
async function halfPart(dest: string): Promise<number> {
  const cut = await serve({ truncateBody: 1, requests: [1] });
  await assert.rejects(downloadResumable(spec(cut, dest, { maxRetries: 0 })), NetworkError);
  const size = (await stat(partPathFor(dest))).size;
  assert.ok(size > 0 && size < file.size, `a part of ${size} of ${file.size} bytes`);
  await stat(sidecarPathFor(dest));
  return size;
}

describe('resumable GDC download against bcss serve', () => {
  for (const [fault, extra] of [
    ['resetMidBody', {}],
    ['truncateBody', {}],
    ['stallBody', { idleTimeoutMs: 300 }],
  ] as const) {
    test(`${fault} mid-file: resumed with Range, no byte sent twice`, async () => {
      const srv = await serve({ [fault]: 1, requests: [1] });
      const dest = freshDest();
      const got = await downloadResumable(spec(srv, dest, extra));
      assert.equal(got.bytes, file.size);
      assert.equal(await md5Of(dest), file.md5);
      assert.equal(got.received, file.size, 'every byte received exactly once');
      assert.equal(got.restarts, 0);
      const log = dataLog(srv);
      assert.equal(log.length, 2);
      assert.equal(log[1]?.status, 206, 'the second request continued with Range');
      assert.ok((log[1]?.bytes ?? 0) < file.size);
      await assert.rejects(stat(partPathFor(dest)), 'no part left');
      await assert.rejects(stat(sidecarPathFor(dest)), 'no sidecar left');
    });
  }

  for (const fault of ['error503', 'error500', 'rateLimit429'] as const) {
    test(`${fault} when continuing a part from an earlier run: retried, then resumed with Range`, async () => {
      const dest = freshDest();
      const part = await halfPart(dest);
      const srv = await serve({ [fault]: 1, requests: [1], retryAfterSeconds: 0 });
      const got = await downloadResumable(spec(srv, dest));
      assert.equal(await md5Of(dest), file.md5);
      assert.equal(got.resumedFrom, part);
      assert.equal(got.received, file.size - part, 'only the missing bytes');
      assert.deepEqual(dataLog(srv).map((e) => e.status), [fault === 'rateLimit429' ? 429 : Number(fault.slice(5)), 206]);
    });
  }

  test('a server that ignores Range: a safe restart from zero', async () => {
    const dest = freshDest();
    await halfPart(dest);
    const srv = await serve({ ignoreRange: 1 });
    const restarts: string[] = [];
    const got = await downloadResumable(spec(srv, dest, { onRestart: (r) => restarts.push(r) }));
    assert.equal(await md5Of(dest), file.md5);
    assert.equal(got.restarts, 1);
    assert.match(restarts[0] ?? '', /ignored the Range \(200 instead of 206\)/);
    assert.equal(got.received, file.size);
    assert.deepEqual(dataLog(srv).map((e) => e.status), [200, 200]);
  });

  test('a sidecar for another file (other md5) makes the part worthless: started afresh', async () => {
    const dest = freshDest();
    await halfPart(dest);
    const srv = await serve();
    const other = 'a'.repeat(32);
    // The same part name, but the record now says another md5: the old bytes cannot be trusted.
    await assert.rejects(downloadResumable(spec(srv, dest, { expectedMd5: other })), /Content-MD5/);
    const fine = await downloadResumable(spec(srv, dest));
    assert.equal(await md5Of(dest), file.md5);
    assert.equal(fine.resumedFrom, 0);
  });

  test('a finished file already in place (a run killed between rename and lock) is taken without a request', async () => {
    const dest = freshDest();
    const srv = await serve();
    await downloadResumable(spec(srv, dest));
    srv.resetLog();
    const again = await downloadResumable(spec(srv, dest));
    assert.equal(again.received, 0);
    assert.equal(again.md5, file.md5);
    assert.equal(srv.log.length, 0);
    // A file of the right size but other bytes is replaced by a real download.
    const bytes = await readFile(dest);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await writeFile(dest, bytes);
    const fixed = await downloadResumable(spec(srv, dest));
    assert.equal(fixed.received, file.size);
    assert.equal(await md5Of(dest), file.md5);
  });

  test('disk full mid-slide: DiskError, the part is kept, and the next run continues from it', async (t) => {
    const fs = await smallFs(work, Math.floor(file.size / 2));
    t.diagnostic(`full disk: ${fs.method}`);
    try {
      const dest = join(fs.dir, file.fileName);
      const srv = await serve();
      const err = await downloadResumable(spec(srv, dest)).then(
        () => assert.fail('must fail on a full disk'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DiskError, String(err));
      assert.match(err.message, /ENOSPC/);
      const part = (await stat(partPathFor(dest))).size;
      assert.ok(part > 0, 'the part is kept');
      await fs.grow(file.size * 2 + 1024 * 1024);
      const got = await downloadResumable(spec(srv, dest));
      assert.equal(got.resumedFrom, part);
      assert.equal(await md5Of(dest), file.md5);
    } finally {
      await fs.dispose();
    }
  });
});
