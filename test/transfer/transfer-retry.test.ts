import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AuthError, HttpError, IntegrityError, NetworkError, UsageError } from '../../src/errors.js';
import { EMPTY_BODY_RETRIES, EmptyBodyError, WrongContentError } from '../../src/transfer/content-errors.js';
import { PNG_SMALL, bytesOf, makeTransfer, md5Hex, rejectionOf, startServer } from './helpers.js';

describe('transfer retries', () => {
  test('503 then 200: one retry, counted in stats and events', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html>busy</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    try {
      const { transfer, sleeps, events } = makeTransfer();
      const r = await transfer.json<{ ok: boolean }>({ url: `${server.url}/x`, lane: 't' });
      assert.deepEqual(r.data, { ok: true });
      assert.equal(r.raw.toString(), '{"ok":true}');
      assert.equal(server.requests.length, 2);
      assert.deepEqual(transfer.stats, { requests: 2, bytes: '<html>busy</html>'.length + 11, retries: 1 });
      // Full jitter with random() = 0.5 on the first retry: 0.5 · min(1000, 100 · 2^0).
      assert.deepEqual(sleeps, [50]);
      const retry = events.find((e) => e.type === 'retry');
      assert.ok(retry && retry.type === 'retry');
      assert.equal(retry.attempt, 1);
      assert.equal(retry.delayMs, 50);
      assert.match(retry.reason, /503/);
      assert.deepEqual(
        events.filter((e) => e.type === 'request').map((e) => (e.type === 'request' ? e.attempt : 0)),
        [1, 2],
      );
    } finally {
      await server.close();
    }
  });

  test('429 with Retry-After: 1 waits exactly one second (recorded, not slept)', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
        return;
      }
      res.end('[]');
    });
    try {
      const { transfer, sleeps, events } = makeTransfer();
      await transfer.json({ url: `${server.url}/x`, lane: 't' });
      assert.deepEqual(sleeps, [1000]);
      const retry = events.find((e) => e.type === 'retry');
      assert.equal(retry?.type === 'retry' ? retry.delayMs : -1, 1000);
    } finally {
      await server.close();
    }
  });

  test('a Retry-After longer than maxRetryAfterMs is capped', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(503, { 'retry-after': '3600' });
        res.end();
        return;
      }
      res.end('{}');
    });
    try {
      const { transfer, sleeps } = makeTransfer({ maxRetryAfterMs: 2500 });
      await transfer.json({ url: `${server.url}/x`, lane: 't' });
      assert.deepEqual(sleeps, [2500]);
    } finally {
      await server.close();
    }
  });

  test('persistent 502 gives up after maxRetries with a retryable HttpError saying so', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(502);
      res.end('Bad Gateway');
    });
    try {
      const { transfer, sleeps } = makeTransfer({ maxRetries: 2 });
      const err = await rejectionOf(transfer.json({ url: `${server.url}/x`, lane: 't' }));
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 502);
      assert.equal(err.retryable, true);
      assert.match(err.message, /gave up after 3 attempts/);
      assert.equal(server.requests.length, 3);
      // Exponential ceilings 100, 200 scaled by random() = 0.5.
      assert.deepEqual(sleeps, [50, 100]);
    } finally {
      await server.close();
    }
  });

  for (const [status, cls, pattern] of [
    [401, AuthError, /authentication required: set BCSS_API_KEY or use --login/],
    [403, AuthError, /access denied/],
    [404, HttpError, /not found/],
    [410, HttpError, /gone/],
    [422, HttpError, /rejected the request parameters/],
  ] as const) {
    test(`${status} fails fast with one request and an explanation`, async () => {
      const server = await startServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `server detail ${status}`, type: 'access' }));
      });
      try {
        const { transfer, sleeps } = makeTransfer();
        const err = await rejectionOf(transfer.json({ url: `${server.url}/item/1`, lane: 't' }));
        assert.ok(err instanceof HttpError, String(err));
        assert.equal(err.status, status);
        assert.equal(err.retryable, false);
        assert.equal(err.url, `${server.url}/item/1`);
        assert.match(err.message, pattern);
        assert.match(err.message, new RegExp(`server detail ${status}`));
        if (cls === AuthError) assert.equal(err.kind, 'auth');
        else assert.equal(err.kind, 'remote');
        assert.equal(server.requests.length, 1);
        assert.deepEqual(sleeps, []);
        assert.equal(transfer.stats.retries, 0);
      } finally {
        await server.close();
      }
    });
  }

  test("400 is not retried and carries the server's JSON message", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"message": "Invalid item id (5bbdeba3e629140048d01234).", "type": "rest"}');
    });
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.json({ url: `${server.url}/item/5bbdeba3e629140048d01234`, lane: 't' }));
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 400);
      assert.match(err.message, /bad request: Invalid item id \(5bbdeba3e629140048d01234\)\./);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('acceptStatus turns a 400 into an answer (Girder lookups that may miss)', async () => {
    const body = '{"message": "Invalid item id (x).", "type": "rest"}';
    const server = await startServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(body);
    });
    try {
      const { transfer } = makeTransfer();
      const r = await transfer.json<{ type: string }>({ url: `${server.url}/item/x`, lane: 't', acceptStatus: [400] });
      assert.equal(r.status, 400);
      assert.equal(r.data.type, 'rest');
      assert.equal(r.raw.toString(), body);
    } finally {
      await server.close();
    }
  });

  test('a connection reset mid-body is retried', async () => {
    const payload = bytesOf(64 * 1024, 7);
    const server = await startServer((_req, res, n) => {
      res.writeHead(200, { 'content-length': String(payload.length), 'content-type': 'application/octet-stream' });
      if (n === 0) {
        res.write(payload.subarray(0, payload.length / 2), () => res.socket?.destroy());
        return;
      }
      res.end(payload);
    });
    try {
      const { transfer, events } = makeTransfer();
      const r = await transfer.buffer({ url: `${server.url}/blob`, lane: 't', sniff: 'any', expectedMd5: md5Hex(payload) });
      assert.ok(r.data.equals(payload));
      assert.equal(server.requests.length, 2);
      const retry = events.find((e) => e.type === 'retry');
      assert.match(retry?.type === 'retry' ? retry.reason : '', /connection lost after \d+ of 65536 bytes/);
    } finally {
      await server.close();
    }
  });

  test('a body shorter than its Content-Length is retried, and reported if it persists', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      // The server closes the connection cleanly after 400 bytes.
      res.write(Buffer.alloc(400, 1), () => res.socket?.end());
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 1 });
      const err = await rejectionOf(transfer.buffer({ url: `${server.url}/short`, lane: 't', sniff: 'any' }));
      assert.ok(err instanceof NetworkError, String(err));
      assert.match(err.message, /400 of 1000 bytes/);
      assert.match(err.message, /gave up after 2 attempts/);
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('a body that stalls is cut by the idle timeout and retried', async () => {
    const payload = bytesOf(4000, 3);
    const server = await startServer((_req, res, n) => {
      res.writeHead(200, { 'content-length': String(payload.length) });
      if (n === 0) {
        res.write(payload.subarray(0, 1000)); // …and never another byte
        return;
      }
      res.end(payload);
    });
    try {
      const { transfer, events } = makeTransfer({ idleTimeoutMs: 200 });
      const r = await transfer.buffer({ url: `${server.url}/stall`, lane: 't', sniff: 'any' });
      assert.ok(r.data.equals(payload));
      const retry = events.find((e) => e.type === 'retry');
      assert.match(retry?.type === 'retry' ? retry.reason : '', /no data for 200 ms .*1000 bytes so far/);
    } finally {
      await server.close();
    }
  });

  test('slow response headers hit the headers timeout and are retried', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 0) return; // never answers
      res.end('{}');
    });
    try {
      const { transfer, events } = makeTransfer({ headersTimeoutMs: 200 });
      await transfer.json({ url: `${server.url}/slow`, lane: 't' });
      assert.equal(server.requests.length, 2);
      const retry = events.find((e) => e.type === 'retry');
      assert.match(retry?.type === 'retry' ? retry.reason : '', /no response from .* within 200 ms/);
    } finally {
      await server.close();
    }
  });

  test('a 200 HTML page where a PNG was expected is a retryable source fault', async () => {
    const server = await startServer((_req, res, n) => {
      if (n < 2) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><body>Just a moment…</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_SMALL);
    });
    try {
      const { transfer } = makeTransfer();
      const r = await transfer.buffer({ url: `${server.url}/mask.png`, lane: 't', sniff: 'png' });
      assert.ok(r.data.equals(PNG_SMALL));
      assert.equal(server.requests.length, 3);
      assert.equal(transfer.stats.retries, 2);
    } finally {
      await server.close();
    }
  });

  test('an HTML page served as image/png is still refused, with IntegrityError at the end', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end('<html>challenge</html>');
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 1 });
      const err = await rejectionOf(transfer.buffer({ url: `${server.url}/mask.png`, lane: 't', sniff: 'png' }));
      assert.ok(err instanceof IntegrityError);
      assert.match(err.message, /expected a PNG but the body starts with "<html>challenge<\/html>"/);
    } finally {
      await server.close();
    }
  });

  test('figshare-style 202 challenge and 0-byte bodies are retried', async () => {
    const server = await startServer((_req, res, n) => {
      if (n === 0) {
        res.writeHead(202, { 'content-type': 'text/html' });
        res.end('<html>challenge</html>');
      } else if (n === 1) {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      } else {
        res.end(PNG_SMALL);
      }
    });
    try {
      const { transfer } = makeTransfer();
      const r = await transfer.buffer({ url: `${server.url}/f`, lane: 't', sniff: 'png', expectedBytes: PNG_SMALL.length });
      assert.equal(r.data.length, PNG_SMALL.length);
      assert.equal(server.requests.length, 3);
    } finally {
      await server.close();
    }
  });

  test('a body that is always empty is given up after EMPTY_BODY_RETRIES retries, not the whole budget', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '0' });
      res.end();
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 6 });
      const dir = await mkdtemp(join(tmpdir(), 'bcss-empty-'));
      const err = await rejectionOf(transfer.download({ url: `${server.url}/region`, lane: 't', destPath: join(dir, 'r.png'), sniff: 'png' }));
      assert.ok(err instanceof EmptyBodyError, String(err));
      assert.match(err.message, /empty \(0 bytes\).*gave up after 3 attempts/);
      assert.equal(server.requests.length, 1 + EMPTY_BODY_RETRIES);
      assert.deepEqual(await readdir(dir), [], 'nothing is stored');
      await rm(dir, { recursive: true });
      const buf = await rejectionOf(transfer.buffer({ url: `${server.url}/mask`, lane: 't', sniff: 'any' }));
      assert.ok(buf instanceof EmptyBodyError, String(buf));
      assert.equal(server.requests.length, 2 * (1 + EMPTY_BODY_RETRIES));
    } finally {
      await server.close();
    }
  });

  test('a validate hook that finds the wrong content (WrongContentError) fails at once, with no file', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_SMALL);
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 6 });
      const dir = await mkdtemp(join(tmpdir(), 'bcss-wrong-'));
      const err = await rejectionOf(
        transfer.download({
          url: `${server.url}/region`,
          lane: 't',
          destPath: join(dir, 'r.png'),
          sniff: 'png',
          validate: () => Promise.reject(new WrongContentError('8×8 px, expected 9×8 px')),
        }),
      );
      assert.ok(err instanceof WrongContentError);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(await readdir(dir), []);
      await rm(dir, { recursive: true });
    } finally {
      await server.close();
    }
  });

  test('an md5 mismatch is retried until a good body arrives', async () => {
    const good = bytesOf(5000, 11);
    const bad = bytesOf(5000, 12);
    const server = await startServer((_req, res, n) => res.end(n === 0 ? bad : good));
    try {
      const { transfer, events } = makeTransfer();
      const r = await transfer.buffer({ url: `${server.url}/b`, lane: 't', sniff: 'any', expectedMd5: md5Hex(good).toUpperCase() });
      assert.equal(r.md5, md5Hex(good));
      assert.equal(server.requests.length, 2);
      const retry = events.find((e) => e.type === 'retry');
      assert.match(retry?.type === 'retry' ? retry.reason : '', new RegExp(`md5 ${md5Hex(bad)} does not match`));
    } finally {
      await server.close();
    }
  });

  test('invalid JSON (a doubled separator) is retried as a source fault', async () => {
    const server = await startServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(n === 0 ? '[{"a":1},,{"b":2}]' : '[{"a":1},{"b":2}]');
    });
    try {
      const { transfer } = makeTransfer();
      const r = await transfer.json<unknown[]>({ url: `${server.url}/annotation`, lane: 't' });
      assert.equal(r.data.length, 2);
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('a JSON answer announcing more than 512 MiB is refused without retrying', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(600 * 1024 * 1024), 'content-type': 'application/json' });
      res.write('[');
    });
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.json({ url: `${server.url}/huge`, lane: 't' }));
      assert.ok(err instanceof HttpError);
      assert.match(err.message, /exceeds the 536870912-byte limit/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a refused connection is retried, then reported as a NetworkError', async () => {
    const server = await startServer((_req, res) => res.end());
    const url = `${server.url}/gone`;
    await server.close();
    const { transfer } = makeTransfer({ maxRetries: 1 });
    const err = await rejectionOf(transfer.json({ url, lane: 't' }));
    assert.ok(err instanceof NetworkError, String(err));
    assert.match(err.message, /ECONNREFUSED/);
    assert.equal(transfer.stats.requests, 2);
  });

  test('POST bodies are sent on every attempt (GDC metadata queries)', async () => {
    const server = await startServer((_req, res, n) => {
      res.writeHead(n === 0 ? 500 : 200, { 'content-type': 'application/json' });
      res.end(n === 0 ? '{}' : '{"data":{"hits":[]}}');
    });
    try {
      const { transfer } = makeTransfer();
      const query = JSON.stringify({ filters: { op: 'in' }, size: '200' });
      await transfer.json({ url: `${server.url}/files`, lane: 't', method: 'POST', body: query, headers: { 'Content-Type': 'application/json' } });
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.body, r.headers['content-type']]),
        [
          ['POST', query, 'application/json'],
          ['POST', query, 'application/json'],
        ],
      );
    } finally {
      await server.close();
    }
  });

  test('bad input gets a UsageError before any request', async () => {
    const { transfer } = makeTransfer();
    assert.ok((await rejectionOf(transfer.json({ url: 'not a url', lane: 't' }))) instanceof UsageError);
    assert.ok((await rejectionOf(transfer.json({ url: 'ftp://127.0.0.1/x', lane: 't' }))) instanceof UsageError);
    assert.ok((await rejectionOf(transfer.json({ url: 'http://127.0.0.1/x', lane: '' }))) instanceof UsageError);
    const md5 = await rejectionOf(transfer.buffer({ url: 'http://127.0.0.1/x', lane: 't', sniff: 'any', expectedMd5: 'xyz' }));
    assert.ok(md5 instanceof UsageError);
    assert.match(md5.message, /expected 32 hex digits for expectedMd5/);
    assert.equal(transfer.stats.requests, 0);
    assert.throws(() => makeTransfer({ lanes: { x: { concurrency: 0, minIntervalMs: 0 } } }), /expected an integer ≥ 1 for lane "x" concurrency/);
  });

  test('an unknown error (a bug) is rethrown as is, never retried', async () => {
    const bug = new RangeError('boom');
    const { transfer } = makeTransfer({
      fetch: async () => {
        throw bug;
      },
    });
    const err = await rejectionOf(transfer.json({ url: 'http://127.0.0.1:9/x', lane: 't' }));
    assert.equal(err, bug);
    assert.equal(transfer.stats.requests, 1);
    assert.equal(transfer.stats.retries, 0);
  });
});
