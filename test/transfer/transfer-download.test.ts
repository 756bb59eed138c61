import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiskError, IntegrityError } from '../../src/errors.js';
import { PNG_SMALL, bytesOf, makeTransfer, md5Hex, rejectionOf, sha256Hex, startServer } from './helpers.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'bcss-transfer-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function freshDir(): Promise<string> {
  const dir = join(root, `case${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Serves `payload` honouring `Range: bytes=a-` like GDC does (206 + Content-Range). */
function rangeAnswer(payload: Buffer, range: string | undefined): { status: number; headers: Record<string, string>; body: Buffer } {
  const m = range === undefined ? null : /^bytes=(\d+)-$/.exec(range);
  if (m === null) {
    return { status: 200, headers: { 'content-length': String(payload.length), 'accept-ranges': 'bytes' }, body: payload };
  }
  const start = Number(m[1]);
  return {
    status: 206,
    headers: {
      'content-length': String(payload.length - start),
      'accept-ranges': 'bytes',
      'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}`,
    },
    body: payload.subarray(start),
  };
}

describe('transfer download', () => {
  test('streams to the final name with the right sha256/md5 and leaves no temp file', async () => {
    const payload = bytesOf(300_000, 5);
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(payload.length) });
      res.end(payload);
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'nested', 'slide.svs');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/data/1`, lane: 't', destPath: dest, sniff: 'any', expectedBytes: payload.length, expectedMd5: md5Hex(payload) });
      assert.equal(stored.path, dest);
      assert.equal(stored.bytes, payload.length);
      assert.equal(stored.sha256, sha256Hex(payload));
      assert.equal(stored.md5, md5Hex(payload));
      assert.equal(stored.status, 200);
      assert.equal(sha256Hex(await readFile(dest)), sha256Hex(payload));
      assert.deepEqual(await readdir(join(dir, 'nested')), ['slide.svs']);
      assert.equal(server.requests[0]?.headers['accept-encoding'], 'identity');
    } finally {
      await server.close();
    }
  });

  test('a failed download leaves neither a temp file nor a final file', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not a png</html>');
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'mask.png');
      const { transfer } = makeTransfer({ maxRetries: 2 });
      const err = await rejectionOf(transfer.download({ url: `${server.url}/m`, lane: 't', destPath: dest, sniff: 'png' }));
      assert.ok(err instanceof IntegrityError);
      assert.match(err.message, /HTML page/);
      assert.equal(server.requests.length, 3);
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await server.close();
    }
  });

  test('an existing good file is only replaced once the new one is complete', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(500, 7), () => res.socket?.destroy());
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'keep.bin');
      await writeFile(dest, 'previous content');
      const { transfer } = makeTransfer({ maxRetries: 1 });
      await rejectionOf(transfer.download({ url: `${server.url}/x`, lane: 't', destPath: dest, sniff: 'any' }));
      assert.equal(await readFile(dest, 'utf8'), 'previous content');
      assert.deepEqual(await readdir(dir), ['keep.bin']);
    } finally {
      await server.close();
    }
  });

  test('after a reset mid-body the next attempt resumes with Range and the file is exact', async () => {
    const payload = bytesOf(200_000, 9);
    const server = await startServer((req, res, n) => {
      const answer = rangeAnswer(payload, req.headers.range);
      res.writeHead(answer.status, answer.headers);
      if (n === 0) {
        res.write(answer.body.subarray(0, 80_000), () => res.socket?.destroy());
        return;
      }
      res.end(answer.body);
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'big.svs');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/data/x`, lane: 't', destPath: dest, sniff: 'any', expectedMd5: md5Hex(payload) });
      assert.equal(stored.sha256, sha256Hex(payload));
      assert.equal(sha256Hex(await readFile(dest)), sha256Hex(payload));
      assert.equal(server.requests[0]?.headers.range, undefined);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(server.requests[1]?.headers.range))?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 80_000, `resumed at ${resumedAt}`);
      // Only the missing part crossed the network twice.
      assert.equal(transfer.stats.bytes, resumedAt + (payload.length - resumedAt));
    } finally {
      await server.close();
    }
  });

  test('a large body arriving in many chunks is stored exactly, and a reset mid-body still resumes where the disk is', async () => {
    // 3 MiB: several 1-MiB write batches; the first attempt is cut after 1.5 MiB.
    const payload = bytesOf(3 * 1024 * 1024 + 17, 4);
    const server = await startServer((req, res, n) => {
      const answer = rangeAnswer(payload, req.headers.range);
      res.writeHead(answer.status, answer.headers);
      if (n === 0) {
        res.write(answer.body.subarray(0, 1_572_864), () => res.socket?.destroy());
        return;
      }
      res.end(answer.body);
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'big.bin');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/data/x`, lane: 't', destPath: dest, sniff: 'any', expectedBytes: payload.length });
      assert.equal(stored.bytes, payload.length);
      assert.equal(stored.sha256, sha256Hex(payload));
      assert.equal(stored.md5, null, 'md5 is only computed when an expected md5 is given');
      assert.equal(sha256Hex(await readFile(dest)), sha256Hex(payload));
      assert.ok(Number(/^bytes=(\d+)-$/.exec(String(server.requests[1]?.headers.range))?.[1]) > 0, 'the second attempt resumed');
    } finally {
      await server.close();
    }
  });

  test('validate gets the body\'s first 64 KiB in memory; the result carries the stored file\'s mtime', async () => {
    for (const size of [100, 200_000]) {
      const payload = bytesOf(size, 11);
      const server = await startServer((_req, res) => res.end(payload));
      try {
        const dir = await freshDir();
        const dest = join(dir, `f${size}.bin`);
        const { transfer } = makeTransfer();
        let head: Uint8Array | null = null;
        const stored = await transfer.download({
          url: `${server.url}/x`,
          lane: 't',
          destPath: dest,
          sniff: 'any',
          validate: async (_temp, s) => {
            head = s.head;
          },
        });
        assert.deepEqual(Buffer.from(head!), payload.subarray(0, Math.min(size, 64 * 1024)));
        assert.equal(stored.mtimeMs, (await stat(dest)).mtimeMs);
      } finally {
        await server.close();
      }
    }
  });

  test('releaseLaneOnHeaders: an answer with Content-Length frees its slot at the headers; a streamed one only at its end', async () => {
    const held: Array<() => void> = [];
    const server = await startServer((req, res) => {
      if (req.url === '/b.json') {
        res.end('{}');
        return;
      }
      const streamed = req.url === '/streamed.png';
      res.writeHead(200, streamed ? {} : { 'content-length': String(PNG_SMALL.length) });
      res.write(PNG_SMALL.subarray(0, 20));
      held.push(() => res.end(PNG_SMALL.subarray(20)));
    });
    try {
      const dir = await freshDir();
      const { transfer } = makeTransfer({ lanes: { one: { concurrency: 1, minIntervalMs: 0 } } });
      const until = async (check: () => boolean): Promise<void> => {
        while (!check()) await new Promise((r) => setImmediate(r));
      };
      // Known length: while its body is still held, another request gets the only slot.
      const known = transfer.download({ url: `${server.url}/known.png`, lane: 'one', destPath: join(dir, 'k.png'), sniff: 'png', releaseLaneOnHeaders: true });
      await until(() => held.length === 1);
      await transfer.json({ url: `${server.url}/b.json`, lane: 'one' });
      held.shift()?.();
      assert.equal((await known).bytes, PNG_SMALL.length);
      // Streamed (no Content-Length): the slot stays taken until the last byte.
      const streamed = transfer.download({ url: `${server.url}/streamed.png`, lane: 'one', destPath: join(dir, 's.png'), sniff: 'png', releaseLaneOnHeaders: true });
      await until(() => held.length === 1);
      const other = transfer.json({ url: `${server.url}/b.json`, lane: 'one' });
      await transfer.json({ url: `${server.url}/b.json`, lane: 'other' });
      assert.deepEqual(server.requests.map((r) => r.url), ['/known.png', '/b.json', '/streamed.png', '/b.json'], 'the queued request has not started');
      held.shift()?.();
      await Promise.all([streamed, other]);
      assert.deepEqual(server.requests.map((r) => r.url).slice(-1), ['/b.json']);
      assert.equal(server.requests.length, 5);
    } finally {
      await server.close();
    }
  });

  test('the lane slot is given back once the body is in, before validation runs', { timeout: 10_000 }, async () => {
    const server = await startServer((req, res) => res.end(req.url === '/b.json' ? '{}' : PNG_SMALL));
    try {
      const dir = await freshDir();
      const { transfer } = makeTransfer({ lanes: { one: { concurrency: 1, minIntervalMs: 0 } } });
      const order: string[] = [];
      await transfer.download({
        url: `${server.url}/a.png`,
        lane: 'one',
        destPath: join(dir, 'a.png'),
        sniff: 'png',
        // With the only slot still held, this nested request could never start (the test would time out).
        validate: async () => {
          await transfer.json({ url: `${server.url}/b.json`, lane: 'one' });
          order.push('b done during validate');
        },
      });
      assert.deepEqual(order, ['b done during validate']);
      assert.deepEqual(server.requests.map((r) => r.url), ['/a.png', '/b.json']);
    } finally {
      await server.close();
    }
  });

  test('a server that ignores Range (answers 200) makes the download restart cleanly', async () => {
    const payload = bytesOf(150_000, 4);
    const server = await startServer((_req, res, n) => {
      res.writeHead(200, { 'content-length': String(payload.length), 'accept-ranges': 'bytes' });
      if (n === 0) {
        res.write(payload.subarray(0, 60_000), () => res.socket?.destroy());
        return;
      }
      res.end(payload);
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'f.bin');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/f`, lane: 't', destPath: dest, sniff: 'any' });
      assert.match(String(server.requests[1]?.headers.range), /^bytes=\d+-$/);
      assert.equal(stored.bytes, payload.length);
      assert.equal(sha256Hex(await readFile(dest)), sha256Hex(payload));
    } finally {
      await server.close();
    }
  });

  test('a Girder-style 206 for the wrong range is not appended; the download restarts from zero', async () => {
    const payload = bytesOf(100_000, 8);
    const server = await startServer((req, res, n) => {
      if (n === 0) {
        res.writeHead(200, { 'content-length': String(payload.length), 'accept-ranges': 'bytes' });
        res.write(payload.subarray(0, 50_000), () => res.socket?.destroy());
        return;
      }
      if (req.headers.range !== undefined) {
        // Girder answers an odd range with the whole file but still 206 (docs/protocols.md#girder-file-download).
        res.writeHead(206, { 'content-length': String(payload.length), 'content-range': `bytes 0-${payload.length - 1}/${payload.length}` });
        res.end(payload);
        return;
      }
      res.writeHead(200, { 'content-length': String(payload.length) });
      res.end(payload);
    });
    try {
      const dir = await freshDir();
      const dest = join(dir, 'g.bin');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/file/1/download`, lane: 't', destPath: dest, sniff: 'any' });
      assert.equal(stored.sha256, sha256Hex(payload));
      assert.equal(server.requests[2]?.headers.range, undefined);
    } finally {
      await server.close();
    }
  });

  test('an md5 mismatch is retried from zero and the stored file matches the good body', async () => {
    const good = PNG_SMALL;
    const bad = Buffer.concat([PNG_SMALL.subarray(0, PNG_SMALL.length - 1), Buffer.from([0])]);
    const server = await startServer((_req, res, n) => res.end(n === 0 ? bad : good));
    try {
      const dir = await freshDir();
      const dest = join(dir, 'm.png');
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/m`, lane: 't', destPath: dest, sniff: 'png', expectedMd5: md5Hex(good), expectedBytes: good.length });
      assert.equal(stored.md5, md5Hex(good));
      assert.ok((await readFile(dest)).equals(good));
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('expectedBytes that disagree with Content-Length fail early and are retried', async () => {
    const server = await startServer((_req, res, n) => {
      const body = n === 0 ? Buffer.alloc(10) : PNG_SMALL;
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    try {
      const dir = await freshDir();
      const { transfer, events } = makeTransfer();
      await transfer.download({ url: `${server.url}/x`, lane: 't', destPath: join(dir, 'x.png'), sniff: 'png', expectedBytes: PNG_SMALL.length });
      const retry = events.find((e) => e.type === 'retry');
      assert.match(retry?.type === 'retry' ? retry.reason : '', new RegExp(`announces 10 bytes but ${PNG_SMALL.length} were expected`));
    } finally {
      await server.close();
    }
  });

  test('validate sees the complete temp file; an IntegrityError from it is retried', async () => {
    const server = await startServer((_req, res, n) => res.end(n === 0 ? '{"elements": []}' : '{"elements": [1]}'));
    try {
      const dir = await freshDir();
      const dest = join(dir, 'annotation.json');
      const seen: string[] = [];
      const { transfer } = makeTransfer();
      const stored = await transfer.download({
        url: `${server.url}/annotation`,
        lane: 't',
        destPath: dest,
        sniff: 'json',
        validate: async (tempPath, info) => {
          const text = await readFile(tempPath, 'utf8');
          seen.push(text);
          assert.equal(info.bytes, Buffer.byteLength(text));
          assert.equal(info.sha256, sha256Hex(text));
          assert.ok(tempPath.startsWith(join(dir, '.annotation.json.')) && tempPath.endsWith('.part'), tempPath);
          if ((JSON.parse(text) as { elements: unknown[] }).elements.length === 0) throw new IntegrityError('element count 0, expected 1');
        },
      });
      assert.deepEqual(seen, ['{"elements": []}', '{"elements": [1]}']);
      assert.equal(await readFile(stored.path, 'utf8'), '{"elements": [1]}');
    } finally {
      await server.close();
    }
  });

  test('any other error from validate aborts the download without retry and without a file', async () => {
    const server = await startServer((_req, res) => res.end(PNG_SMALL));
    try {
      const dir = await freshDir();
      const { transfer } = makeTransfer();
      const err = await rejectionOf(
        transfer.download({
          url: `${server.url}/p`,
          lane: 't',
          destPath: join(dir, 'p.png'),
          sniff: 'png',
          validate: async () => {
            throw new TypeError('validator bug');
          },
        }),
      );
      assert.match(String(err), /validator bug/);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await server.close();
    }
  });

  test('a downloaded JSON with invalid syntax is retried (Girder doubled separator)', async () => {
    const server = await startServer((_req, res, n) => res.end(n === 0 ? '[{"a":1},,{"b":2}]' : '[{"a":1},{"b":2}]'));
    try {
      const dir = await freshDir();
      const { transfer } = makeTransfer();
      const stored = await transfer.download({ url: `${server.url}/a`, lane: 't', destPath: join(dir, 'a.json'), sniff: 'json' });
      assert.equal(await readFile(stored.path, 'utf8'), '[{"a":1},{"b":2}]');
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('a destination under a regular file is a DiskError, with no request made', async () => {
    const server = await startServer((_req, res) => res.end(PNG_SMALL));
    try {
      const dir = await freshDir();
      await writeFile(join(dir, 'afile'), 'x');
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.download({ url: `${server.url}/p`, lane: 't', destPath: join(dir, 'afile', 'sub', 'p.png'), sniff: 'png' }));
      assert.ok(err instanceof DiskError, String(err));
      assert.equal(err.kind, 'disk');
      assert.match(err.message, /ENOTDIR|EEXIST/);
      assert.match(err.message, /remove it or choose another output folder/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });

  test('a destination that is an existing folder is a DiskError and the temp file is removed', async () => {
    const server = await startServer((_req, res) => res.end(PNG_SMALL));
    try {
      const dir = await freshDir();
      await mkdir(join(dir, 'taken.png'));
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.download({ url: `${server.url}/p`, lane: 't', destPath: join(dir, 'taken.png'), sniff: 'png' }));
      assert.ok(err instanceof DiskError, String(err));
      assert.match(err.message, /EISDIR|ENOTEMPTY|EEXIST/);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(await readdir(dir), ['taken.png']);
    } finally {
      await server.close();
    }
  });

  test('an abort mid-body removes the temp file', async () => {
    const ac = new AbortController();
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000));
    });
    try {
      const dir = await freshDir();
      const { transfer, events } = makeTransfer({
        signal: ac.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'bytes') ac.abort(new Error('interrupted'));
        },
      });
      const err = await rejectionOf(transfer.download({ url: `${server.url}/p`, lane: 't', destPath: join(dir, 'p.bin'), sniff: 'any' }));
      assert.match(String(err), /interrupted/);
      assert.deepEqual(await readdir(dir), []);
      assert.equal(transfer.stats.retries, 0);
    } finally {
      await server.close();
    }
  });
});
