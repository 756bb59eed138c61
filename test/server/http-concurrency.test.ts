import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { A12_SLIDES, get, IDS, itemIdByName, startFixtureServer, type Fixture } from './fixtures.js';

describe('1000 concurrent mixed requests', () => {
  // Two things a loaded machine turns into ECONNRESETs that say nothing about the server:
  //   - 1000 connections open at once, answered by this same process: its event loop can fall
  //     behind accepting, and with Node's default backlog (511) the kernel drops the excess
  //     connection attempts before the server sees them. Room for every connection.
  //   - A server per test (a few ms to start): with one shared server the second burst would go
  //     out over the first burst's idle keep-alive connections, some of which reach the server's
  //     5 s idle timeout just as fetch writes on them (the keep-alive race clients retry).
  let server: RunningServer & { fx: Fixture };
  beforeEach(async () => {
    server = await startFixtureServer({ listenBacklog: 2048 });
  });
  afterEach(() => server.close());

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

  test('1000 concurrent malformed requests all get a clear 4xx with a message, and the server keeps serving', async () => {
    const api = server.urls.girder;
    const region = `${api}/item/${IDS.slideItem}/tiles/region`;
    const huge = `${api}/item/${itemIdByName(server.fx, A12_SLIDES.svs40)}/tiles/region`;
    const json = { 'Content-Type': 'application/json' };
    const cases: Array<[string, RequestInit | undefined, RegExp]> = [
      [`${api}/item/${'z'.repeat(24)}`, undefined, /Invalid ObjectId/],
      [`${api}/item/${'b'.repeat(24)}/tiles/region`, undefined, /Invalid item id/],
      [`${region}?left=NaN&right=10`, undefined, /finite left/],
      [`${region}?right=Infinity`, undefined, /finite right/],
      [`${region}?width=-3`, undefined, /non-negative integer width/],
      [`${region}?width=1e9`, undefined, /"width" parameter is an incorrect type/],
      [`${region}?magnification=-1`, undefined, /non-negative magnification/],
      [`${huge}?encoding=PNG`, undefined, /too large/],
      [`${huge}?mm_x=1e-300&mm_y=1e-300`, undefined, /too large/],
      [`${api}/item?folderId=${IDS.manyFolder}&limit=abc`, undefined, /integer parameter limit/],
      [`${api}/item?folderId=${IDS.manyFolder}&sortdir=0`, undefined, /Allowed values/],
      [`${api}/api_key/token`, { method: 'POST', headers: json, body: '{"key": ' }, /"key" is required/],
      [`${api}/item?folderId=${IDS.manyFolder}&q=${'x'.repeat(20_000)}`, undefined, /^$/],
    ];
    const N = 1000;
    const results = await Promise.allSettled(
      Array.from({ length: N }, async (_, i) => {
        const [url, init, message] = cases[i % cases.length] as [string, RequestInit | undefined, RegExp];
        const r = await get(url, init);
        assert.ok(r.status >= 400 && r.status < 500, `${url.slice(0, 120)} → ${r.status}`);
        const text = r.status === 400 && r.headers.get('content-type') === 'application/json' ? (JSON.parse(r.text) as { message: string }).message : '';
        assert.match(text, message, url.slice(0, 120));
      }),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    assert.equal(failures.length, 0, String((failures[0] as PromiseRejectedResult | undefined)?.reason));
    assert.equal((await get(`${api}/item/${IDS.slideItem}`)).status, 200);
  });
});
