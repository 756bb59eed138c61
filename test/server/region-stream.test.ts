import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer } from './fixtures.js';

async function raw(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('huge regions are rendered in strips (bounded memory) with the same result', () => {
  let buffered: RunningServer;
  let streamed: RunningServer;
  before(async () => {
    buffered = await startFixtureServer();
    // Tiny thresholds so that ordinary regions take the streaming path.
    streamed = await startFixtureServer({ regionLimits: { streamAbovePixels: 10_000, maxStripPixels: 30_000 } });
  });
  after(async () => {
    await buffered.close();
    await streamed.close();
  });

  const path = (q: string): string => `/item/${IDS.slideItem}/tiles/region?${q}`;

  test('PNG at base resolution: identical pixels, RGB, chunked', async () => {
    const q = 'left=300&top=400&right=700&bottom=650&encoding=PNG';
    const a = await get(buffered.urls.girder + path(q));
    const b = await get(streamed.urls.girder + path(q));
    assert.equal(b.status, 200);
    assert.equal(b.headers.get('content-length'), null, 'streamed without Content-Length');
    assert.deepEqual(streamed.log.at(-1)?.notes, ['region streamed (PNG strips)']);
    assert.equal(b.bytes[25], 2);
    const [ra, rb] = [await raw(a.bytes), await raw(b.bytes)];
    assert.deepEqual([rb.width, rb.height, rb.channels], [400, 250, 3]);
    assert.ok(ra.data.equals(rb.data));
  });

  test('PNG resampled (mm_x): RGBA, same size, pixels within 2 of the buffered render', async () => {
    for (const q of ['left=0&top=0&right=500&bottom=300&mm_x=0.00025&mm_y=0.00025&encoding=PNG', 'left=0&top=0&right=500&bottom=300&magnification=5&encoding=PNG']) {
      const [ra, rb] = [await raw((await get(buffered.urls.girder + path(q))).bytes), await raw((await get(streamed.urls.girder + path(q))).bytes)];
      assert.deepEqual([rb.width, rb.height, rb.channels], [ra.width, ra.height, 4], q);
      let worst = 0;
      let differing = 0;
      for (let i = 0; i < ra.data.length; i++) {
        const d = Math.abs((ra.data[i] as number) - (rb.data[i] as number));
        worst = Math.max(worst, d);
        if (d > 0) differing++;
      }
      // Strips resample with the same weights as one whole-image pass; libvips' own rounding of
      // its intermediate values can still differ by a unit or two on a few samples.
      assert.ok(worst <= 2, `${q}: max difference ${worst}`);
      assert.ok(differing / ra.data.length < 0.05, `${q}: ${differing} samples differ`);
    }
  });

  test('JPEG via a temporary PNG: same size and practically the same image', async () => {
    const q = 'left=100&top=100&right=500&bottom=400';
    const a = await get(buffered.urls.girder + path(q));
    const b = await get(streamed.urls.girder + path(q));
    assert.equal(b.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(streamed.log.at(-1)?.notes, ['region streamed (via temporary PNG)']);
    const meta = await sharp(b.bytes).metadata();
    assert.deepEqual([meta.width, meta.height, meta.chromaSubsampling], [400, 300, '4:4:4']);
    const [ra, rb] = [await raw(a.bytes), await raw(b.bytes)];
    let sum = 0;
    for (let i = 0; i < ra.data.length; i++) sum += Math.abs((ra.data[i] as number) - (rb.data[i] as number));
    assert.ok(sum / ra.data.length < 1, `mean difference ${sum / ra.data.length}`);
  });
});

describe('a slow reader of a huge region keeps no one else waiting (issue 9, item 7)', () => {
  test('with one render worker, a streamed region nobody reads does not block a small region', async () => {
    const { request } = await import('node:http');
    const server = await startFixtureServer({
      regionLimits: { streamAbovePixels: 10_000, maxStripPixels: 30_000 },
      faults: { girder: { renderConcurrency: 1 } },
      renderMemoryMb: 16,
    });
    try {
      const big = `${server.urls.girder}/item/${IDS.slideItem}/tiles/region?left=0&top=0&right=2220&bottom=2967&magnification=40&encoding=PNG`;
      // Open the stream and never read it: the socket's buffers fill and the server must wait.
      const stalled = request(big);
      const headers = new Promise<void>((resolve) => stalled.once('response', (res) => (res.pause(), resolve())));
      stalled.end();
      await headers;
      // Liveness, not speed: before the fix the small render waited for the stalled one forever.
      const small = await Promise.race([
        get(`${server.urls.girder}/item/${IDS.slideItem}/tiles/region?left=0&top=0&right=64&bottom=64`),
        new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 10_000).unref()),
      ]);
      assert.notEqual(small, 'blocked', 'the small region waited behind a stream nobody reads');
      assert.equal(small === 'blocked' ? 0 : small.status, 200);
      stalled.destroy();
    } finally {
      await server.close();
    }
  });
});
