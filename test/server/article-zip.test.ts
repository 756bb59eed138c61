import assert from 'node:assert/strict';
import { buffer as readStream } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { createFigshareHandler } from '../../src/server/figshare/figshare-handler.js';
import { zipLayout, zipRange } from '../../src/server/figshare/zip-layout.js';
import { md5, mountHandler, syntheticDataset } from './figshare-test-server.js';

const ARTICLE = 7193138;

/** Every member of an archive, read by yauzl (an independent, widely used reader). */
async function unzipAll(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true, validateEntrySizes: true });
  const out = new Map<string, Buffer>();
  for await (const entry of file.eachEntry()) {
    assert.equal(entry.generalPurposeBitFlag & 0x8, 0x8, `${entry.fileName} announces a data descriptor`);
    out.set(entry.fileName, await readStream(await file.openReadStreamPromise(entry)));
  }
  return out;
}

describe('figshare article ZIP', () => {
  const dataset = syntheticDataset({ masks: 12, slides: 0 });
  let clock = 1_700_000_000_000;
  let server: Awaited<ReturnType<typeof mountHandler>>;
  let base = '';
  before(async () => {
    server = await mountHandler('/figshare', (baseUrl) => createFigshareHandler(dataset, { baseUrl, now: () => clock, urlTtlMs: 10_000 }));
    base = server.baseUrl;
  });
  after(() => server.close());

  const signedUrl = async (version = 1): Promise<Response> => fetch(`${base}/ndownloader/articles/${ARTICLE}/versions/${version}`, { redirect: 'manual' });

  test('302 to a pre-signed blob URL, then one stored ZIP of every file that yauzl reads', async () => {
    const hop = await signedUrl();
    assert.equal(hop.status, 302);
    const location = hop.headers.get('location') ?? '';
    assert.match(location, /\/blob\/article-7193138-v1\?expires=\d+&sig=[0-9a-f]{64}$/);
    const res = await fetch(location);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), body.length);
    const members = await unzipAll(body);
    assert.deepEqual([...members.keys()], dataset.figshare.files.map((f) => f.name));
    for (const f of dataset.figshare.files) {
      assert.equal(md5(members.get(f.name) as Buffer), (await f.meta()).md5, f.name);
    }
    // Deterministic: a second download is byte-identical and has the same ETag.
    const again = await fetch((await signedUrl()).headers.get('location') ?? '');
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(body));
    assert.equal(again.headers.get('etag'), res.headers.get('etag'));
  });

  test('Range gives exactly the asked bytes; past the end is 416', async () => {
    const location = (await signedUrl()).headers.get('location') ?? '';
    const whole = Buffer.from(await (await fetch(location)).arrayBuffer());
    for (const [first, last] of [[0, 29], [100, 2000], [whole.length - 22, whole.length - 1]] as const) {
      const part = await fetch(location, { headers: { Range: `bytes=${first}-${last}` } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes ${first}-${last}/${whole.length}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(first, last + 1)));
    }
    const tail = await fetch(location, { headers: { Range: `bytes=${whole.length - 100}-` } });
    assert.ok(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 100)));
    const past = await fetch(location, { headers: { Range: `bytes=${whole.length}-` } });
    assert.equal(past.status, 416);
    await past.arrayBuffer();
  });

  test('an unknown version is a 404; an expired or forged URL a 403', async () => {
    const missing = await signedUrl(2);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'EntityNotFound');
    const location = (await signedUrl()).headers.get('location') ?? '';
    // Flip the signature's first digit (the signing secret is random per start, so any digit may come first).
    const forged = await fetch(location.replace(/sig=([0-9a-f])/, (_m, d: string) => `sig=${d === '0' ? '1' : '0'}`));
    assert.equal(forged.status, 403);
    await forged.arrayBuffer();
    clock += 60_000;
    const expired = await fetch(location);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /AccessDenied/);
  });
});

describe('zip layout', () => {
  const members = ['a.png', 'b/c.png', 'd.png'].map((name, i) => {
    const data = Buffer.alloc(1000 + 333 * i, i + 1);
    return { name, data, size: data.length, crc: crc32(data), modified: new Date('2019-11-12T16:05:11Z') };
  });
  const build = async (zip64: boolean): Promise<Buffer> => {
    const layout = zipLayout(members, { zip64 });
    const chunks: Buffer[] = [];
    for await (const c of zipRange(layout, 0, layout.length - 1, async (i) => (members[i] as { data: Buffer }).data)) chunks.push(c);
    const out = Buffer.concat(chunks);
    assert.equal(out.length, layout.length);
    return out;
  };

  test('with ZIP64 records on every member, yauzl reads the same members', async () => {
    for (const zip64 of [false, true]) {
      const zip = await build(zip64);
      assert.equal(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), zip64, 'ZIP64 end record only when asked');
      const got = await unzipAll(zip);
      for (const m of members) assert.ok(got.get(m.name)?.equals(m.data), `${m.name} (zip64=${zip64})`);
    }
  });
});
