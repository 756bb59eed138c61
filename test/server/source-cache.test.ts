import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import { SourceCache } from '../../src/server/girder/source-cache.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import type { SlideSource } from '../../src/slides/types.js';
import { A12_SLIDES, constantSlide, fixture, get } from './fixtures.js';

/** A slide source factory that counts opens and closes per key. */
function counting(): { open: (key: string) => () => Promise<SlideSource>; opened: Map<string, number>; closed: Map<string, number>; live: () => number } {
  const opened = new Map<string, number>();
  const closed = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  return {
    opened,
    closed,
    live: () => [...opened.values()].reduce((a, b) => a + b, 0) - [...closed.values()].reduce((a, b) => a + b, 0),
    open: (key) => async () => {
      bump(opened, key);
      const source = constantSlide(1000, 800, [1], { mm: 0.000252, mag: 40 });
      return { ...source, close: async () => bump(closed, key) };
    },
  };
}

describe('SourceCache (open slide sources, LRU)', () => {
  test('reuses an open source, closes the least recently used idle one beyond the bound', async () => {
    const c = counting();
    const cache = new SourceCache(2);
    for (const key of ['a', 'b', 'a', 'c']) (await cache.acquire(key, c.open(key))).release();
    assert.equal(c.opened.get('a'), 1, 'a was reused, not reopened');
    await new Promise((r) => setImmediate(r));
    // Order of use a, b, a, c: b is the least recently used when c arrives.
    assert.deepEqual([...c.closed.keys()], ['b']);
    assert.equal(cache.size, 2);
    assert.equal(c.live(), 2);
    (await cache.acquire('b', c.open('b'))).release();
    assert.equal(c.opened.get('b'), 2, 'an evicted source is opened again');
    await cache.close();
    assert.equal(c.live(), 0, 'close() closes everything');
  });

  test('a source being read is never closed; it is trimmed once released', async () => {
    const c = counting();
    const cache = new SourceCache(1);
    const a = await cache.acquire('a', c.open('a'));
    const b = await cache.acquire('b', c.open('b'));
    await new Promise((r) => setImmediate(r));
    assert.equal(c.closed.size, 0, 'both in use: over the bound, nothing closed');
    const rect = { left: 0, top: 0, width: 4, height: 4 };
    assert.equal((await a.source.readRaw(0, rect)).data.length, 48);
    a.release();
    a.release(); // idempotent
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...c.closed.keys()], ['a']);
    b.release();
    assert.equal(cache.size, 1);
  });

  test('a failed open is reported to its caller and retried by the next one', async () => {
    const cache = new SourceCache(2);
    let calls = 0;
    const flaky = async (): Promise<SlideSource> => {
      calls += 1;
      if (calls === 1) throw new Error('disk on fire');
      return constantSlide(10, 10, [1], { mm: null, mag: null });
    };
    await assert.rejects(cache.acquire('x', flaky), /disk on fire/);
    assert.equal(cache.size, 0);
    const lease = await cache.acquire('x', flaky);
    assert.equal(lease.source.width, 10);
    lease.release();
    assert.throws(() => new SourceCache(0), RangeError);
  });
});

describe('the server keeps a bounded number of slides open', () => {
  let server: RunningServer;
  const c = counting();
  let ids: string[] = [];
  before(async () => {
    const fx = await fixture();
    const virtual = new Set<string>(Object.values(A12_SLIDES));
    const items: ServedItem[] = fx.dataset.items
      .filter((i) => virtual.has(i.name))
      .map((i) => ({ ...i, slide: { ...(i.slide as NonNullable<ServedItem['slide']>), open: c.open(i.id) } }));
    ids = items.map((i) => i.id);
    const dataset: ServedDataset = { ...fx.dataset, items };
    server = await startServer({ dataset, maxOpenSlides: 2 });
  });
  after(() => server.close());

  test('repeated renders of one slide open it once; many slides never keep more than the bound open', async () => {
    const region = (id: string): string => `${server.urls.girder}/item/${id}/tiles/region?left=0&top=0&right=64&bottom=64&encoding=PNG`;
    const first = ids[0] as string;
    for (let i = 0; i < 5; i++) assert.equal((await get(region(first))).status, 200);
    assert.equal(c.opened.get(first), 1, 'the open cost is not paid per request');
    for (const id of ids) assert.equal((await get(region(id))).status, 200);
    await new Promise((r) => setImmediate(r));
    assert.ok(ids.length > 2);
    assert.equal(c.live(), 2, `open sources after ${ids.length} slides`);
    const burst = await Promise.all(ids.flatMap((id) => [get(region(id)), get(region(id))]));
    assert.ok(burst.every((r) => r.status === 200));
    await new Promise((r) => setImmediate(r));
    assert.equal(c.live(), 2, 'bounded again once the burst is over');
  });
});
