import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RenderBudget, renderCost } from '../../src/server/render-budget.js';

const MB = 1024 * 1024;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RenderBudget (the --render-memory-mb queue)', () => {
  test('holds at most the capacity; a waiter starts when memory comes back', async () => {
    const b = new RenderBudget({ capacityBytes: 100 * MB, largeAboveBytes: 100 * MB });
    const r1 = await b.acquire(60 * MB);
    let started = false;
    const p2 = b.acquire(60 * MB).then((r) => {
      started = true;
      return r;
    });
    await tick();
    assert.equal(started, false, '60 + 60 > 100: waits');
    assert.equal(b.inUse, 60 * MB);
    assert.equal(b.waiting, 1);
    r1();
    const r2 = await p2;
    assert.equal(started, true);
    assert.equal(b.inUse, 60 * MB);
    r2();
    r2(); // idempotent
    assert.equal(b.inUse, 0);
  });

  test('large renders share at most largeShare; small ones still get in at once', async () => {
    const b = new RenderBudget({ capacityBytes: 100 * MB, largeAboveBytes: 10 * MB, largeShare: 0.5 });
    const big = [await b.acquire(25 * MB), await b.acquire(25 * MB)];
    let third = false;
    const p3 = b.acquire(25 * MB).then((r) => ((third = true), r));
    await tick();
    assert.equal(third, false, 'a third large one would pass the large share');
    const small = await Promise.race([b.acquire(1 * MB), new Promise<null>((r) => setTimeout(() => r(null), 50))]);
    assert.notEqual(small, null, 'a small render is not queued behind the large ones');
    big[0]?.();
    await p3;
    assert.equal(third, true);
  });

  test('large renders keep their order; a later smaller large one does not jump the queue', async () => {
    const b = new RenderBudget({ capacityBytes: 100 * MB, largeAboveBytes: 1 * MB, largeShare: 1 });
    const first = await b.acquire(90 * MB);
    const order: string[] = [];
    const a = b.acquire(50 * MB).then((r) => (order.push('a'), r));
    const c = b.acquire(5 * MB).then((r) => (order.push('c'), r));
    await tick();
    assert.deepEqual(order, [], 'c (5 MB) would fit, but a came first');
    first();
    (await a)();
    (await c)();
    assert.deepEqual(order, ['a', 'c']);
  });

  test('a request above the capacity is clamped: it runs alone instead of never', async () => {
    const b = new RenderBudget({ capacityBytes: 10 * MB });
    const r = await b.acquire(1e12);
    assert.ok(b.inUse <= 10 * MB);
    r();
    assert.throws(() => new RenderBudget({ capacityBytes: 0 }), RangeError);
  });

  test('costs: a streamed render costs its strips, not its size; a buffered one grows with its pixels', () => {
    const streamed = renderCost('streamed', 260e6, 260e6, 2 * MB);
    assert.ok(streamed < 64 * MB, String(streamed));
    assert.equal(renderCost('streamed', 260e6, 65e6, 2 * MB), 4 * streamed, 'downsampling reads more rows per strip (capped at 4x)');
    assert.ok(renderCost('buffered', 16e6, 16e6, 0) > 100 * MB);
    assert.ok(renderCost('buffered', 65536, 65536, 0) < 2 * MB);
  });
});
