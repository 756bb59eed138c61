import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { makeTransfer, rejectionOf, startServer } from './helpers.js';

describe('transfer lanes', () => {
  test('requests in flight on a lane never exceed its concurrency', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await startServer((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('{}');
      }, 15);
    });
    try {
      const { transfer } = makeTransfer({ lanes: { dsa: { concurrency: 2, minIntervalMs: 0 } } });
      await Promise.all(Array.from({ length: 8 }, (_, i) => transfer.json({ url: `${server.url}/r${i}`, lane: 'dsa' })));
      assert.equal(server.requests.length, 8);
      // Both slots get used, and never a third.
      assert.equal(maxInFlight, 2);
    } finally {
      await server.close();
    }
  });

  test('unknown lanes use defaultPolicy', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await startServer((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('{}');
      }, 10);
    });
    try {
      const { transfer } = makeTransfer({ defaultPolicy: { concurrency: 1, minIntervalMs: 0 } });
      await Promise.all(Array.from({ length: 4 }, () => transfer.json({ url: `${server.url}/x`, lane: 'other' })));
      assert.equal(maxInFlight, 1);
    } finally {
      await server.close();
    }
  });

  test('minIntervalMs spaces request starts (1000 ms = 1 request/s for figshare)', async () => {
    const server = await startServer((_req, res) => res.end('{}'));
    try {
      const { transfer, sleeps } = makeTransfer({ lanes: { figshare: { concurrency: 4, minIntervalMs: 1000 } } });
      await Promise.all(Array.from({ length: 4 }, (_, i) => transfer.json({ url: `${server.url}/f${i}`, lane: 'figshare' })));
      assert.equal(server.requests.length, 4);
      // The first starts at once; the others wait for their reserved start, 1 s apart.
      assert.equal(sleeps.length, 3);
      sleeps.forEach((ms, k) => assert.ok(ms > (k + 1) * 1000 - 100 && ms <= (k + 1) * 1000, `sleeps ${sleeps.join(',')}`));
    } finally {
      await server.close();
    }
  });

  test('a busy lane does not block another lane', async () => {
    const held: ServerResponse[] = [];
    const server = await startServer((req, res) => {
      if (req.url === '/hold') held.push(res);
      else res.end('{"quick":true}');
    });
    try {
      const { transfer } = makeTransfer({ lanes: { slow: { concurrency: 1, minIntervalMs: 0 }, fast: { concurrency: 1, minIntervalMs: 0 } } });
      const slow1 = transfer.json({ url: `${server.url}/hold`, lane: 'slow' });
      const slow2 = transfer.json({ url: `${server.url}/hold`, lane: 'slow' });
      const quick = await transfer.json<{ quick: boolean }>({ url: `${server.url}/quick`, lane: 'fast' });
      assert.equal(quick.data.quick, true);
      // The second slow request is still queued behind the first.
      assert.deepEqual(
        server.requests.map((r) => r.url),
        ['/hold', '/quick'],
      );
      held.shift()?.end('{}');
      while (held.length === 0) await new Promise((r) => setImmediate(r));
      held.shift()?.end('{}');
      await Promise.all([slow1, slow2]);
    } finally {
      await server.close();
    }
  });

  /** `/files/<i>` redirects to `/blob/<i>`; blobs are held until the test lets them go. */
  async function redirectServer(): Promise<{ server: Awaited<ReturnType<typeof startServer>>; held: ServerResponse[] }> {
    const held: ServerResponse[] = [];
    const server = await startServer((req, res) => {
      const m = /^\/files\/(\d+)$/.exec(req.url ?? '');
      if (m !== null) {
        res.writeHead(302, { location: `/blob/${m[1]}` });
        res.end();
        return;
      }
      if (req.url === '/ping') {
        res.end('pong');
        return;
      }
      held.push(res);
    });
    return { server, held };
  }

  async function until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise((r) => setImmediate(r));
  }

  test('redirectLane: the first lane\'s slot is given back at the redirect, the next hop waits on its own lane', async () => {
    const { server, held } = await redirectServer();
    try {
      const { transfer, events } = makeTransfer({
        lanes: { api: { concurrency: 1, minIntervalMs: 0 }, store: { concurrency: 2, minIntervalMs: 0 } },
      });
      const all = [0, 1, 2].map((i) =>
        transfer.buffer({ url: `${server.url}/files/${i}`, lane: 'api', redirectLane: 'store', sniff: 'any' }),
      );
      // One api slot serves all three redirects in turn; the store lane lets two blobs run at once.
      await until(() => held.length === 2 && server.requests.length === 5);
      assert.deepEqual(
        server.requests.map((r) => r.url).sort(),
        ['/blob/0', '/blob/1', '/files/0', '/files/1', '/files/2'],
      );
      held.shift()?.end('a');
      await until(() => held.length === 2);
      for (const res of held.splice(0)) res.end('b');
      const bodies = await Promise.all(all);
      assert.equal(bodies.length, 3);
      const lanes = events.filter((e) => e.type === 'request').map((e) => `${e.lane} ${new URL(e.url).pathname.split('/')[1]}`);
      assert.deepEqual([...new Set(lanes)].sort(), ['api files', 'store blob']);
    } finally {
      for (const res of held) res.destroy();
      await server.close();
    }
  });

  test('without redirectLane the whole attempt, redirect included, holds its one slot', async () => {
    const { server, held } = await redirectServer();
    try {
      const { transfer } = makeTransfer({ lanes: { api: { concurrency: 1, minIntervalMs: 0 } } });
      const all = [0, 1].map((i) => transfer.buffer({ url: `${server.url}/files/${i}`, lane: 'api', sniff: 'any' }));
      await until(() => held.length === 1);
      // A full round trip on another lane later, the second request has still not started: its
      // lane slot is held by the first blob.
      await transfer.buffer({ url: `${server.url}/ping`, lane: 't', sniff: 'any' });
      assert.deepEqual(server.requests.map((r) => r.url), ['/files/0', '/blob/0', '/ping']);
      held.shift()?.end('a');
      await until(() => held.length === 1);
      held.shift()?.end('b');
      await Promise.all(all);
    } finally {
      for (const res of held) res.destroy();
      await server.close();
    }
  });

  test('an empty redirectLane is a usage error', async () => {
    const { transfer } = makeTransfer();
    await assert.rejects(transfer.json({ url: 'http://127.0.0.1:9/x', lane: 't', redirectLane: '' }), /redirectLane/);
  });

  test('a retry waits for its backoff outside the lane slot', async () => {
    // The backoff sleep signals that it started, then waits until the test opens the gate.
    let onSleep: () => void = () => undefined;
    const sleeping = new Promise<void>((r) => (onSleep = r));
    let releaseBackoff: () => void = () => undefined;
    const gate = new Promise<void>((r) => (releaseBackoff = r));
    const server = await startServer((req, res, n) => {
      if (req.url === '/flaky' && n === 0) {
        res.writeHead(503);
        res.end();
        return;
      }
      res.end(`{"url":"${req.url}"}`);
    });
    try {
      const { transfer } = makeTransfer({
        lanes: { one: { concurrency: 1, minIntervalMs: 0 } },
        sleep: async () => {
          onSleep();
          await gate;
        },
      });
      const flaky = transfer.json({ url: `${server.url}/flaky`, lane: 'one' });
      await sleeping;
      // While the flaky request sleeps, the single slot is free for another request.
      const other = await transfer.json<{ url: string }>({ url: `${server.url}/other`, lane: 'one' });
      assert.equal(other.data.url, '/other');
      releaseBackoff();
      await flaky;
      assert.deepEqual(
        server.requests.map((r) => r.url),
        ['/flaky', '/other', '/flaky'],
      );
    } finally {
      await server.close();
    }
  });
});

describe('transfer abort', () => {
  test('the global signal aborts a request in flight, with no retry', async () => {
    const server = await startServer(() => undefined); // never answers
    const ac = new AbortController();
    try {
      const { transfer } = makeTransfer({ signal: ac.signal });
      const pending = transfer.json({ url: `${server.url}/hang`, lane: 't' });
      while (server.requests.length === 0) await new Promise((r) => setImmediate(r));
      ac.abort(new Error('user pressed Ctrl-C'));
      const err = await rejectionOf(pending);
      assert.match(String(err), /user pressed Ctrl-C/);
      assert.equal(transfer.stats.retries, 0);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('an abort during a backoff stops at once', async () => {
    const ac = new AbortController();
    const server = await startServer((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    try {
      const { transfer } = makeTransfer({
        signal: ac.signal,
        sleep: async (_ms, signal) => {
          ac.abort(new Error('stop now'));
          if (signal?.aborted) throw signal.reason;
        },
      });
      const err = await rejectionOf(transfer.json({ url: `${server.url}/x`, lane: 't' }));
      assert.match(String(err), /stop now/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('hundreds of requests queued under one signal raise no listener-leak warning, and all leave on abort', async () => {
    const held: ServerResponse[] = [];
    const server = await startServer((_req, res) => held.push(res));
    const ac = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { transfer } = makeTransfer({ signal: ac.signal, lanes: { t: { concurrency: 2, minIntervalMs: 0 } } });
      const all = Array.from({ length: 200 }, (_, i) => transfer.json({ url: `${server.url}/${i}`, lane: 't' }));
      while (server.requests.length < 2) await new Promise((r) => setImmediate(r));
      ac.abort(new Error('cancelled'));
      const results = await Promise.allSettled(all);
      assert.ok(results.every((r) => r.status === 'rejected' && /cancelled/.test(String(r.reason))));
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
      assert.equal(server.requests.length, 2);
    } finally {
      process.off('warning', onWarning);
      for (const res of held) res.destroy();
      await server.close();
    }
  });

  test('an already aborted signal sends nothing; queued requests leave the lane', async () => {
    const held: ServerResponse[] = [];
    const server = await startServer((_req, res) => held.push(res));
    const ac = new AbortController();
    try {
      const { transfer } = makeTransfer({ signal: ac.signal, lanes: { t: { concurrency: 1, minIntervalMs: 0 } } });
      const first = transfer.json({ url: `${server.url}/1`, lane: 't' });
      const queued = transfer.json({ url: `${server.url}/2`, lane: 't' });
      while (server.requests.length === 0) await new Promise((r) => setImmediate(r));
      ac.abort(new Error('cancelled'));
      await assert.rejects(first, /cancelled/);
      await assert.rejects(queued, /cancelled/);
      await assert.rejects(transfer.json({ url: `${server.url}/3`, lane: 't' }), /cancelled/);
      assert.equal(server.requests.length, 1);
    } finally {
      for (const res of held) res.destroy();
      await server.close();
    }
  });
});
