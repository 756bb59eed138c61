import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFigshareHandler } from '../../src/server/figshare/figshare-handler.js';
import { md5, mountHandler, syntheticDataset } from './figshare-test-server.js';

const ARTICLE = 7193138;
const PUBLIC_FILE_KEYS = ['computed_md5', 'download_url', 'id', 'is_link_only', 'mimetype', 'name', 'size', 'supplied_md5'];

describe('figshare handler', () => {
  const dataset = syntheticDataset({ masks: 25, slides: 0 });
  let clock = 1_700_000_000_000;
  let server: Awaited<ReturnType<typeof mountHandler>>;
  let base = '';

  before(async () => {
    server = await mountHandler('/figshare', (baseUrl) =>
      createFigshareHandler(dataset, { baseUrl, now: () => clock, urlTtlMs: 10_000 }),
    );
    base = server.baseUrl;
  });
  after(() => server.close());

  const getJson = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown; res: Response }> => {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown), res };
  };

  test('article lists at most 10 files, silently', async () => {
    const { status, body, res } = await getJson(`/v2/articles/${ARTICLE}`);
    assert.equal(status, 200);
    const doc = body as { id: number; files: { id: number }[]; version: number; download_disabled: boolean };
    assert.equal(doc.id, ARTICLE);
    assert.equal(doc.files.length, 10);
    assert.deepEqual(
      doc.files.map((f) => f.id),
      dataset.figshare.files.slice(0, 10).map((f) => f.id),
    );
    assert.equal(doc.download_disabled, false);
    assert.equal(res.headers.get('x-total-count'), null);
    const pinned = await getJson(`/v2/articles/${ARTICLE}/versions/1`);
    assert.equal(pinned.status, 200);
    assert.equal((pinned.body as { files: unknown[] }).files.length, 10);
  });

  test('ETag and Last-Modified allow 304 revalidation', async () => {
    const first = await fetch(`${base}/v2/articles/${ARTICLE}/files`);
    const etag = first.headers.get('etag');
    assert.ok(etag !== null && /^".+"$/.test(etag));
    assert.ok(first.headers.get('last-modified') !== null);
    await first.arrayBuffer();
    const again = await fetch(`${base}/v2/articles/${ARTICLE}/files`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    const other = await fetch(`${base}/v2/articles/${ARTICLE}/files`, { headers: { 'If-None-Match': '"nope"' } });
    assert.equal(other.status, 200);
    await other.arrayBuffer();
  });

  test('unknown article, version or file → 404 with message/code/data', async () => {
    for (const path of [`/v2/articles/1`, `/v2/articles/${ARTICLE}/versions/2`, `/v2/articles/${ARTICLE}/files/1`, '/ndownloader/files/1']) {
      const { status, body } = await getJson(path);
      assert.equal(status, 404, path);
      assert.deepEqual(Object.keys(body as object).sort(), ['code', 'data', 'message'], path);
    }
  });

  test('file listing pages with page/page_size (default 10) and limit/offset', async () => {
    const ids = (b: unknown): number[] => (b as { id: number }[]).map((f) => f.id);
    const all = dataset.figshare.files.map((f) => f.id);
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files`)).body), all.slice(0, 10));
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files?page=3`)).body), all.slice(20, 25));
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files?page=2&page_size=7`)).body), all.slice(7, 14));
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files?page=1&page_size=1000`)).body), all);
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files?limit=7&offset=20`)).body), all.slice(20, 25));
    assert.deepEqual(ids((await getJson(`/v2/articles/${ARTICLE}/files?page=4`)).body), []);
  });

  test('mixing pagination styles, bad values and windows past the 1000 cap → 422', async () => {
    for (const q of ['page=1&limit=5', 'page_size=10&offset=0', 'page_size=1001', 'page=2&page_size=1000', 'offset=995&limit=10', 'page=0', 'limit=abc']) {
      const { status, body } = await getJson(`/v2/articles/${ARTICLE}/files?${q}`);
      assert.equal(status, 422, q);
      const err = body as { message: string; code: string; data: unknown };
      assert.equal(typeof err.message, 'string');
      assert.equal(err.data, null);
    }
  });

  test('PublicFile fields and md5 truth of the downloaded bytes', async () => {
    const { body } = await getJson(`/v2/articles/${ARTICLE}/files?page_size=1000`);
    const files = body as Record<string, unknown>[];
    for (const f of files.slice(0, 4)) {
      assert.deepEqual(Object.keys(f).sort(), PUBLIC_FILE_KEYS);
      assert.equal(f.is_link_only, false);
      assert.equal(f.mimetype, 'image/png');
      assert.equal(f.download_url, `${base}/ndownloader/files/${String(f.id)}`);
      const res = await fetch(f.download_url as string);
      assert.equal(res.status, 200);
      assert.match(res.url, /\/figshare\/blob\/\d+\?expires=\d+&sig=[0-9a-f]{64}$/);
      assert.equal(res.headers.get('content-type'), 'image/png');
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(Number(res.headers.get('content-length')), f.size);
      assert.equal(bytes.length, f.size);
      assert.equal(md5(bytes), f.computed_md5);
    }
    const one = await getJson(`/v2/articles/${ARTICLE}/files/${String(files[3]?.id)}`);
    assert.deepEqual(one.body, files[3]);
  });

  test('both API download routes redirect (302) to a pre-signed blob URL', async () => {
    const id = dataset.figshare.files[2]?.id ?? 0;
    for (const path of [`/ndownloader/files/${id}`, `/v2/file/download/${id}`]) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 302, path);
      const location = res.headers.get('location') ?? '';
      assert.ok(location.startsWith(`${base}/blob/${id}?expires=${clock + 10_000}&sig=`), location);
    }
  });

  test('expired or tampered blob URLs answer 403 with an S3-style XML body', async () => {
    const id = dataset.figshare.files[0]?.id ?? 0;
    const location = (await fetch(`${base}/ndownloader/files/${id}`, { redirect: 'manual' })).headers.get('location') ?? '';
    const tampered = location.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    const bad = await fetch(tampered);
    assert.equal(bad.status, 403);
    assert.match(await bad.text(), /<Code>SignatureDoesNotMatch<\/Code>/);

    clock += 10_001;
    try {
      const expired = await fetch(location);
      assert.equal(expired.status, 403);
      assert.match(expired.headers.get('content-type') ?? '', /xml/);
      assert.match(await expired.text(), /<Error><Code>AccessDenied<\/Code><Message>Request has expired/);
      assert.ok(server.notes.some((n) => n.includes('expired')));
    } finally {
      clock -= 10_001;
    }
  });

  test('blob honours a single Range with 206 and rejects an unsatisfiable one', async () => {
    const file = dataset.figshare.files[1];
    assert.ok(file !== undefined);
    const bytes = await file.read();
    const location = (await fetch(`${base}/ndownloader/files/${file.id}`, { redirect: 'manual' })).headers.get('location') ?? '';
    const part = await fetch(location, { headers: { Range: 'bytes=0-7' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-7/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(0, 8));
    const tail = await fetch(location, { headers: { Range: 'bytes=100-' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(100));
    const beyond = await fetch(location, { headers: { Range: `bytes=${bytes.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
    await beyond.arrayBuffer();
  });

  test('the figshare.com web route answers scripts with a 202 HTML challenge', async () => {
    const res = await fetch(`${base}/figshare-web/ndownloader/files/${dataset.figshare.files[0]?.id ?? 0}`);
    assert.equal(res.status, 202);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<html/i);
  });

  test('non-GET methods are refused', async () => {
    const { status, body } = await getJson(`/v2/articles/${ARTICLE}`, { method: 'POST' });
    assert.equal(status, 405);
    assert.equal(typeof (body as { message: unknown }).message, 'string');
  });
});
