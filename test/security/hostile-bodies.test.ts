/**
 * Issue 9 item 5: every body has a ceiling known before it starts and is aborted the moment it
 * passes it (the message names the limit); a body trickling under the idle timeout is stopped by
 * the minimum rate and the overall deadline instead of holding its lane slot.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { builtinRois } from '../../src/catalog/index.js';
import { regionByteCeiling } from '../../src/pipeline/geometry-sanity.js';
import { fetchImage } from '../../src/pipeline/steps/images.js';
import { GirderClient } from '../../src/remote/girder-client.js';
import { BodyLimitError } from '../../src/transfer/content-errors.js';
import { NetworkError } from '../../src/errors.js';
import { PNG_SMALL, makeTransfer, rejectionOf, startServer } from '../transfer/helpers.js';

/** Writes `chunk` forever (until the client goes away), as fast as the socket takes it. */
function endless(res: ServerResponse, first: Buffer, chunk: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.write(first);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

/** Sends one byte every `everyMs` until closed. */
function trickle(res: ServerResponse, everyMs: number, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.write('[');
  const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), everyMs);
  res.on('close', () => clearInterval(t));
}

describe('size ceilings', () => {
  test('a region body that never ends is aborted at its ceiling, not retried, and leaves no .part', async () => {
    const server = await startServer((_req, res) => endless(res, PNG_SMALL, Buffer.alloc(64 * 1024, 7)));
    const dir = await mkdtemp(join(tmpdir(), 'bcss-ceiling-'));
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(
        transfer.download({ url: `${server.url}/region`, lane: 't', destPath: join(dir, 'r.png'), sniff: 'png', maxBytes: 2_000_000, maxBytesReason: 'an uncompressed 700×700 px RGBA PNG' }),
      );
      assert.ok(err instanceof BodyLimitError, String(err));
      assert.match(err.message, /past the 2000000 bytes allowed for it \(an uncompressed 700×700 px RGBA PNG\); aborted/);
      assert.equal(server.requests.length, 1, 'not retried');
      assert.deepEqual(await readdir(dir), []);
      assert.ok(transfer.stats.bytes < 2_000_000 + 1024 * 1024, `${transfer.stats.bytes} bytes read`);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the region ceiling comes from the ROI and resolution, and holds the largest valid render', () => {
    const roi = builtinRois().find((r) => r.name === 'TCGA-A1-A0SK-DX1')!; // 4040×2936 base px, 40×
    const at025 = regionByteCeiling(roi, { kind: 'mpp', mpp: 0.25 });
    const rawRgba = 4040 * 2936 * 4;
    assert.ok(at025.bytes > rawRgba * 1.25 ** 2 && at025.bytes < rawRgba * 2, String(at025.bytes));
    assert.match(at025.reason, /RGBA PNG/);
    const at1 = regionByteCeiling(roi, { kind: 'mpp', mpp: 1 });
    assert.ok(at1.bytes < at025.bytes / 10, 'a coarser resolution lowers the ceiling');
  });

  test('a mask body longer than the listing size is aborted when it passes that size', async () => {
    const server = await startServer((_req, res) => endless(res, PNG_SMALL, Buffer.alloc(16 * 1024, 1)));
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.buffer({ url: `${server.url}/mask`, lane: 't', sniff: 'png', expectedBytes: 100_000 }));
      assert.ok(err instanceof BodyLimitError, String(err));
      assert.match(err.message, /past the 100000 bytes allowed for it \(the size the file listing gives\)/);
    } finally {
      await server.close();
    }
  });

  test('JSON over --max-json-mb: refused from its Content-Length, or aborted when it passes the limit', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/announced') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) });
        res.write('[');
        return;
      }
      endless(res, Buffer.from('['), Buffer.from('{"a":1},'.repeat(1024)));
    });
    try {
      const { transfer } = makeTransfer({ maxJsonBytes: 1024 * 1024 });
      const announced = await rejectionOf(transfer.json({ url: `${server.url}/announced`, lane: 't' }));
      assert.ok(announced instanceof BodyLimitError);
      assert.match(announced.message, /announces 5242880 bytes, past the 1048576 bytes allowed for it \(the JSON limit of 1 MB, --max-json-mb\)/);
      const streamed = await rejectionOf(transfer.json({ url: `${server.url}/endless`, lane: 't' }));
      assert.ok(streamed instanceof BodyLimitError);
      assert.match(streamed.message, /passed \d+ bytes, past the 1048576 bytes/);
    } finally {
      await server.close();
    }
  });
});

describe('minimum rate and deadline', () => {
  test('a body trickling one byte at a time under the idle timeout fails once the grace has passed', async () => {
    const server = await startServer((_req, res) => trickle(res, 100));
    try {
      const { transfer } = makeTransfer({ maxRetries: 0, idleTimeoutMs: 5000, deadlineGraceMs: 400, minRateBytesPerSec: 1000 });
      const started = Date.now();
      const err = await rejectionOf(transfer.json({ url: `${server.url}/slow`, lane: 't' }));
      assert.ok(err instanceof NetworkError, String(err));
      assert.match(err.message, /arrives too slowly \(\d+ bytes in \d+ ms; at least 1000 bytes\/s are needed after the first 400 ms\)/);
      assert.ok(Date.now() - started < 3000);
    } finally {
      await server.close();
    }
  });

  test('a body that stalls before its announced end fails at its overall deadline, not the idle timeout', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[');
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 0, idleTimeoutMs: 60_000, deadlineGraceMs: 300, minRateBytesPerSec: 1000 });
      const started = Date.now();
      const err = await rejectionOf(transfer.json({ url: `${server.url}/stall`, lane: 't' }));
      assert.ok(err instanceof NetworkError, String(err));
      assert.match(err.message, /did not arrive within its deadline of 1300 ms \(1 of ≤ 1000 bytes; 300 ms plus 1000 bytes\/s\)/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      await server.close();
    }
  });
});

describe('the images step sets the region ceiling', () => {
  test('an endless render is aborted at the ROI ceiling, and the message names it', async () => {
    const server = await startServer((_req, res) => endless(res, PNG_SMALL, Buffer.alloc(64 * 1024, 3)));
    const dir = await mkdtemp(join(tmpdir(), 'bcss-region-'));
    try {
      const { transfer } = makeTransfer({ maxRetries: 0 });
      const base = builtinRois().find((r) => r.name === 'TCGA-A1-A0SK-DX1')!;
      const roi = { ...base, xmin: 0, ymin: 0, xmax: 100, ymax: 100 };
      const girder = new GirderClient({ transfer, apiUrl: `${server.url}/api/v1` });
      const ctx = {
        outDir: dir,
        now: () => new Date(0),
        options: { resolution: { kind: 'mpp', mpp: 0.25 }, encoding: 'png' },
        remote: {
          transfer,
          girder,
          slideFor: () => ({ itemId: 'a'.repeat(24), name: 'x.svs' }),
          geometryFor: async () => ({ sizeX: 60000, sizeY: 40000, levels: 9, magnification: 40, mmX: 0.000252, mmY: 0.000252 }),
        },
      } as unknown as Parameters<typeof fetchImage>[0];
      const artifact = { id: 'img', kind: 'images', path: 'images/x.png', roi, params: {} } as unknown as Parameters<typeof fetchImage>[1];
      const expected = regionByteCeiling(roi, { kind: 'mpp', mpp: 0.25 });
      await assert.rejects(fetchImage(ctx, artifact), (err: unknown) => {
        assert.ok(err instanceof BodyLimitError, String(err));
        assert.ok(err.message.includes(`past the ${expected.bytes} bytes allowed for it (${expected.reason})`), err.message);
        return true;
      });
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
