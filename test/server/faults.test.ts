import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { FaultInjector, mulberry32, parseFaultOptions, type FaultOptions, type ServiceFaults } from '../../src/server/faults.js';
import type { Clock } from '../../src/server/http/token-bucket.js';
import { RenderQueue } from '../../src/server/render-queue.js';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer, type Fixture } from './fixtures.js';

async function withServer(faults: FaultOptions, run: (s: RunningServer & { fx: Fixture }) => Promise<void>): Promise<void> {
  const server = await startFixtureServer({ faults });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const girder = (f: ServiceFaults): FaultOptions => ({ seed: 3, girder: f });

/** Read a body chunk by chunk; report the bytes that arrived and whether it ended in an error. */
async function readAll(res: Response): Promise<{ bytes: number; error: unknown }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, error: null };
      bytes += value.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

describe('fault injection: each fault is observable by a plain fetch', () => {
  test('502/503/504 answer with a proxy HTML page; 500 with Girder\'s internal error', async () => {
    for (const [kind, status] of [
      ['error502', 502],
      ['error503', 503],
      ['error504', 504],
    ] as const) {
      await withServer(girder({ [kind]: 1 }), async (s) => {
        const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
        assert.equal(r.status, status);
        assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(r.text, new RegExp(`<h1>${status} `));
        assert.equal(s.log.at(-1)?.fault, kind);
        assert.equal(s.counters()[`girder.fault.${kind}`], 1);
      });
    }
    await withServer(girder({ error500: 1 }), async (s) => {
      const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      assert.equal(r.status, 500);
      assert.equal(JSON.parse(r.text).type, 'internal');
    });
  });

  test('429 carries Retry-After in seconds or as an HTTP-date', async () => {
    await withServer(girder({ rateLimit429: 1, retryAfterSeconds: 7 }), async (s) => {
      const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '7');
    });
    await withServer(girder({ rateLimit429: 1, retryAfterSeconds: 30, retryAfterHttpDate: true }), async (s) => {
      const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      const when = Date.parse(r.headers.get('retry-after') ?? '');
      assert.ok(Number.isFinite(when));
      assert.ok(when > Date.now() + 20_000 && when <= Date.now() + 31_000);
    });
  });

  test('connection reset mid-body: the body read fails', async () => {
    await withServer(girder({ resetMidBody: 1 }), async (s) => {
      const result = await fetch(`${s.urls.girder}/file/${IDS.slideFile}/download`).then(readAll, (error: unknown) => ({ bytes: 0, error }));
      assert.ok(result.error, 'fetch or the body read rejects');
      assert.ok(result.bytes < s.fx.slideBytes.length);
    });
  });

  test('truncation: full Content-Length, fewer bytes, then the connection ends', async () => {
    await withServer(girder({ truncateBody: 1 }), async (s) => {
      const res = await fetch(`${s.urls.girder}/file/${IDS.slideFile}/download`);
      assert.equal(res.status, 200);
      const declared = Number(res.headers.get('content-length'));
      assert.equal(declared, s.fx.slideBytes.length);
      const { bytes, error } = await readAll(res);
      assert.ok(bytes < declared, `${bytes} < ${declared}`);
      assert.ok(error, 'the client notices the short body');
      // The server logs the request when its side of the connection has closed.
      for (let i = 0; i < 200 && s.log.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(s.log.at(-1)?.aborted, true);
    });
  });

  test('stall: part of the body, then nothing until the client gives up', async () => {
    await withServer(girder({ stallBody: 1 }), async (s) => {
      const res = await fetch(`${s.urls.girder}/file/${IDS.slideFile}/download`, { signal: AbortSignal.timeout(400) });
      const declared = Number(res.headers.get('content-length'));
      const { bytes, error } = await readAll(res);
      assert.ok(error instanceof Error && error.name === 'TimeoutError', String(error));
      assert.ok(bytes <= Math.floor(declared / 2));
    });
  });

  test('body faults leave empty answers alone: a 0-byte region is not held open by a stall', async () => {
    await withServer(girder({ stallBody: 1 }), async (s) => {
      // exact=true with a non-integral level is large_image's empty 200 (docs/imaging.md#region-size).
      const url = `${s.urls.girder}/item/${IDS.slideItem}/tiles/region?left=0&top=0&right=100&bottom=100&magnification=7&exact=true`;
      // Several in a row: keep-alive reuses the connection, so an unfinished exchange would
      // block the next request until a timeout.
      for (let i = 0; i < 3; i++) {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        assert.equal(res.status, 200);
        const { bytes, error } = await readAll(res);
        assert.equal(error, null);
        assert.equal(bytes, 0);
      }
    });
  });

  test('200 HTML page, 200 empty body, full 200 for a Range request', async () => {
    await withServer(girder({ htmlPage200: 1 }), async (s) => {
      const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.throws(() => JSON.parse(r.text));
    });
    await withServer(girder({ emptyBody200: 1 }), async (s) => {
      const r = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      assert.deepEqual([r.status, r.bytes.length], [200, 0]);
    });
    await withServer(girder({ ignoreRange: 1 }), async (s) => {
      const r = await get(`${s.urls.girder}/file/${IDS.slideFile}/download`, { headers: { Range: 'bytes=0-9' } });
      assert.equal(r.status, 200);
      assert.equal(r.bytes.length, s.fx.slideBytes.length);
      const plain = await get(`${s.urls.girder}/item/${IDS.slideItem}`);
      assert.equal(plain.status, 200);
      assert.equal(s.log.at(-1)?.fault, undefined, 'only requests with a Range header can get it');
    });
  });

  test('WAF challenge (202) anywhere; expired pre-signed URL (403) only on figshare blob URLs', async () => {
    await withServer({ figshare: { challenge202: 1 } }, async (s) => {
      const r = await get(`${s.urls.figshare}/articles/1`);
      assert.equal(r.status, 202);
      assert.match(r.text, /Just a moment/);
    });
    await withServer({ figshare: { expiredUrl403: 1 } }, async (s) => {
      assert.notEqual((await get(`${s.urls.figshare}/articles/1`)).status, 403);
      const blob = await get(`${s.urls.figshare.replace(/\/v2$/, '')}/blob/1?expires=1&sig=x`);
      assert.equal(blob.status, 403);
      assert.match(blob.text, /<Code>AccessDenied<\/Code>/);
    });
  });

  test('invalid annotation JSON only on annotation lists', async () => {
    await withServer(girder({ badAnnotationJson: 1 }), async (s) => {
      const r = await get(`${s.urls.girder}/annotation/item/${IDS.slideItem}`);
      assert.equal(r.status, 200);
      assert.ok(r.text.endsWith(',\n]'));
      assert.throws(() => JSON.parse(r.text), SyntaxError);
      assert.equal((await get(`${s.urls.girder}/item/${IDS.slideItem}`)).status, 200);
    });
  });

  test('faults are per service, and restricted by path and request number', async () => {
    await withServer({ figshare: { error503: 1 }, girder: { error502: 1, requests: [2] } }, async (s) => {
      assert.equal((await get(`${s.urls.figshare}/articles/1`)).status, 503);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(`${s.urls.girder}/item/${IDS.slideItem}`)).status);
      assert.deepEqual(statuses, [200, 502, 200]);
    });
    await withServer(girder({ error503: 1, pathIncludes: '/tiles' }), async (s) => {
      assert.equal((await get(`${s.urls.girder}/item/${IDS.slideItem}`)).status, 200);
      assert.equal((await get(`${s.urls.girder}/item/${IDS.slideItem}/tiles`)).status, 503);
    });
  });

  test('the same seed gives the same fault sequence; counters and log agree', async () => {
    const run = async (seed: number): Promise<number[]> => {
      let statuses: number[] = [];
      await withServer({ seed, girder: { error503: 0.3, rateLimit429: 0.2 } }, async (s) => {
        for (let i = 0; i < 30; i++) statuses.push((await get(`${s.urls.girder}/item/${IDS.slideItem}`)).status);
        const c = s.counters();
        assert.equal(c['girder.fault.error503'] ?? 0, statuses.filter((x) => x === 503).length);
        assert.equal(c['girder.fault.rateLimit429'] ?? 0, statuses.filter((x) => x === 429).length);
        assert.equal(s.log.filter((e) => e.fault !== undefined).length, statuses.filter((x) => x !== 200).length);
        statuses = [...statuses];
      });
      return statuses;
    };
    const a = await run(42);
    assert.deepEqual(await run(42), a);
    assert.ok(a.includes(503) && a.includes(429) && a.includes(200), a.join(','));
    assert.notDeepEqual(await run(43), a);
  });

  test('latency jitter is drawn in arrival order: a slow request body does not shift it to a later request', async () => {
    const seed = 11;
    const jitterMs = 4;
    await withServer({ seed, girder: { latencyJitterMs: jitterMs } }, async (s) => {
      // The same stream FaultInjector uses for the girder service (index 0).
      const draws = mulberry32(seed + 0x51ed270b);
      const expected = [draws(), draws()].map((u) => Math.round(u * jitterMs * 10) / 10);
      const url = new URL(`${s.urls.girder}/api_key/token`);
      // A: head first (the server has dispatched it once it answers 100 Continue), body later.
      const a = request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 9, Expect: '100-continue' } });
      const answered = new Promise<number>((resolve, reject) => {
        a.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        a.on('error', reject);
      });
      await new Promise<void>((resolve) => a.once('continue', () => resolve()));
      // B arrives second and completes while A's body is still missing.
      assert.equal((await get(`${s.urls.girder}/item/${IDS.slideItem}`)).status, 200);
      a.end('key=nope1');
      assert.equal(await answered, 400);
      const b = s.log.find((e) => e.method === 'GET');
      const first = s.log.find((e) => e.method === 'POST');
      assert.deepEqual([first?.latencyMs, b?.latencyMs], expected);
    });
  });

  test('throttled bandwidth still delivers the exact bytes', async () => {
    await withServer(girder({ bandwidthBytesPerSec: 2_000_000, latencyMs: 5 }), async (s) => {
      const r = await get(`${s.urls.girder}/file/${IDS.docFileB}/download`);
      assert.equal(r.bytes.length, 70_000);
      assert.ok(r.bytes.every((b) => b === 7));
      assert.equal(s.log.at(-1)?.bytes, 70_000);
    });
  });

  test('cacheRegions: a repeated region is served from memory', async () => {
    await withServer({ cacheRegions: true }, async (s) => {
      const url = `${s.urls.girder}/item/${IDS.slideItem}/tiles/region?left=0&top=0&right=300&bottom=300&encoding=PNG`;
      const a = await get(url);
      const b = await get(url);
      assert.ok(a.bytes.equals(b.bytes));
      assert.equal(s.log.at(-2)?.notes, undefined);
      assert.deepEqual(s.log.at(-1)?.notes, ['region from cache']);
    });
  });
});

describe('fault options and helpers', () => {
  test('bad options are usage errors naming the problem', () => {
    assert.throws(() => parseFaultOptions({ girder: { error503: 2 } }), UsageError);
    assert.throws(() => parseFaultOptions({ girder: { eror503: 0.1 } }), /eror503/);
    assert.throws(() => parseFaultOptions({ gdc: { error503: 0.7, error502: 0.7 } }), /add up to 1\.4/);
    assert.deepEqual(parseFaultOptions({ seed: 1, figshare: { truncateBody: 0.5 } }), { seed: 1, figshare: { truncateBody: 0.5 } });
    // Every problem at once, each naming its key path.
    assert.throws(
      () => parseFaultOptions({ seed: 1.5, colour: 1, gdc: 'x', girder: { error503: 2, requests: [0], latencyMs: 5 } }),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        for (const line of ['seed: expected an integer', 'colour: unrecognized key', 'gdc: expected an object', 'girder.error503: expected a number from 0 to 1', 'girder.requests:']) {
          assert.ok(e.message.includes(line), `${line} in ${e.message}`);
        }
        assert.ok(!e.message.includes('latencyMs'));
        return true;
      },
    );
    assert.throws(() => parseFaultOptions([]), /\(root\): expected an object/);
  });

  test('mulberry32 is deterministic and uniform enough', () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    const xs = Array.from({ length: 10_000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });

  test('decide() draws once per request, so a fault sequence does not depend on the paths asked', () => {
    const seq = (paths: string[]): Array<string | null> => {
      const f = new FaultInjector({ seed: 5, gdc: { error503: 0.5, ignoreRange: 0.5 } });
      return paths.map((p) => f.decide('gdc', { path: p, hasRange: false }));
    };
    const one = seq(['/a', '/b', '/c', '/d', '/e', '/f']);
    assert.ok(one.every((x) => x === null || x === 'error503'), 'ignoreRange needs a Range header');
    assert.deepEqual(seq(['/x', '/y', '/z', '/w', '/v', '/u']), one);
  });

  test('RenderQueue bounds concurrency and models render time with the clock', async () => {
    const sleeps: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => void sleeps.push(ms) };
    const q = new RenderQueue(2, 100, clock);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        q.run(i + 1, async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual([...sleeps].sort((x, y) => x - y), [100, 200, 300, 400, 500, 600]);
    assert.equal(q.running, 0);
  });
});
