import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer, type Fixture } from './fixtures.js';
import { readZip } from './zip-reader.js';

describe('Girder downloads (docs/protocols.md#girder-file-download, #girder-item-download)', () => {
  let server: RunningServer & { fx: Fixture };
  let api: string;
  let bytes: Buffer;
  let size: number;
  before(async () => {
    server = await startFixtureServer();
    api = server.urls.girder;
    bytes = server.fx.slideBytes;
    size = bytes.length;
  });
  after(() => server.close());

  const download = (headers: Record<string, string> = {}, query = ''): ReturnType<typeof get> =>
    get(`${api}/file/${IDS.slideFile}/download${query}`, { headers });

  test('whole file: 200 with Content-Length, Accept-Ranges, Content-Disposition, no ETag', async () => {
    const r = await download();
    assert.equal(r.status, 200);
    assert.ok(r.bytes.equals(bytes));
    assert.equal(r.headers.get('content-length'), String(size));
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('content-type'), 'image/tiff');
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="TCGA-A1-A0SK-01Z-00-DX1.test.svs"');
    assert.equal(r.headers.get('content-range'), null);
    assert.equal(r.headers.get('etag'), null);
  });

  test('Range cases of the table of docs/protocols.md#girder-file-download', async () => {
    const cases: Array<[string, number, number, string]> = [
      ['bytes=100-199', 100, 200, `bytes 100-199/${size}`],
      [`bytes=${size - 10}-`, size - 10, size, `bytes ${size - 10}-${size - 1}/${size}`],
      ['bytes=-10', size - 10, size, `bytes ${size - 10}-${size - 1}/${size}`],
      [`bytes=-${size + 5}`, 0, size, `bytes 0-${size - 1}/${size}`],
      ['bytes=0-9,20-29', 0, 10, `bytes 0-9/${size}`],
      ['bytes=200-100', 0, size, `bytes 0-${size - 1}/${size}`],
      [`bytes=${size + 1}-`, 0, size, `bytes 0-${size - 1}/${size}`],
      [`bytes=5-${size * 2}`, 5, size, `bytes 5-${size - 1}/${size}`],
    ];
    for (const [range, start, end, contentRange] of cases) {
      const r = await download({ Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get('content-range'), contentRange, range);
      assert.equal(r.headers.get('content-length'), String(end - start), range);
      assert.ok(r.bytes.equals(bytes.subarray(start, end)), range);
    }
    const malformed = await download({ Range: 'bytes' });
    assert.equal(malformed.status, 500);
    assert.equal(JSON.parse(malformed.text).type, 'internal');
  });

  test('offset/endByte (exclusive), the /download/{name} alias, contentDisposition', async () => {
    const r = await download({}, '?offset=10&endByte=20');
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 10-19/${size}`);
    assert.ok(r.bytes.equals(bytes.subarray(10, 20)));
    const alias = await get(`${api}/file/${IDS.slideFile}/download/anything.svs?offset=${size - 3}`);
    assert.ok(alias.bytes.equals(bytes.subarray(size - 3)));
    const inline = await download({}, '?contentDisposition=inline&endByte=1');
    assert.match(inline.headers.get('content-disposition') ?? '', /^inline; /);
    const bad = await download({}, '?contentDisposition=sideways');
    assert.equal(bad.status, 400);
    const unicode = await get(`${api}/file/${IDS.docFileB}/download?endByte=0`);
    assert.equal(unicode.headers.get('content-disposition'), `attachment; filename="b \u00e9 \\"q\\".txt"; filename*=UTF-8''b%20%C3%A9%E2%98%83%20%22q%22.txt`);
    assert.equal(unicode.headers.get('content-type'), 'application/octet-stream');
    assert.equal(unicode.bytes.length, 0);
  });

  test('item download: one file is that file (Range present → 206, not parsed)', async () => {
    const r = await get(`${api}/item/${IDS.slideItem}/download`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 0-${size - 1}/${size}`);
    assert.ok(r.bytes.equals(bytes));
    const plain = await get(`${api}/item/${IDS.slideItem}/download`);
    assert.equal(plain.status, 200);
    assert.equal(plain.bytes.length, size);
  });

  test('item download: several files or format=zip → streamed stored ZIP without Content-Length', async () => {
    const r = await get(`${api}/item/${IDS.docItem}/download`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/zip');
    assert.equal(r.headers.get('content-length'), null);
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="notes.zip"');
    const entries = readZip(r.bytes);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['notes/a.txt', 'notes/b \u00e9\u2603 "q".txt'],
    );
    assert.equal(entries[0]?.data.toString(), 'hello, world\n');
    assert.ok(entries.every((e) => e.crcOk));
    assert.equal(entries[1]?.data.length, 70_000);
    const single = await get(`${api}/item/${IDS.slideItem}/download?format=zip`);
    const one = readZip(single.bytes);
    assert.equal(one.length, 1);
    assert.ok(one[0]?.data.equals(bytes));
    const tar = await get(`${api}/item/${IDS.docItem}/download?format=tar`);
    assert.equal(tar.status, 400);
    assert.equal(tar.text, '{"message": "Unsupported format: tar.", "type": "rest"}');
  });

  test('the log counts the body bytes sent', async () => {
    server.resetLog();
    await download({ Range: 'bytes=0-99' });
    assert.equal(server.log.length, 1);
    assert.deepEqual([server.log[0]?.status, server.log[0]?.bytes, server.log[0]?.service], [206, 100, 'girder']);
    assert.equal(server.counters()['girder.status.206'], 1);
  });
});
