import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, startFixtureServer } from './fixtures.js';

/** Python's json.dumps(v, sort_keys=True) for ASCII strings and integers, written independently. */
function py(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}: ${py((v as Record<string, unknown>)[k])}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}

describe('Girder listings, documents and errors', () => {
  let server: RunningServer;
  let api: string;
  before(async () => {
    server = await startFixtureServer();
    api = server.urls.girder;
  });
  after(() => server.close());

  test('paging like girder_client.listResource: 50 per page, Girder-Total-Count, short last page', async () => {
    const names: string[] = [];
    for (let offset = 0; ; offset += 50) {
      const r = await get(`${api}/item?folderId=${IDS.manyFolder}&limit=50&offset=${offset}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('girder-total-count'), '120');
      const page = JSON.parse(r.text) as Array<{ name: string }>;
      names.push(...page.map((i) => i.name));
      if (page.length < 50) break;
      assert.ok(offset < 1000, 'paging terminates');
    }
    assert.equal(names.length, 120);
    assert.deepEqual(names, [...names].sort(), 'default sort is lowerName ascending');
    assert.equal(new Set(names).size, 120, 'no item twice');
  });

  test('limit defaults to 50, 0 means all; sortdir=-1 reverses; name filters; text searches', async () => {
    assert.equal(JSON.parse((await get(`${api}/item?folderId=${IDS.manyFolder}`)).text).length, 50);
    const all = JSON.parse((await get(`${api}/item?folderId=${IDS.manyFolder}&limit=0`)).text) as Array<{ name: string }>;
    assert.equal(all.length, 120);
    const huge = JSON.parse((await get(`${api}/item?folderId=${IDS.manyFolder}&limit=1000000`)).text);
    assert.equal(huge.length, 120);
    const desc = JSON.parse((await get(`${api}/item?folderId=${IDS.manyFolder}&limit=3&sortdir=-1`)).text) as Array<{ name: string }>;
    assert.deepEqual(
      desc.map((i) => i.name),
      ['Item-119', 'Item-118', 'Item-117'],
    );
    const named = JSON.parse((await get(`${api}/item?folderId=${IDS.manyFolder}&name=Item-007`)).text);
    assert.equal(named.length, 1);
    const text = JSON.parse((await get(`${api}/item?text=A0SK`)).text) as Array<{ _id: string }>;
    assert.deepEqual(
      text.map((i) => i._id),
      [IDS.slideItem],
    );
  });

  test('listing errors: search mode, unknown folder, malformed id, bad integers, bad sortdir', async () => {
    const mode = await get(`${api}/item`);
    assert.equal(mode.status, 400);
    assert.equal(mode.text, '{"message": "Invalid search mode.", "type": "rest"}');
    const missing = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const folder = await get(`${api}/item?folderId=${missing}`);
    assert.equal(folder.text, `{"field": "id", "message": "No such folder: ${missing}", "type": "validation"}`);
    const malformed = await get(`${api}/item?folderId=xyz`);
    assert.equal(malformed.text, '{"field": "id", "message": "Invalid ObjectId: xyz", "type": "validation"}');
    const limit = await get(`${api}/item?folderId=${IDS.manyFolder}&limit=ten`);
    assert.equal(limit.status, 400);
    assert.equal(JSON.parse(limit.text).message, 'Invalid value for integer parameter limit: ten.');
    const sortdir = await get(`${api}/item?folderId=${IDS.manyFolder}&sortdir=2`);
    assert.equal(JSON.parse(sortdir.text).message, 'Invalid value for sortdir: "2". Allowed values: 1, -1.');
    const negative = await get(`${api}/item?folderId=${IDS.manyFolder}&offset=-1`);
    assert.equal(negative.status, 500);
    const body = JSON.parse(negative.text);
    assert.equal(body.type, 'internal');
    assert.equal(body.uid, negative.headers.get('girder-request-uid'));
  });

  test('item, file and folder documents: fields, types, sorted keys, Python separators', async () => {
    const r = await get(`${api}/item?folderId=${IDS.publicFolder}`);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.match(r.headers.get('girder-request-uid') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(r.headers.get('cache-control'), 'no-cache, must-revalidate');
    assert.equal(r.headers.get('pragma'), 'no-cache');
    assert.equal(r.text, py(JSON.parse(r.text)), 'sorted keys, ", " and ": " separators');
    const items = JSON.parse(r.text) as Array<Record<string, unknown>>;
    const slide = items.find((i) => i._id === IDS.slideItem) as Record<string, unknown>;
    assert.equal(slide._modelType, 'item');
    assert.equal(typeof slide.created, 'string');
    assert.match(slide.created as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    assert.ok(Number.isInteger(slide.size));
    assert.equal((slide.largeImage as { fileId: string }).fileId, IDS.slideFile);
    assert.ok(!('_accessLevel' in slide), 'items have no _accessLevel');
    assert.ok(!('lowerName' in slide));
    const files = await get(`${api}/item/${IDS.docItem}/files`);
    assert.equal(files.headers.get('girder-total-count'), '2');
    const fileDocs = JSON.parse(files.text) as Array<Record<string, unknown>>;
    assert.deepEqual(
      fileDocs.map((f) => f.name),
      ['a.txt', 'b \u00e9\u2603 "q".txt'],
    );
    assert.ok(files.text.includes('"b \\u00e9\\u2603 \\"q\\".txt"'), 'non-ASCII escaped like ensure_ascii');
    const file = JSON.parse((await get(`${api}/file/${IDS.slideFile}`)).text);
    assert.deepEqual([file._modelType, file.itemId, file.exts, typeof file.created], ['file', IDS.slideItem, ['test', 'svs'], 'string']);
    assert.match(file.sha512, /^[0-9a-f]{128}$/);
    const folder = JSON.parse((await get(`${api}/folder/${IDS.publicFolder}`)).text);
    assert.deepEqual([folder._modelType, folder._accessLevel, folder.public], ['folder', 0, true]);
  });

  test('ids: malformed → 400 validation, unknown → 400 "Invalid … id", never 404', async () => {
    const unknown = 'bbbbbbbbbbbbbbbbbbbbbbbb';
    for (const [path, model] of [
      [`item/${unknown}`, 'item'],
      [`file/${unknown}`, 'file'],
      [`folder/${unknown}`, 'folder'],
      [`item/${unknown}/tiles`, 'item'],
      [`file/${unknown}/download`, 'file'],
      [`annotation/item/${unknown}`, 'item'],
    ] as const) {
      const r = await get(`${api}/${path}`);
      assert.equal(r.status, 400, path);
      assert.equal(r.text, `{"message": "Invalid ${model} id (${unknown}).", "type": "rest"}`, path);
    }
    const bad = await get(`${api}/item/123`);
    assert.equal(bad.status, 400);
    assert.equal(bad.text, '{"field": "id", "message": "Invalid ObjectId: 123", "type": "validation"}');
  });

  test('routing: unknown sub-route 400 JSON, unknown resource 404 HTML, slashes collapse, HEAD, override', async () => {
    const sub = await get(`${api}/item/${IDS.slideItem}/frobnicate`);
    assert.equal(sub.status, 400);
    assert.equal(sub.text, `{"message": "No matching route for \\"GET ${IDS.slideItem}/frobnicate\\"", "type": "rest"}`);
    const top = await get(`${api}/nosuchthing/1`);
    assert.equal(top.status, 404);
    assert.match(top.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(top.text, /<title>404 Not Found<\/title>/);
    const outside = await get(`${api.replace('/api/v1', '')}/elsewhere`);
    assert.equal(outside.status, 404);
    const doubled = await get(`${api}//item//${IDS.slideItem}/`);
    assert.equal(doubled.status, 200);
    assert.equal(JSON.parse(doubled.text)._id, IDS.slideItem);
    const head = await fetch(`${api}/item/${IDS.slideItem}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await get(`${api}/item/${IDS.slideItem}`, { method: 'POST', headers: { 'X-HTTP-Method-Override': 'GET' } });
    assert.equal(JSON.parse(post.text)._id, IDS.slideItem);
  });

  test('malformed input: oversized bodies 413, undecodable paths 404, the server keeps serving', async () => {
    const big = await get(`${api}/api_key/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'key=' + 'x'.repeat(9 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    const undecodable = await get(`${api}/item/%E0%A4%A`);
    assert.equal(undecodable.status, 404);
    assert.equal((await get(`${api}/item/${IDS.slideItem}`)).status, 200);
  });

  test('a parameter given twice is a 400', async () => {
    const r = await get(`${api}/item?folderId=${IDS.manyFolder}&limit=1&limit=2`);
    assert.equal(r.status, 400);
    assert.equal(r.text, '{"message": "Parameter \\"limit\\" must not be specified multiple times.", "type": "rest"}');
  });

  test('resource path: a JSON string for the right type, 400 for every other type', async () => {
    const path = async (id: string, type: string): Promise<{ status: number; value: unknown }> => {
      const r = await get(`${api}/resource/${id}/path?type=${type}`);
      return { status: r.status, value: JSON.parse(r.text) };
    };
    assert.deepEqual(await path(IDS.slideItem, 'item'), { status: 200, value: '/collection/BCSS test/slides/TCGA-A1-A0SK-01Z-00-DX1.test.svs' });
    assert.deepEqual(await path(IDS.nestedFile, 'file'), { status: 200, value: '/collection/BCSS test/slides/sub/nested.bin/nested.bin' });
    assert.deepEqual(await path(IDS.subFolder, 'folder'), { status: 200, value: '/collection/BCSS test/slides/sub' });
    assert.deepEqual(await path(IDS.collection, 'collection'), { status: 200, value: '/collection/BCSS test' });
    for (const type of ['folder', 'collection', 'user', 'file']) {
      const r = await path(IDS.slideItem, type);
      assert.deepEqual(r, { status: 400, value: { message: 'Invalid resource id.', type: 'rest' } }, type);
    }
    assert.deepEqual((await path(IDS.slideItem, 'bogus')).value, { message: 'Invalid resources format.', type: 'rest' });
    assert.equal((await path(IDS.privateItem, 'item')).status, 401, 'readable check after the type check');
  });

  test('folder listing by parent, collection, rootpath', async () => {
    const top = await get(`${api}/folder?parentType=collection&parentId=${IDS.collection}&limit=0`);
    const names = (JSON.parse(top.text) as Array<{ name: string }>).map((f) => f.name);
    assert.deepEqual(names, ['many', 'slides', 'virtual'], 'the private folder is hidden from anonymous callers');
    assert.equal(top.headers.get('girder-total-count'), '3');
    const sub = JSON.parse((await get(`${api}/folder?parentType=folder&parentId=${IDS.publicFolder}`)).text);
    assert.deepEqual(
      sub.map((f: { _id: string }) => f._id),
      [IDS.subFolder],
    );
    assert.equal(JSON.parse((await get(`${api}/folder`)).text).message, 'Invalid search mode.');
    const collection = JSON.parse((await get(`${api}/collection/${IDS.collection}`)).text);
    assert.deepEqual([collection._modelType, collection.name], ['collection', 'BCSS test']);
    const rootpath = JSON.parse((await get(`${api}/item/${IDS.nestedItem}/rootpath`)).text) as Array<{ type: string }>;
    assert.deepEqual(
      rootpath.map((e) => e.type),
      ['collection', 'folder', 'folder'],
    );
  });
});
