import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/start-server.js';
import { get, IDS, SLIDE_ELEMENTS, startFixtureServer } from './fixtures.js';

type Doc = Record<string, unknown> & {
  annotation: { elements?: Array<Record<string, unknown>>; name: string };
  _elementQuery: Record<string, unknown>;
};

describe('Girder annotations (docs/protocols.md#annotations, #girder-client-behaviour)', () => {
  let server: RunningServer;
  let api: string;
  before(async () => {
    server = await startFixtureServer();
    api = server.urls.girder;
  });
  after(() => server.close());

  test('GET /annotation/item/{id}: streamed array, ",\\n" separators, _id order, _elementQuery last', async () => {
    const r = await get(`${api}/annotation/item/${IDS.slideItem}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('content-length'), null, 'chunked, no Content-Length');
    assert.ok(r.text.startsWith('[{"_accessLevel": 0, '));
    assert.ok(r.text.endsWith('}}]'));
    assert.equal(r.text.split('},\n{').length, 2, 'one ",\\n" separator between two documents');
    const docs = JSON.parse(r.text) as Doc[];
    assert.deepEqual(
      docs.map((d) => d._id),
      [IDS.annotationA, IDS.annotationB],
    );
    for (const doc of docs) {
      const keys = Object.keys(doc);
      assert.equal(keys.at(-1), '_elementQuery', 'last key in the raw text');
      assert.deepEqual(keys.slice(0, -1), [...keys.slice(0, -1)].sort(), 'the other keys are sorted');
      const elements = doc.annotation.elements ?? [];
      assert.equal(doc._elementQuery.returned, elements.length);
      assert.equal(doc._elementQuery.count, elements.length);
      assert.equal(doc._elementCount, elements.length);
      assert.deepEqual(doc._elementQuery.sort, ['_id', 1]);
      assert.deepEqual(doc._elementQuery.filter, { _version: 3, annotationId: doc._id });
      for (const e of elements) assert.match(e.id as string, /^[0-9a-f]{24}$/);
    }
    const first = docs[0] as Doc;
    assert.equal(first._modelType, 'annotation');
    assert.equal(first._detailsCount, 4 + 3 + 4, 'rectangle 4, then one detail per polyline point');
    assert.deepEqual(first.groups, ['roi', 'tumor', null]);
    assert.deepEqual(
      (first.annotation.elements ?? []).map((e) => e.type),
      SLIDE_ELEMENTS.map((e) => e.type),
    );
    assert.equal((first.annotation.elements ?? [])[0]?.id, '5bbdf0000000000000000001', 'stored ids are kept');
    assert.ok(r.text.includes('"points":[[450,400,0],[700,420,0],[650,600,0]]'), 'compact elements, integral coordinates as integers');
    assert.ok(r.text.includes('"label":{"value":"tumor \u00e9"}'), 'elements are UTF-8 like orjson');
    assert.ok(r.text.includes(', "_elementQuery": {"count": 3, "details": 11, '));
  });

  test('an unreadable annotation after the first leaves a doubled separator (invalid JSON), like large_image', async () => {
    const anon = await get(`${api}/annotation/item/${IDS.docItem}`);
    assert.equal(anon.status, 200);
    assert.ok(anon.text.includes('},\n,\n{'));
    assert.throws(() => JSON.parse(anon.text), SyntaxError);
    const login = await get(`${api}/user/authentication`, { headers: { Authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` } });
    const token = JSON.parse(login.text).authToken.token as string;
    const owner = JSON.parse((await get(`${api}/annotation/item/${IDS.docItem}`, { headers: { 'Girder-Token': token } })).text) as Doc[];
    assert.deepEqual(
      owner.map((d) => d.annotation.name),
      ['visible', 'hidden', 'after hidden'],
    );
    assert.equal((await get(`${api}/annotation/item/${IDS.nestedItem}`)).text, '[]');
  });

  test('GET /annotation?itemId=: documents without elements, Girder-Total-Count', async () => {
    const r = await get(`${api}/annotation?itemId=${IDS.slideItem}`);
    assert.equal(r.headers.get('girder-total-count'), '2');
    const docs = JSON.parse(r.text) as Doc[];
    assert.equal(docs.length, 2);
    for (const d of docs) {
      assert.ok(!('elements' in d.annotation));
      assert.ok(!('_elementQuery' in d));
    }
    const paged = JSON.parse((await get(`${api}/annotation?itemId=${IDS.slideItem}&limit=1&offset=1`)).text) as Doc[];
    assert.equal(paged.length, 1);
  });

  test('GET /annotation/{id}: element limit/offset, ETag, 304, 404 when missing', async () => {
    const r = await get(`${api}/annotation/${IDS.annotationA}?limit=1&offset=1`);
    assert.equal(r.status, 200);
    const doc = JSON.parse(r.text) as Doc;
    assert.equal(doc.annotation.elements?.length, 1);
    assert.equal(doc.annotation.elements?.[0]?.group, 'tumor');
    assert.deepEqual(
      [doc._elementQuery.count, doc._elementQuery.returned, doc._elementQuery.offset, doc._elementQuery.limit, doc._elementQuery.details],
      [3, 1, 1, 1, 3],
    );
    const etag = r.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=2592000');
    assert.equal((await get(`${api}/annotation/${IDS.annotationA}?limit=1&offset=1`, { headers: { 'If-None-Match': etag } })).status, 304);
    const region = JSON.parse((await get(`${api}/annotation/${IDS.annotationA}?left=690`)).text) as Doc;
    assert.deepEqual(
      region.annotation.elements?.map((e) => e.type),
      ['rectangle', 'polyline'],
      'elements whose bounding box reaches x >= 690',
    );
    // MongoDB semantics: a negative limit is |limit|; a negative skip is an error, never a
    // silent "last n elements".
    const negLimit = JSON.parse((await get(`${api}/annotation/${IDS.annotationA}?limit=-1`)).text) as Doc;
    assert.equal(negLimit.annotation.elements?.length, 1);
    const negOffset = await get(`${api}/annotation/${IDS.annotationA}?offset=-2`);
    assert.equal(negOffset.status, 500);
    assert.equal(JSON.parse(negOffset.text).type, 'internal');
    const missing = await get(`${api}/annotation/cccccccccccccccccccccccc`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"message": "Annotation not found", "type": "rest"}');
    assert.equal((await get(`${api}/annotation/${IDS.annotationPrivate}`)).status, 401, 'its item is in a private folder');
  });
});
