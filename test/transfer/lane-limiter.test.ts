import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LaneLimiter } from '../../src/transfer/lane-limiter.js';

/**
 * A fake clock: sleepers wake in time order when `advance()` jumps the clock to the earliest
 * wake-up, so concurrent sleeps overlap as they would on a real timer.
 */
function fakeClock(): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  slept: number[];
  advance: () => boolean;
} {
  let t = 0;
  const slept: number[] = [];
  const sleepers: Array<{ at: number; wake: () => void }> = [];
  return {
    now: () => t,
    slept,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        slept.push(ms);
        sleepers.push({ at: t + ms, wake: resolve });
      }),
    advance: () => {
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift();
      if (next === undefined) return false;
      t = Math.max(t, next.at);
      next.wake();
      return true;
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LaneLimiter', () => {
  test('never grants more than `concurrency` slots and serves waiters first-in first-out', async () => {
    const lane = new LaneLimiter({ concurrency: 2, minIntervalMs: 0 });
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const all = [0, 1, 2, 3, 4].map(async (i) => {
      const release = await lane.acquire();
      order.push(i);
      releases.push(release);
    });
    await tick();
    assert.deepEqual(order, [0, 1]);
    assert.equal(lane.active, 2);
    assert.equal(lane.waiting, 3);
    releases[0]?.();
    await tick();
    assert.deepEqual(order, [0, 1, 2]);
    assert.equal(lane.active, 2);
    releases[1]?.();
    releases[2]?.();
    await tick();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    for (const r of releases) r();
    await Promise.all(all);
    assert.equal(lane.active, 0);
  });

  test('spaces grant starts by minIntervalMs (fake clock)', async () => {
    const clock = fakeClock();
    const lane = new LaneLimiter({ concurrency: 10, minIntervalMs: 1000 }, clock);
    const starts: number[] = [];
    const all = Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const release = await lane.acquire();
        starts.push(i, clock.now());
        release();
      }),
    );
    do await tick();
    while (clock.advance());
    await all;
    // FIFO order, one second apart on the fake clock.
    assert.deepEqual(starts, [0, 0, 1, 1000, 2, 2000, 3, 3000]);
    assert.deepEqual(clock.slept, [1000, 2000, 3000]);
  });

  test('does not sleep when requests are already far enough apart', async () => {
    const clock = fakeClock();
    const lane = new LaneLimiter({ concurrency: 1, minIntervalMs: 1000 }, clock);
    (await lane.acquire())();
    const pause = clock.sleep(5000);
    clock.advance();
    await pause;
    clock.slept.length = 0;
    (await lane.acquire())();
    assert.deepEqual(clock.slept, []);
  });

  test('an aborted waiter leaves the queue and the slot goes to the next one', async () => {
    const lane = new LaneLimiter({ concurrency: 1, minIntervalMs: 0 });
    const first = await lane.acquire();
    const ac = new AbortController();
    const aborted = lane.acquire(ac.signal);
    const third = lane.acquire();
    await tick();
    assert.equal(lane.waiting, 2);
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(lane.waiting, 1);
    first();
    const release3 = await third;
    assert.equal(lane.active, 1);
    release3();
    assert.equal(lane.active, 0);
  });

  test('an abort during the interval wait gives the slot back', async () => {
    const lane = new LaneLimiter(
      { concurrency: 1, minIntervalMs: 1000 },
      { sleep: (_ms, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) },
    );
    (await lane.acquire())();
    const ac = new AbortController();
    const pending = lane.acquire(ac.signal);
    await tick();
    assert.equal(lane.active, 1);
    ac.abort(new Error('cancelled'));
    await assert.rejects(pending, /cancelled/);
    assert.equal(lane.active, 0);
  });

  test('rejects at once when the signal is already aborted', async () => {
    const lane = new LaneLimiter({ concurrency: 1, minIntervalMs: 0 });
    await assert.rejects(lane.acquire(AbortSignal.abort(new Error('already'))), /already/);
    assert.equal(lane.active, 0);
  });
});
