import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGdcHandler } from '../../src/server/gdc/gdc-handler.js';
import { md5, mountHandler, syntheticDataset } from './figshare-test-server.js';

interface Hit {
  id: string;
  file_id: string;
  file_name: string;
  md5sum?: string;
  file_size?: number;
  access?: string;
}
interface Envelope {
  data: { hits: Hit[]; pagination: { count: number; total: number; size: number; from: number; page: number; pages: number } };
  warnings: object;
}

describe('GDC handler', () => {
  const dataset = syntheticDataset({ masks: 0, slides: 15, controlled: [14] });
  const files = dataset.gdc.files;
  let server: Awaited<ReturnType<typeof mountHandler>>;
  let base = '';

  before(async () => {
    server = await mountHandler('/gdc', (baseUrl) => createGdcHandler(dataset, { baseUrl }));
    base = server.baseUrl;
  });
  after(() => server.close());

  const post = async (path: string, body: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const names = files.slice(0, 12).map((f) => f.fileName);
  const inNames = { op: 'in', content: { field: 'files.file_name', value: names } };

  test('POST /files without size returns 10 hits; pagination tells the truth', async () => {
    const { status, json } = await post('/files', { filters: inNames, fields: 'file_id,file_name,md5sum,file_size' });
    assert.equal(status, 200);
    const env = json as Envelope;
    assert.equal(env.data.hits.length, 10);
    assert.deepEqual(env.data.pagination, { count: 10, total: 12, size: 10, from: 0, sort: '', page: 1, pages: 2 });
    assert.deepEqual(env.warnings, {});
    const hit = env.data.hits[0] as Hit;
    assert.deepEqual(Object.keys(hit).sort(), ['file_id', 'file_name', 'file_size', 'id', 'md5sum']);
    const file = files.find((f) => f.fileName === hit.file_name);
    assert.equal(hit.md5sum, file?.md5);
    assert.equal(hit.file_size, file?.size);
  });

  test('size and from page through the matches', async () => {
    const all = (await post('/files', { filters: inNames, size: '12' })).json as Envelope;
    assert.deepEqual(all.data.hits.map((h) => h.file_name), names);
    const second = (await post('/files', { filters: inNames, size: 5, from: 5 })).json as Envelope;
    assert.deepEqual(second.data.hits.map((h) => h.file_name), names.slice(5, 10));
    assert.equal(second.data.pagination.page, 2);
    assert.equal(second.data.pagination.pages, 3);
  });

  test('filters as a JSON string in a GET query, =, and/or, file_id, and the /v0 alias', async () => {
    const target = files[3];
    assert.ok(target !== undefined);
    const q = (filters: unknown): string => `filters=${encodeURIComponent(JSON.stringify(filters))}&fields=file_name`;
    const eq = (await (await fetch(`${base}/v0/files?${q({ op: '=', content: { field: 'file_id', value: target.fileId } })}`)).json()) as Envelope;
    assert.deepEqual(eq.data.hits.map((h) => h.file_name), [target.fileName]);
    const or = {
      op: 'or',
      content: [
        { op: '=', content: { field: 'files.file_id', value: files[1]?.fileId } },
        { op: 'in', content: { field: 'file_name', value: [files[2]?.fileName] } },
      ],
    };
    const orHits = (await (await fetch(`${base}/files?${q(or)}`)).json()) as Envelope;
    assert.deepEqual(orHits.data.hits.map((h) => h.file_name), [files[1]?.fileName, files[2]?.fileName]);
    const and = { op: 'and', content: [inNames, { op: '=', content: { field: 'files.file_name', value: files[0]?.fileName } }] };
    const andHits = (await post('/files', { filters: JSON.stringify(and) })).json as Envelope;
    assert.deepEqual(andHits.data.hits.map((h) => h.file_name), [files[0]?.fileName]);
  });

  test('bad filters are a 400 with a message', async () => {
    for (const filters of ['{not json', { op: 'like', content: { field: 'file_name', value: 'x' } }, { op: 'in', content: { field: 'nope', value: ['x'] } }]) {
      const { status, json } = await post('/files', { filters });
      assert.equal(status, 400, JSON.stringify(filters));
      assert.equal(typeof (json as { message: unknown }).message, 'string');
    }
    const badSize = await post('/files', { size: -1 });
    assert.equal(badSize.status, 400);
  });

  test('format=TSV lists the requested fields', async () => {
    const res = await fetch(`${base}/files?format=TSV&size=3&fields=file_name,md5sum`);
    const lines = (await res.text()).trim().split(/\r?\n/);
    assert.equal(lines[0], 'id\tfile_name\tmd5sum');
    assert.equal(lines.length, 4);
    assert.equal(lines[1], `${files[0]?.fileId}\t${files[0]?.fileName}\t${files[0]?.md5}`);
  });

  test('GET /files/{id}; unknown id → 404', async () => {
    const target = files[5];
    const res = await fetch(`${base}/files/${target?.fileId}`);
    const json = (await res.json()) as { data: Hit };
    assert.equal(json.data.file_name, target?.fileName);
    const missing = await fetch(`${base}/files/00000000-0000-4000-8000-999999999999`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });

  test('GET /data/{id}: attachment name, length and a hex Content-MD5 equal to the body md5', async () => {
    const target = files[7];
    assert.ok(target !== undefined);
    const res = await fetch(`${base}/data/${target.fileId}`);
    assert.equal(res.status, 200);
    const body = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.headers.get('content-disposition'), `attachment; filename=${target.fileName}`);
    assert.equal(Number(res.headers.get('content-length')), target.size);
    assert.equal(body.length, target.size);
    assert.match(res.headers.get('content-md5') ?? '', /^[0-9a-f]{32}$/);
    assert.equal(res.headers.get('content-md5'), md5(body));
  });

  test('an inclusive Range gives 206 with exactly those bytes', async () => {
    const target = files[8];
    assert.ok(target !== undefined);
    const whole = Buffer.from(await (await fetch(`${base}/data/${target.fileId}`)).arrayBuffer());
    const res = await fetch(`${base}/data/${target.fileId}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 10-19/${target.size}`);
    assert.equal(res.headers.get('content-length'), '10');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), whole.subarray(10, 20));
    const tail = await fetch(`${base}/data/${target.fileId}`, { headers: { Range: `bytes=${target.size - 5}-${target.size + 100}` } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), whole.subarray(target.size - 5));
  });

  test('unknown id → 404 JSON; controlled file → 403 without X-Auth-Token, 200 with one', async () => {
    const missing = await fetch(`${base}/data/00000000-0000-4000-8000-999999999999`);
    assert.equal(missing.status, 404);
    assert.equal(typeof ((await missing.json()) as { message: unknown }).message, 'string');
    const controlled = files[14];
    assert.ok(controlled !== undefined && controlled.access === 'controlled');
    const denied = await fetch(`${base}/data/${controlled.fileId}`);
    assert.equal(denied.status, 403);
    await denied.arrayBuffer();
    const allowed = await fetch(`${base}/data/${controlled.fileId}`, { headers: { 'X-Auth-Token': 'secret-token' } });
    assert.equal(allowed.status, 200);
    assert.equal(md5(new Uint8Array(await allowed.arrayBuffer())), controlled.md5);
  });

  test('a file name outside latin-1 (a --data slide) still downloads, with an RFC 5987 filename*', async () => {
    const first = files[0];
    assert.ok(first !== undefined);
    const odd = { ...first, fileId: '00000000-0000-4000-8000-00000000abcd', fileName: 'Schnitt \u2603 \u00fc.svs' };
    const own = await mountHandler('/gdc', (baseUrl) => createGdcHandler({ ...dataset, gdc: { files: [odd] } }, { baseUrl }));
    try {
      const res = await fetch(`${own.baseUrl}/data/${odd.fileId}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), "attachment; filename=Schnitt _ _.svs; filename*=UTF-8''Schnitt%20%E2%98%83%20%C3%BC.svs");
      assert.equal(md5(new Uint8Array(await res.arrayBuffer())), odd.md5);
    } finally {
      await own.close();
    }
  });
});
