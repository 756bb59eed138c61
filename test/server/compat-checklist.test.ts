/**
 * docs/protocols.md#server-checklist items D1–D20: one test per item, asserting the wire behaviour of
 * `startServer` through plain `fetch`, or `node:http` where fetch would hide it (raw request
 * targets, empty headers, GET bodies, HEAD, exact JSON text, chunked framing, bytes vs
 * Content-Length). Aspects other test files already pin down are named in
 * docs/server-compatibility.md rather than repeated here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { levelCount } from '../../src/geometry/region-size.js';
import type { GdcFile, ServedDataset } from '../../src/server/dataset-types.js';
import type { FaultOptions } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import {
  GIRDER_DATETIME,
  GirderClientReplay,
  GirderHttpError,
  IncompleteResponseError,
  isPlausibleObjectId,
  loadCompatDataset,
  pyJsonDumps,
  requestsHeaders,
  sendRaw,
  type CompatDataset,
  type WireResponse,
} from './compat-helpers.js';
import { A12_SLIDES, fixture, IDS, itemIdByName, type Fixture } from './fixtures.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const basic = (login: string, password: string): string => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MISSING = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const USERS = [
  { login: 'demo', password: 'demo' },
  { login: 'other', password: 'other' },
];

/** Every value under `key` anywhere in a JSON document. */
function valuesOf(doc: unknown, key: string): unknown[] {
  if (Array.isArray(doc)) return doc.flatMap((d) => valuesOf(d, key));
  if (doc !== null && typeof doc === 'object') {
    return Object.entries(doc as Record<string, unknown>).flatMap(([k, v]) => (k === key ? [v, ...valuesOf(v, key)] : valuesOf(v, key)));
  }
  return [];
}

describe('docs/protocols.md#server-checklist, through startServer', () => {
  let fx: Fixture;
  let demo: CompatDataset;
  let dataset: ServedDataset;
  let controlled: GdcFile;
  let server: RunningServer;
  let api: string;
  let origin: URL;
  let ownerToken: string;
  let otherToken: string;

  /** One raw exchange (Host first, then `headers`), target sent verbatim. */
  const raw = (method: string, target: string, headers: Array<[string, string]> = [], body?: Buffer): Promise<WireResponse> =>
    sendRaw(origin, { method, target, headers: [['Host', origin.host], ...headers, ...(body ? ([['Content-Length', String(body.length)]] as Array<[string, string]>) : [])], body });
  const json = (r: WireResponse): unknown => JSON.parse(r.body.toString('utf8'));
  const login = async (user: string, password: string): Promise<string> => {
    const r = await fetch(`${api}/user/authentication`, { headers: { Authorization: basic(user, password) } });
    assert.equal(r.status, 200);
    return ((await r.json()) as { authToken: { token: string } }).authToken.token;
  };

  before(async () => {
    fx = await fixture();
    // Only figshare and GDC come from the demo; GDC's checks are about the wire, not the slide
    // format, so the .svs files are stand-in bytes (no TIFF generated per listed slide).
    demo = await loadCompatDataset(undefined, { slideFiles: 'stand-in' });
    const first = demo.dataset.gdc.files[0] as GdcFile;
    await first.ready?.(); // the copy below reads its size and md5
    controlled = { ...first, fileId: '0f0e0d0c-0b0a-4908-8706-050403020100', fileName: 'controlled-slide.svs', access: 'controlled' };
    dataset = { ...fx.dataset, figshare: demo.dataset.figshare, gdc: { files: [...demo.dataset.gdc.files, controlled] } };
    server = await startServer({ dataset, port: 0, users: USERS });
    api = server.urls.girder;
    origin = new URL(new URL(api).origin);
    ownerToken = await login('demo', 'demo');
    otherToken = await login('other', 'other');
  });
  after(async () => {
    await server.close();
    await demo.dispose();
  });

  // CherryPy parses a request body only for POST, PUT and PATCH (`methods_with_bodies`), so a
  // form body on GET or DELETE is ignored by real Girder; see docs/server-compatibility.md note A.
  test('D1 transport: /api/v1 only, // and trailing / ignored, query merged with urlencoded POST/PUT/PATCH bodies (not GET/DELETE), repeats → 400', async () => {
    const slashes = await raw('GET', `/api/v1//item//${IDS.slideItem}//`);
    assert.equal(slashes.status, 200);
    assert.equal((json(slashes) as { _id: string })._id, IDS.slideItem);
    const form: Array<[string, string]> = [['Content-Type', 'application/x-www-form-urlencoded']];
    const getBody = await raw('GET', '/api/v1/item?limit=3', form, Buffer.from(`folderId=${IDS.manyFolder}`));
    assert.equal(getBody.status, 400, 'a GET body is not processed');
    assert.equal(getBody.body.toString(), '{"message": "Invalid search mode.", "type": "rest"}');
    const postBody = await raw('POST', '/api/v1/api_key/token', form, Buffer.from('key=notakey'));
    assert.equal(postBody.body.toString(), '{"message": "Invalid API key.", "type": "validation"}', 'the key was read from the body');
    const token = await login('demo', 'demo');
    const del = await raw('DELETE', '/api/v1/user/authentication', form, Buffer.from(`token=${token}`));
    assert.equal(del.status, 401, 'anonymous: logout is access.user in Girder');
    assert.notEqual((await raw('GET', '/api/v1/user/me', [['Girder-Token', token]])).body.toString(), 'null', 'a DELETE body is not processed');
    const overridden = await raw('POST', '/api/v1/user/authentication', [...form, ['X-HTTP-Method-Override', 'DELETE']], Buffer.from(`token=${token}`));
    assert.equal(overridden.status, 200);
    assert.equal((await raw('GET', '/api/v1/user/me', [['Girder-Token', token]])).body.toString(), 'null', 'a POST body (method overridden to DELETE) is processed');
    const twice = await raw('POST', '/api/v1/api_key/token?key=a', form, Buffer.from('key=b'));
    assert.equal(twice.status, 400);
    assert.equal(twice.body.toString(), '{"message": "Parameter \\"key\\" must not be specified multiple times.", "type": "rest"}');
    for (const outside of ['/api/v10/item', '/api/item', '/item']) assert.equal((await raw('GET', outside)).status, 404, outside);
  });

  test('D2 JSON: sorted keys, ", " and ": ", +00:00 datetimes, plausible ObjectIds, _modelType, _accessLevel rule, request uid, plain 200', async () => {
    const owner: Array<[string, string]> = [['Girder-Token', ownerToken]];
    const cases: Array<[string, Array<[string, string]>]> = [
      [`/api/v1/item?folderId=${IDS.publicFolder}`, []],
      [`/api/v1/item/${IDS.slideItem}`, []],
      [`/api/v1/item/${IDS.docItem}/files`, []],
      [`/api/v1/file/${IDS.docFileA}`, []],
      [`/api/v1/folder/${IDS.publicFolder}`, []],
      [`/api/v1/folder?parentType=collection&parentId=${IDS.collection}`, []],
      [`/api/v1/collection/${IDS.collection}`, []],
      [`/api/v1/item/${IDS.nestedItem}/rootpath`, []],
      [`/api/v1/resource/${IDS.slideItem}/path?type=item`, []],
      [`/api/v1/annotation?itemId=${IDS.slideItem}`, []],
      ['/api/v1/user/me', owner],
      ['/api/v1/user/authentication', [['Authorization', basic('demo', 'demo')]]],
    ];
    const docs: unknown[] = [];
    for (const [target, headers] of cases) {
      const r = await raw('GET', target, headers);
      assert.equal(r.status, 200, `${target}: successful GETs are a plain 200`);
      assert.equal(r.headers['content-type'], 'application/json', target);
      assert.match(String(r.headers['girder-request-uid']), UUID4, target);
      const text = r.body.toString('utf8');
      const value = JSON.parse(text) as unknown;
      assert.equal(text, pyJsonDumps(value), `${target}: json.dumps(sort_keys=True) text`);
      docs.push(value);
    }
    for (const v of ['created', 'updated', 'expires'].flatMap((k) => valuesOf(docs, k))) assert.match(String(v), GIRDER_DATETIME);
    for (const k of ['_id', 'itemId', 'folderId', 'creatorId', 'baseParentId', 'parentId', 'updatedId']) {
      for (const v of valuesOf(docs, k)) assert.ok(isPlausibleObjectId(v), `${k}: ${String(v)}`);
    }
    const models = (valuesOf(docs, '_modelType') as string[]).sort();
    assert.deepEqual([...new Set(models)], ['annotation', 'collection', 'file', 'folder', 'item', 'user']);
    const all = (function flatten(d: unknown): Array<Record<string, unknown>> {
      if (Array.isArray(d)) return d.flatMap(flatten);
      if (d !== null && typeof d === 'object') {
        const o = d as Record<string, unknown>;
        return [...('_modelType' in o ? [o] : []), ...Object.values(o).flatMap(flatten)];
      }
      return [];
    })(docs);
    for (const doc of all) {
      const controlledModel = ['folder', 'user', 'collection', 'annotation', 'api_key'].includes(doc._modelType as string);
      assert.equal('_accessLevel' in doc, controlledModel, `${String(doc._modelType)} _accessLevel`);
    }
    // Girder creates the ObjectId and `created` in the same insert: the id's time is created's second.
    for (const doc of all.filter((d) => ['item', 'file', 'folder'].includes(d._modelType as string))) {
      assert.equal(Math.floor(Date.parse(doc.created as string) / 1000), Number.parseInt((doc._id as string).slice(0, 8), 16), String(doc._id));
    }
  });

  test('D2 an Accept header listing text/html first gets an HTML pretty-print, not JSON (docs/protocols.md#girder-transport)', async () => {
    // girder/api/rest.py _createResponse: the first of application/json or text/html among the
    // (quality-sorted) Accept elements decides; Python clients send `*/*` and get JSON.
    const browser = await raw('GET', `/api/v1/item/${IDS.docItem}`, [['Accept', 'text/html,application/xhtml+xml,application/json;q=0.9']]);
    assert.equal(browser.status, 200);
    assert.match(String(browser.headers['content-type']), /^text\/html/);
    const client = await raw('GET', `/api/v1/item/${IDS.docItem}`, [['Accept', '*/*']]);
    assert.equal(client.headers['content-type'], 'application/json');
    // The pretty-print carries the same document as the JSON answer.
    const text = browser.body.toString('utf8');
    assert.match(text, /^<div style="font-family:monospace;">\{<br \/>&nbsp;&nbsp;&nbsp;&nbsp;&quot;_id&quot;:/);
    const unescaped = text.slice(36, -6).replace(/<br \/>/g, '\n').replace(/&nbsp;/g, ' ').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    assert.deepEqual(JSON.parse(unescaped), json(client));
    // Error bodies go through the same negotiation (rest.py endpoint → _createResponse).
    const missing = await raw('GET', `/api/v1/item/${MISSING}`, [['Accept', 'text/html']]);
    assert.equal(missing.status, 400);
    assert.equal(missing.headers['content-type'], 'text/html');
    assert.match(missing.body.toString(), /&quot;Invalid&nbsp;item&nbsp;id&nbsp;\(b{24}\)\.&quot;/);
  });

  test('D3 errors: Invalid ObjectId / Invalid … id (never 404 for ids), 401 vs 403, unknown routes, no 429 under a burst', async () => {
    for (const [target, model] of [
      [`item/${MISSING}/files`, 'item'],
      [`item/${MISSING}/download`, 'item'],
      [`item/${MISSING}/tiles/region?left=0&right=10&top=0&bottom=10`, 'item'],
      [`item/${MISSING}/rootpath`, 'item'],
      [`file/${MISSING}/download/anything.bin`, 'file'],
      [`annotation?itemId=${MISSING}`, 'item'],
    ] as const) {
      const r = await raw('GET', `/api/v1/${target}`);
      assert.equal(r.status, 400, target);
      assert.equal(r.body.toString(), `{"message": "Invalid ${model} id (${MISSING}).", "type": "rest"}`, target);
    }
    const malformed = await raw('GET', '/api/v1/item/5bbdeba3e629140048d017b/files');
    assert.equal(malformed.body.toString(), '{"field": "id", "message": "Invalid ObjectId: 5bbdeba3e629140048d017b", "type": "validation"}');
    const anon = await raw('GET', `/api/v1/item/${IDS.privateItem}`);
    assert.equal(anon.status, 401);
    const other = await raw('GET', `/api/v1/item/${IDS.privateItem}`, [['Girder-Token', otherToken]]);
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.body.toString()).type, 'access');
    assert.equal((await raw('GET', `/api/v1/item/${IDS.privateItem}`, [['Girder-Token', ownerToken]])).status, 200);
    const sub = await raw('GET', `/api/v1/file/${IDS.docFileA}/nothing`);
    assert.equal(sub.status, 400);
    assert.equal(JSON.parse(sub.body.toString()).message, `No matching route for "GET ${IDS.docFileA}/nothing"`);
    const top = await raw('GET', '/api/v1/nosuchresource');
    assert.equal(top.status, 404);
    assert.equal(top.headers['content-type'], 'text/html;charset=utf-8');
    assert.match(top.body.toString(), /404 Not Found/);
    const burst = await Promise.all(Array.from({ length: 40 }, () => fetch(`${api}/item/${IDS.docItem}`).then(async (r) => (await r.arrayBuffer(), r.status))));
    assert.deepEqual(new Set(burst), new Set([200]), 'no rate limiting');
  });

  test('D4 item and file documents: the fields of docs/protocols.md#girder-item-listing, #girder-files, int size = sum of files, created a string, largeImage.fileId, optional sha512', async () => {
    const item = (await (await fetch(`${api}/item/${IDS.slideItem}`)).json()) as Record<string, unknown>;
    for (const k of ['_id', '_modelType', 'baseParentId', 'baseParentType', 'created', 'creatorId', 'description', 'folderId', 'meta', 'name', 'size', 'updated']) {
      assert.ok(k in item, `item.${k}`);
    }
    assert.ok(!('lowerName' in item));
    assert.equal(typeof item.created, 'string');
    const files = (await (await fetch(`${api}/item/${IDS.slideItem}/files`)).json()) as Array<Record<string, unknown>>;
    assert.equal(item.size, files.reduce((s, f) => s + (f.size as number), 0));
    assert.ok(Number.isInteger(item.size));
    assert.equal((item.largeImage as { fileId: string }).fileId, files[0]?._id);
    for (const f of files) {
      for (const k of ['_id', '_modelType', 'created', 'creatorId', 'exts', 'itemId', 'mimeType', 'name', 'size', 'updated']) assert.ok(k in f, `file.${k}`);
      assert.equal(typeof f.created, 'string', 'girder_client joins created into a cache key');
    }
    const body = Buffer.from(await (await fetch(`${api}/file/${IDS.slideFile}/download`)).arrayBuffer());
    assert.equal(files[0]?.sha512, createHash('sha512').update(body).digest('hex'), 'sha512, when present, is the hash of the bytes served');
    const plain = (await (await fetch(`${api}/file/${IDS.docFileA}`)).json()) as Record<string, unknown>;
    assert.ok(!('sha512' in plain), 'sha512 is optional');
    const doc = (await (await fetch(`${api}/item/${IDS.docItem}`)).json()) as Record<string, unknown>;
    assert.ok(!('largeImage' in doc), 'only slide items carry largeImage');
  });

  test('D5 tokens: param, header, cookie (downloads, tiles, annotations only); unknown tokens are anonymous, not errors', async () => {
    const priv = await startServer({ dataset, port: 0, apiKey: 'k'.repeat(40) });
    try {
      const p = new URL(priv.urls.girder);
      const go = (target: string, headers: Array<[string, string]> = []): Promise<WireResponse> =>
        sendRaw(p, { method: 'GET', target: `/api/v1/${target}`, headers: [['Host', p.host], ...headers] });
      const tok = (await (await fetch(`${priv.urls.girder}/api_key/token?key=${'k'.repeat(40)}`, { method: 'POST' })).json()) as { authToken: { token: string } };
      const t = tok.authToken.token;
      const region = `item/${IDS.slideItem}/tiles/region?left=0&right=64&top=0&bottom=64`;
      assert.equal((await go(`item/${IDS.slideItem}?token=${t}`)).status, 200, 'token parameter');
      assert.equal((await go(`item/${IDS.slideItem}`, [['Girder-Token', t]])).status, 200, 'Girder-Token header');
      const cookie: Array<[string, string]> = [['Cookie', `girderToken=${t}`]];
      for (const [target, status] of [
        [`file/${IDS.slideFile}/download?endByte=10`, 206],
        [region, 200],
        [`annotation/item/${IDS.slideItem}`, 200],
      ] as const) {
        assert.equal((await go(target, cookie)).status, status, `cookie accepted on ${target}`);
      }
      for (const target of [`item/${IDS.slideItem}`, `item/${IDS.slideItem}/files`, `file/${IDS.slideFile}`]) {
        assert.equal((await go(target, cookie)).status, 401, `cookie ignored on ${target}`);
      }
      assert.equal((await go(`item/${IDS.slideItem}`, [['Girder-Token', '']])).status, 401, 'empty header = anonymous');
      assert.equal((await go(`item/${IDS.slideItem}`, [['Girder-Token', 'Z'.repeat(64)]])).status, 401, 'unknown token = anonymous');
    } finally {
      await priv.close();
    }
    const unknown = await raw('GET', `/api/v1/item/${IDS.docItem}`, [['Girder-Token', 'Z'.repeat(64)]]);
    assert.equal(unknown.status, 200, 'an unknown token on public data is no error');
  });

  // girder/api/rest.py getCurrentToken: `if 'token' in params … elif 'Girder-Token' in headers …
  // elif cookie …; if not tokenStr: return None` — an empty value present in an earlier place
  // hides a valid token in a later one (docs/protocols.md#girder-authentication: an empty token means anonymous).
  test('D5 token source is chosen by presence: an empty `token=` parameter hides a valid Girder-Token header', async () => {
    const r = await raw('GET', `/api/v1/item/${IDS.privateItem}?token=`, [['Girder-Token', ownerToken]]);
    assert.equal(r.status, 401, 'Girder: anonymous');
  });

  test('D5 token source is chosen by presence: an empty `Girder-Token:` header hides a valid girderToken cookie', async () => {
    const r = await raw('GET', `/api/v1/file/${IDS.privateFile}/download`, [
      ['Girder-Token', ''],
      ['Cookie', `girderToken=${ownerToken}`],
    ]);
    assert.equal(r.status, 401, 'Girder: anonymous');
  });

  test('D6 POST /api_key/token: key in the query (Content-Length 0) or form, float duration in days, exact shape, bad key 400', async () => {
    const key = 'k'.repeat(40);
    const now = Date.UTC(2021, 5, 1);
    const priv = await startServer({ dataset, port: 0, apiKey: key, now: () => now });
    try {
      const p = new URL(priv.urls.girder);
      const post = (target: string, extra: Array<[string, string]> = [], body?: Buffer): Promise<WireResponse> =>
        sendRaw(p, { method: 'POST', target, headers: [...requestsHeaders(p), ['Girder-Token', ''], ['Content-Length', String(body?.length ?? 0)], ...extra], body });
      const q = await post(`/api/v1/api_key/token?key=${key}&duration=1.5`);
      assert.equal(q.status, 200);
      const text = q.body.toString();
      const doc = JSON.parse(text) as { authToken: { expires: string; scope: string[]; token: string }; user: Record<string, unknown> };
      assert.equal(text, pyJsonDumps(doc));
      assert.deepEqual(Object.keys(doc.authToken), ['expires', 'scope', 'token']);
      assert.deepEqual(Object.keys(doc.user), ['_id']);
      assert.equal(doc.authToken.expires, '2021-06-02T12:00:00+00:00', '1.5 days');
      assert.deepEqual(doc.authToken.scope, ['core.user_auth']);
      assert.equal(q.headers['set-cookie'], undefined);
      const form = await post('/api/v1/api_key/token', [['Content-Type', 'application/x-www-form-urlencoded']], Buffer.from(`key=${key}`));
      assert.equal((JSON.parse(form.body.toString()) as typeof doc).authToken.expires, '2021-11-28T00:00:00+00:00', '180 days by default');
      const bad = await post('/api/v1/api_key/token?key=nope');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.toString(), '{"message": "Invalid API key.", "type": "validation"}');
    } finally {
      await priv.close();
    }
  });

  test('D7 Basic login: token + message + user + HttpOnly cookie; Girder-Authorization accepted; 401 Login failed; POST /api_key needs a user', async () => {
    const ok = await raw('GET', '/api/v1/user/authentication', [['Authorization', basic('demo', 'demo')]]);
    assert.equal(ok.status, 200);
    const doc = JSON.parse(ok.body.toString()) as { authToken: { token: string }; message: string; user: { login: string } };
    assert.deepEqual(Object.keys(doc), ['authToken', 'message', 'user']);
    assert.equal(doc.message, 'Login succeeded.');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^girderToken=${doc.authToken.token}; `));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Path=\//);
    const old = await raw('GET', '/api/v1/user/authentication', [['Girder-Authorization', basic('other', 'other')]]);
    assert.equal((JSON.parse(old.body.toString()) as typeof doc).user.login, 'other', 'the 2.x header still works');
    const again = await raw('GET', '/api/v1/user/authentication', [['Girder-Token', ownerToken]]);
    assert.equal((JSON.parse(again.body.toString()) as typeof doc).authToken.token, ownerToken, 'a logged-in caller gets its token back');
    const bad = await raw('GET', '/api/v1/user/authentication', [['Authorization', basic('demo', 'nope')]]);
    assert.equal(bad.status, 401);
    assert.equal(bad.body.toString(), '{"message": "Login failed.", "type": "access"}');
    const anonKey = await raw('POST', '/api/v1/api_key', [['Content-Length', '0']]);
    assert.equal(anonKey.status, 401);
    const key = await raw('POST', '/api/v1/api_key?name=ci', [['Girder-Token', ownerToken], ['Content-Length', '0']]);
    assert.equal(key.status, 200);
    const keyDoc = JSON.parse(key.body.toString()) as Record<string, unknown>;
    assert.equal(key.body.toString(), pyJsonDumps(keyDoc));
    assert.deepEqual([keyDoc._modelType, keyDoc._accessLevel, keyDoc.name], ['api_key', 2, 'ci']);
  });

  test('D8 listings: item/{id}/files paging with Girder-Total-Count and a short last page; offsets past the end; sort and sortdir', async () => {
    const pages: string[][] = [];
    for (let offset = 0; ; offset += 1) {
      const r = await fetch(`${api}/item/${IDS.docItem}/files?limit=1&offset=${offset}`);
      assert.equal(r.headers.get('girder-total-count'), '2');
      const page = ((await r.json()) as Array<{ name: string }>).map((f) => f.name);
      pages.push(page);
      if (page.length < 1) break;
    }
    assert.deepEqual(pages, [['a.txt'], ['b \u00e9\u2603 "q".txt'], []]);
    const past = await fetch(`${api}/item?folderId=${IDS.manyFolder}&offset=500`);
    assert.deepEqual(await past.json(), []);
    assert.equal(past.headers.get('girder-total-count'), '120');
    const byName = (await (await fetch(`${api}/item?folderId=${IDS.manyFolder}&sort=name&sortdir=-1&limit=2`)).json()) as Array<{ name: string }>;
    assert.deepEqual(
      byName.map((i) => i.name),
      ['Item-119', 'Item-118'],
    );
    const byId = (await (await fetch(`${api}/item?folderId=${IDS.manyFolder}&sort=_id&limit=2`)).json()) as Array<{ name: string }>;
    assert.deepEqual(
      byId.map((i) => i.name),
      ['Item-119', 'Item-118'],
      'the fixture inserts Item-119 first',
    );
    const asc = (await (await fetch(`${api}/item?folderId=${IDS.manyFolder}&limit=2`)).json()) as Array<{ name: string }>;
    assert.deepEqual(
      asc.map((i) => i.name),
      ['Item-000', 'Item-001'],
      'default sort lowerName ascending',
    );
    const search = (await (await fetch(`${api}/item?folderId=${IDS.manyFolder}&text=Item-042`)).json()) as Array<{ name: string }>;
    assert.ok(search.some((i) => i.name === 'Item-042'));
  });

  test('D9 resource path: the JSON string for the right type, 400 for the others and for an unknown type; type is required', async () => {
    const user = (await (await fetch(`${api}/user/me`, { headers: { 'Girder-Token': ownerToken } })).json()) as { _id: string };
    const path = async (id: string, type: string): Promise<[number, unknown]> => {
      const r = await fetch(`${api}/resource/${id}/path?type=${type}`);
      return [r.status, await r.json()];
    };
    assert.deepEqual(await path(user._id, 'user'), [200, '/user/demo']);
    assert.deepEqual(await path(IDS.docFileA, 'file'), [200, '/collection/BCSS test/slides/notes/a.txt']);
    for (const [id, right] of [
      [user._id, 'user'],
      [IDS.publicFolder, 'folder'],
      [IDS.collection, 'collection'],
      [IDS.docItem, 'item'],
      [IDS.docFileA, 'file'],
    ] as const) {
      for (const type of ['folder', 'collection', 'user', 'item', 'file'].filter((t) => t !== right)) {
        assert.deepEqual(await path(id, type), [400, { message: 'Invalid resource id.', type: 'rest' }], `${right} as ${type}`);
      }
    }
    assert.deepEqual(await path(IDS.docItem, 'group'), [400, { message: 'Invalid resources format.', type: 'rest' }]);
    const none = await fetch(`${api}/resource/${IDS.docItem}/path`);
    assert.equal(((await none.json()) as { message: string }).message, 'Parameter "type" is required.');
  });

  test('D10 file download on the wire: body bytes = Content-Length for every window, no 416, no ETag, HEAD without a body', async () => {
    const size = fx.slideBytes.length;
    const cases: Array<[string, Array<[string, string]>, number, number, number]> = [
      ['', [], 200, 0, size],
      ['', [['Range', 'bytes=10-19']], 206, 10, 20],
      ['', [['Range', `bytes=${size}-`]], 206, 0, size],
      ['', [['Range', 'bytes=50-40']], 206, 0, size],
      ['', [['Range', 'bytes=-7']], 206, size - 7, size],
      [`?offset=${size - 5}`, [], 206, size - 5, size],
      ['?offset=3&endByte=9', [], 206, 3, 9],
      [`?endByte=${size + 100}`, [], 200, 0, size],
    ];
    for (const [query, headers, status, start, end] of cases) {
      const label = `${query} ${JSON.stringify(headers)}`;
      const r = await raw('GET', `/api/v1/file/${IDS.slideFile}/download${query}`, headers);
      assert.equal(r.status, status, label);
      assert.equal(Number(r.headers['content-length']), r.body.length, `${label}: bytes sent = Content-Length`);
      assert.ok(r.body.equals(fx.slideBytes.subarray(start, end)), label);
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers.etag, undefined);
      assert.equal(r.headers['last-modified'], undefined);
      assert.equal(r.headers['content-range'] !== undefined, status === 206, label);
      if (status === 206) assert.equal(r.headers['content-range'], `bytes ${start}-${end - 1}/${size}`, label);
      assert.equal(r.headers['content-disposition'], 'attachment; filename="TCGA-A1-A0SK-01Z-00-DX1.test.svs"');
    }
    const head = await raw('HEAD', `/api/v1/file/${IDS.slideFile}/download`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(size));
    assert.equal(head.body.length, 0);
  });

  test('D11 item download: one file = that file (offset honoured); several = streamed ZIP, chunked, no Content-Length', async () => {
    const one = await raw('GET', `/api/v1/item/${IDS.slideItem}/download?offset=100`);
    assert.equal(one.status, 206);
    assert.ok(one.body.equals(fx.slideBytes.subarray(100)));
    const zip = await raw('GET', `/api/v1/item/${IDS.docItem}/download`);
    assert.equal(zip.status, 200);
    assert.equal(zip.headers['transfer-encoding'], 'chunked');
    assert.equal(zip.headers['content-length'], undefined);
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.equal(zip.body.readUInt32LE(0), 0x04034b50, 'a local file header first');
    const name = 'notes/a.txt';
    assert.equal(zip.body.toString('utf8', 30, 30 + name.length), name, '<item>/<file> entry names');
  });

  test('D12 /tiles: the 10 keys in order, levels from the formula, null for unknown calibration, 400 without a large image', async () => {
    for (const name of [...Object.values(A12_SLIDES), 'TCGA-A1-A0SK-01Z-00-DX1.test.svs']) {
      const r = await raw('GET', `/api/v1/item/${itemIdByName(fx, name)}/tiles`);
      assert.equal(r.status, 200, name);
      const t = JSON.parse(r.body.toString()) as Record<string, number | null>;
      assert.deepEqual(Object.keys(t), ['bandCount', 'dtype', 'levels', 'magnification', 'mm_x', 'mm_y', 'sizeX', 'sizeY', 'tileHeight', 'tileWidth']);
      const expected = Math.ceil(Math.max(Math.log((t.sizeX as number) / (t.tileWidth as number)), Math.log((t.sizeY as number) / (t.tileHeight as number))) / Math.log(2)) + 1;
      assert.equal(t.levels, expected, name);
      assert.equal(levelCount(t.sizeX as number, t.sizeY as number, 240, 240), expected);
      if (name === A12_SLIDES.bare) assert.deepEqual([t.magnification, t.mm_x, t.mm_y], [null, null, null]);
      else assert.ok(typeof t.mm_x === 'number' && typeof t.magnification === 'number');
    }
    const none = await raw('GET', `/api/v1/item/${IDS.docItem}/tiles`);
    assert.equal(none.body.toString(), '{"message": "No large image file in this item.", "type": "rest"}');
  });

  test('D13 tiles/region: JPEG 4:4:4 by default, quoted ETag + Cache-control, 304, 0-byte 200 for empty areas, typed-parameter 400', async () => {
    const target = `/api/v1//item/${IDS.slideItem}/tiles/region?left=0&right=200&top=0&bottom=100&mm_x=0.0003&mm_y=0.0003`;
    const r = await raw('GET', target);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/jpeg');
    const meta = await sharp(r.body).metadata();
    assert.equal(meta.chromaSubsampling, '4:4:4');
    const etag = String(r.headers.etag);
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(r.headers['cache-control'], 'public, max-age=3600');
    const cached = await raw('GET', target, [['If-None-Match', etag]]);
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
    const empty = await raw('GET', `/api/v1/item/${IDS.slideItem}/tiles/region?left=10&right=10&top=0&bottom=100`);
    assert.deepEqual([empty.status, empty.headers['content-type'], empty.body.length], [200, 'image/jpeg', 0]);
    const bad = await raw('GET', `/api/v1/item/${IDS.slideItem}/tiles/region?left=ten`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.toString(), '{"message": "\\"left\\" parameter is an incorrect type.", "type": "rest"}');
  });

  test('D14 annotation/item: chunked JSON array, ",\\n" separators, _id order, _elementQuery last, string element ids, [] when none', async () => {
    const r = await raw('GET', `/api/v1/annotation/item/${IDS.slideItem}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['content-length'], undefined);
    const text = r.body.toString('utf8');
    assert.ok(text.startsWith('[{') && text.endsWith('}]'));
    assert.equal(text.split('},\n{').length, 2);
    const docs = JSON.parse(text) as Array<Record<string, unknown> & { annotation: { elements: Array<{ id: unknown }> } }>;
    assert.deepEqual(
      docs.map((d) => d._id),
      [IDS.annotationA, IDS.annotationB].sort(),
    );
    for (const d of docs) {
      assert.equal(Object.keys(d).at(-1), '_elementQuery');
      for (const e of d.annotation.elements) assert.equal(typeof e.id, 'string');
    }
    const none = await raw('GET', `/api/v1/annotation/item/${IDS.nestedItem}`);
    assert.equal(none.body.toString(), '[]');
  });

  test('D15 /annotation?itemId= without elements and with Girder-Total-Count; /annotation/{id} element limit/offset', async () => {
    const list = await raw('GET', `/api/v1/annotation?itemId=${IDS.slideItem}&limit=1`);
    assert.equal(list.headers['girder-total-count'], '2');
    const docs = JSON.parse(list.body.toString()) as Array<{ annotation: Record<string, unknown> }>;
    assert.equal(docs.length, 1);
    assert.ok(!('elements' in (docs[0]?.annotation ?? {})));
    const one = JSON.parse((await raw('GET', `/api/v1/annotation/${IDS.annotationA}?limit=2&offset=1`)).body.toString()) as {
      annotation: { elements: unknown[] };
      _elementQuery: { count: number; returned: number; offset: number };
    };
    assert.equal(one.annotation.elements.length, 2);
    assert.deepEqual([one._elementQuery.count, one._elementQuery.returned, one._elementQuery.offset], [3, 2, 1]);
  });

  test('D16 figshare API: article files capped at 10, page/page_size and limit/offset, 422, PublicFile fields, ETag/Last-Modified 304, 404 JSON', async () => {
    const base = server.urls.figshare;
    const id = dataset.figshare.articleId;
    const article = await fetch(`${base}/articles/${id}`);
    assert.equal(((await article.json()) as { files: unknown[] }).files.length, 10, 'silently capped at 10 of 151');
    const page = async (query: string): Promise<Array<Record<string, unknown>>> => {
      const r = await fetch(`${base}/articles/${id}/files${query}`);
      assert.equal(r.status, 200, query);
      return (await r.json()) as Array<Record<string, unknown>>;
    };
    assert.equal((await page('')).length, 10, 'page_size defaults to 10');
    assert.equal((await page('?page=16&page_size=10')).length, 1, '151 = 15 full pages + 1');
    const tail = await page('?limit=5&offset=148');
    assert.equal(tail.length, 3);
    const f = tail[0] as Record<string, unknown>;
    for (const k of ['id', 'name', 'size', 'is_link_only', 'download_url', 'supplied_md5', 'computed_md5', 'mimetype']) assert.ok(k in f, k);
    assert.match(String(f.computed_md5), /^[0-9a-f]{32}$/);
    for (const q of ['?page=1&limit=10', '?offset=995&limit=10', '?page_size=1001']) {
      const r = await fetch(`${base}/articles/${id}/files${q}`);
      assert.equal(r.status, 422, q);
      assert.deepEqual(Object.keys((await r.json()) as object).sort(), ['code', 'data', 'message']);
    }
    const first = await fetch(`${base}/articles/${id}/files`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag');
    const modified = first.headers.get('last-modified');
    assert.ok(etag && modified);
    assert.equal((await fetch(`${base}/articles/${id}/files`, { headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await fetch(`${base}/articles/${id}/files`, { headers: { 'If-Modified-Since': modified } })).status, 304);
    const missing = await fetch(`${base}/articles/${id + 1}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys((await missing.json()) as object).sort(), ['code', 'data', 'message']);
  });

  test('D17 figshare downloads: ndownloader and /v2/file/download → 302 to a blob URL serving the bytes (Range too); web route → 202 HTML', async () => {
    const base = server.urls.figshare;
    const file = ((await (await fetch(`${base}/articles/${dataset.figshare.articleId}/files?limit=1&offset=7`)).json()) as Array<{ id: number; size: number; computed_md5: string; download_url: string }>)[0];
    assert.ok(file);
    const figshareRoot = base.replace(/\/v2$/, '');
    assert.equal(file.download_url, `${figshareRoot}/ndownloader/files/${file.id}`);
    for (const url of [file.download_url, `${base}/file/download/${file.id}`]) {
      const hop = await fetch(url, { redirect: 'manual' });
      assert.equal(hop.status, 302, url);
      const location = hop.headers.get('location') ?? '';
      assert.notEqual(location, url);
      const blob = Buffer.from(await (await fetch(location)).arrayBuffer());
      assert.equal(blob.length, file.size);
      assert.equal(md5(blob), file.computed_md5);
      const part = await fetch(location, { headers: { Range: 'bytes=8-15' } });
      assert.equal(part.status, 206);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(blob.subarray(8, 16)));
    }
    const web = await fetch(`${figshareRoot}/figshare-web/ndownloader/files/${file.id}`);
    assert.equal(web.status, 202);
    assert.match(web.headers.get('content-type') ?? '', /^text\/html/);
  });

  test('D18 GDC POST/GET /files: size defaults to 10, from, filters as object or string, fields, TSV, the data/warnings envelope', async () => {
    const names = demo.dataset.gdc.files.map((f) => f.fileName);
    const filters = { op: 'in', content: { field: 'files.file_name', value: names } };
    const post = async (body: Record<string, unknown>): Promise<Response> =>
      fetch(`${server.urls.gdc}/files`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const dflt = (await (await post({ filters, fields: 'file_id,file_name,md5sum,file_size' })).json()) as {
      data: { hits: Array<Record<string, unknown>>; pagination: Record<string, number> };
      warnings: unknown;
    };
    assert.deepEqual(Object.keys(dflt).sort(), ['data', 'warnings']);
    assert.equal(dflt.data.hits.length, 10, 'size defaults to 10');
    assert.equal(dflt.data.pagination.total, 151);
    const all = (await (await post({ filters: JSON.stringify(filters), fields: 'file_id,file_name', size: '200', format: 'JSON' })).json()) as typeof dflt;
    assert.equal(all.data.hits.length, 151, 'filters as a JSON string, size 200');
    const from = (await (await post({ filters, size: 5, from: 148 })).json()) as typeof dflt;
    assert.equal(from.data.hits.length, 3);
    const get = await fetch(`${server.urls.gdc}/files?filters=${encodeURIComponent(JSON.stringify(filters))}&size=1&fields=file_name`);
    assert.equal(((await get.json()) as typeof dflt).data.hits.length, 1);
    const tsv = await post({ filters, fields: 'file_id,file_name', size: 2, format: 'TSV' });
    const lines = (await tsv.text()).trim().split(/\r?\n/);
    assert.equal(lines.length, 3, 'header + 2 rows');
  });

  test('D19 GDC /data/{id}: Content-Disposition, Content-Length, hex Content-MD5, inclusive Range 206, controlled → 403 without X-Auth-Token', async () => {
    const f = demo.dataset.gdc.files[3] as GdcFile;
    const r = await raw('GET', `/gdc/data/${f.fileId}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-disposition'], `attachment; filename=${f.fileName}`);
    assert.equal(Number(r.headers['content-length']), r.body.length);
    assert.equal(r.headers['content-md5'], md5(r.body), 'hex, not base64');
    assert.equal(r.headers['content-md5'], f.md5);
    const part = await raw('GET', `/gdc/data/${f.fileId}`, [['Range', 'bytes=10-19']]);
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(r.body.subarray(10, 20)), 'inclusive end');
    assert.equal((await raw('GET', `/gdc/data/${controlled.fileId}`)).status, 403);
    assert.equal((await raw('GET', `/gdc/data/${controlled.fileId}`, [['X-Auth-Token', 'a-token']])).status, 200);
  });

  test('D20 faults as a client sees them: HTML 5xx, 429 + Retry-After, short and reset bodies, empty 200, full 200 for a Range, WAF, expired URL', async () => {
    const withFaults = async (faults: FaultOptions, run: (s: RunningServer) => Promise<void>): Promise<void> => {
      const s = await startServer({ dataset, port: 0, faults });
      try {
        await run(s);
      } finally {
        await s.close();
      }
    };
    for (const [kind, status] of [
      ['error502', 502],
      ['error503', 503],
      ['error504', 504],
    ] as const) {
      await withFaults({ seed: 1, girder: { [kind]: 1 } }, async (s) => {
        const gc = new GirderClientReplay({ apiUrl: s.urls.girder });
        try {
          await assert.rejects(gc.get(`item/${IDS.docItem}`), (err: unknown) => {
            assert.ok(err instanceof GirderHttpError);
            assert.equal(err.status, status);
            assert.match(err.responseText, /<html/i, 'a proxy HTML page, not JSON');
            return true;
          });
        } finally {
          gc.close();
        }
      });
    }
    for (const httpDate of [false, true]) {
      await withFaults({ seed: 1, gdc: { rateLimit429: 1, retryAfterSeconds: 3, retryAfterHttpDate: httpDate } }, async (s) => {
        const r = await fetch(`${s.urls.gdc}/status`);
        await r.arrayBuffer();
        assert.equal(r.status, 429);
        const after = r.headers.get('retry-after') ?? '';
        if (httpDate) assert.ok(Number.isFinite(Date.parse(after)) && !/^\d+$/.test(after), after);
        else assert.equal(after, '3');
      });
    }
    for (const cut of ['truncateBody', 'resetMidBody'] as const) {
      await withFaults({ seed: 1, girder: { [cut]: 1, pathIncludes: '/download' } }, async (s) => {
        const gc = new GirderClientReplay({ apiUrl: s.urls.girder });
        try {
          const res = await gc.getRaw(`file/${IDS.docFileB}/download`);
          assert.equal(res.complete, false, `${cut}: the body ends early`);
          assert.ok(res.body.length < 70_000);
          await assert.rejects(gc.downloadFile(IDS.docFileB, '/nonexistent/x'), IncompleteResponseError);
        } finally {
          gc.close();
        }
      });
    }
    await withFaults({ seed: 1, girder: { emptyBody200: 1, pathIncludes: '/tiles/region' } }, async (s) => {
      const r = await fetch(`${s.urls.girder}/item/${IDS.slideItem}/tiles/region?left=0&right=64&top=0&bottom=64`);
      const body = Buffer.from(await r.arrayBuffer());
      assert.deepEqual([r.status, body.length], [200, 0]);
      await assert.rejects(async () => sharp(body).metadata(), 'an image decoder refuses it, as PIL does in the BCSS script');
    });
    await withFaults({ seed: 1, girder: { ignoreRange: 1 } }, async (s) => {
      const r = await fetch(`${s.urls.girder}/file/${IDS.slideFile}/download`, { headers: { Range: 'bytes=0-99' } });
      assert.equal(r.status, 200);
      assert.equal((await r.arrayBuffer()).byteLength, fx.slideBytes.length, 'the whole file for a ranged request');
    });
    await withFaults({ seed: 1, figshare: { challenge202: 1, pathIncludes: '/ndownloader/' } }, async (s) => {
      const r = await fetch(`${s.urls.figshare.replace(/\/v2$/, '')}/ndownloader/files/${dataset.figshare.files[0]?.id}`);
      assert.equal(r.status, 202);
      assert.match(await r.text(), /<html/i);
    });
    await withFaults({ seed: 1, figshare: { expiredUrl403: 1 } }, async (s) => {
      const r = await fetch(`${s.urls.figshare.replace(/\/v2$/, '')}/ndownloader/files/${dataset.figshare.files[0]?.id}`);
      assert.equal(r.status, 403, 'the redirect is followed and the object store refuses the URL');
      assert.match(await r.text(), /<Code>AccessDenied<\/Code>/);
    });
  });
});
