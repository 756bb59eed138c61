import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer, type Fixture } from './fixtures.js';

describe('1000 concurrent mixed requests', () => {
  let server: RunningServer & { fx: Fixture };
  before(async () => {
    server = await startFixtureServer();
  });
  after(() => server.close());

  test('every request is answered correctly and the server stays up', async () => {
    const api = server.urls.girder;
    const bytes = server.fx.slideBytes;
    const kinds: Array<(i: number) => Promise<void>> = [
      async (i) => {
        const r = await get(`${api}/item?folderId=${IDS.manyFolder}&limit=10&offset=${i % 100}`);
        assert.equal(r.status, 200);
        assert.equal(JSON.parse(r.text).length, 10);
      },
      async () => {
        const r = await get(`${api}//item/${IDS.slideItem}`);
        assert.equal(JSON.parse(r.text)._id, IDS.slideItem);
      },
      async (i) => {
        const start = (i * 7919) % (bytes.length - 1000);
        const r = await get(`${api}/file/${IDS.slideFile}/download`, { headers: { Range: `bytes=${start}-${start + 999}` } });
        assert.equal(r.status, 206);
        assert.ok(r.bytes.equals(bytes.subarray(start, start + 1000)));
      },
      async () => {
        const r = await get(`${api}/item/${IDS.slideItem}/tiles`);
        assert.equal(JSON.parse(r.text).levels, 5);
      },
      async (i) => {
        const x = (i * 37) % 2000;
        const r = await get(`${api}/item/${IDS.slideItem}/tiles/region?left=${x}&top=${x}&right=${x + 64}&bottom=${x + 48}&encoding=PNG`);
        assert.equal(r.status, 200);
        assert.deepEqual([r.bytes.readUInt32BE(16), r.bytes.readUInt32BE(20)], [64, 48]);
      },
      async () => {
        const r = await get(`${api}/annotation/item/${IDS.slideItem}`);
        assert.equal(JSON.parse(r.text).length, 2);
      },
      async () => {
        const r = await get(`${api}/item/not-an-id`);
        assert.equal(r.status, 400);
      },
      async () => {
        const r = await get(`${api}/nosuchresource`);
        assert.equal(r.status, 404);
      },
    ];
    const N = 1000;
    const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => (kinds[i % kinds.length] as (i: number) => Promise<void>)(i)));
    const failures = results.filter((r) => r.status === 'rejected');
    assert.equal(failures.length, 0, String((failures[0] as PromiseRejectedResult | undefined)?.reason));
    const after = await get(`${api}/item/${IDS.slideItem}`);
    assert.equal(after.status, 200);
    const c = server.counters();
    assert.equal(c.requests, N + 1);
    assert.equal(c['status.400'], N / kinds.length);
  });
});
