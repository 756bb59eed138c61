/**
 * `girder-client --api-url U [--api-key K] download <id> <dir>` and the girder_client library,
 * replayed request for request against `bcss serve` (docs/protocols.md#girder-authentication, #girder-item-listing, #girder-files, #girder-resource-path, #girder-client-behaviour).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareCodePoints } from '../../src/server/girder/girder-json.js';
import { DSA_FOLDER_ID } from '../../src/catalog/index.js';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import type { RunningServer } from '../../src/server/start-server.js';
import {
  AuthenticationError,
  GirderClientReplay,
  girderClientDownload,
  GirderHttpError,
  IncompleteResponseError,
  loadCompatDataset,
  REQUESTS_UA,
  scratchDir,
  servedBytes,
  startCompatServer,
  type CompatDataset,
} from './compat-helpers.js';
import { IDS, startFixtureServer, type Fixture } from './fixtures.js';

const KEY = 'bcssCompatKey0123456789abcdefghijklmnopq'; // 40 alphanumerics, like a Girder API key
assert.equal(KEY.length, 40);

/** What the CLI sends for an item id after authentication, as (method, path) pairs. */
function cliItemSequence(itemId: string, fileId: string): Array<[string, string]> {
  return [
    ['GET', `resource/${itemId}/path?type=folder`],
    ['GET', `resource/${itemId}/path?type=collection`],
    ['GET', `resource/${itemId}/path?type=user`],
    ['GET', `resource/${itemId}/path?type=item`],
    ['GET', `item/${itemId}`],
    ['GET', `item/${itemId}/files?limit=50&offset=0`],
    ['GET', `file/${fileId}`],
    ['GET', `file/${fileId}/download`],
  ];
}

/** The slides' files as placeholder bytes: girder-client moves bytes and never opens them as slides. */
const STAND_IN = { slideFiles: 'stand-in' } as const;

const header = (headers: Array<[string, string]>, name: string): string | undefined => headers.find(([k]) => k === name)?.[1];

describe('the replay harness sends what python-requests sends', () => {
  let capture: Server;
  const heads: string[] = [];
  let port = 0;
  before(async () => {
    capture = createServer((socket) => {
      socket.once('data', (d) => {
        heads.push(d.toString('latin1'));
        const body = '{"authToken": {"token": "tok"}, "user": {}}';
        socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    port = (capture.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => capture.close(() => resolve())));

  test('request heads equal python-requests 2.34.2 captures (empty Girder-Token, Content-Length: 0, Basic without token)', async () => {
    const gc = new GirderClientReplay({ apiUrl: `http://127.0.0.1:${port}/api/v1/` });
    try {
      await gc.getRaw('/item/x/tiles/region?left=1&mm_x=0.0003');
      await gc.post('api_key/token', { key: 'K' });
      gc.token = '';
      await gc.authenticate({ username: 'demo', password: 'demo' });
      await gc.get('item/x/files', { limit: 50, offset: 0 });
    } finally {
      gc.close();
    }
    // Captured from python-requests 2.34.2 with a raw socket, Host port replaced by {P}:
    // requests.get(base + '/item/x/tiles/region?…', headers={'Girder-Token': ''}),
    // requests.post(base + 'api_key/token', params={'key': 'K'}, headers={'Girder-Token': ''}),
    // requests.get(base + 'user/authentication', auth=('demo', 'demo'), headers={'Girder-Token': None}),
    // requests.get(base + 'item/x/files', params={'limit': 50, 'offset': 0}, headers={'Girder-Token': 'tok'}).
    const common = `Host: 127.0.0.1:{P}\r\nUser-Agent: ${REQUESTS_UA}\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n`;
    const expected = [
      `GET /api/v1//item/x/tiles/region?left=1&mm_x=0.0003 HTTP/1.1\r\n${common}Girder-Token: \r\n\r\n`,
      `POST /api/v1/api_key/token?key=K HTTP/1.1\r\n${common}Girder-Token: \r\nContent-Length: 0\r\n\r\n`,
      `GET /api/v1/user/authentication HTTP/1.1\r\n${common}Authorization: Basic ZGVtbzpkZW1v\r\n\r\n`,
      `GET /api/v1/item/x/files?limit=50&offset=0 HTTP/1.1\r\n${common}Girder-Token: tok\r\n\r\n`,
    ].map((h) => h.replace('{P}', String(port)));
    assert.deepEqual(heads, expected);
  });
});

describe('girder-client download against the demo server (public mode)', () => {
  let data: CompatDataset;
  let server: RunningServer;
  let item: ServedItem;
  before(async () => {
    data = await loadCompatDataset(undefined, STAND_IN);
    server = await startCompatServer(data.dataset);
    item = data.dataset.items[0] as ServedItem;
  });
  after(async () => {
    await server.close();
    await data.dispose();
  });

  test('anonymous `download <itemId> <dir>`: probes folder/collection/user (400) then item, writes dir/<name>', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-anon-');
    const file = item.files[0];
    assert.ok(file);
    try {
      const type = await girderClientDownload(gc, { parentId: item.id, localFolder: out.dir });
      assert.equal(type, 'item');
      assert.deepEqual(
        gc.wire.map((w) => [w.method, w.path]),
        cliItemSequence(item.id, file.id),
      );
      assert.deepEqual(
        gc.wire.map((w) => w.status),
        [400, 400, 400, 200, 200, 200, 200, 200],
        'every accepted answer is a plain 200, which old clients require',
      );
      for (const w of gc.wire) assert.equal(header(w.headers, 'Girder-Token'), '', 'anonymous: an empty Girder-Token header');
      for (const w of gc.wire.slice(0, 3)) {
        assert.equal(w.responseHeaders['content-type'], 'application/json');
      }
      assert.deepEqual(await readdir(out.dir), [item.name], 'a lone file named like the item is written as dir/<name>');
      const written = await readFile(join(out.dir, item.name));
      assert.ok(written.equals(await servedBytes(file)));
      assert.deepEqual(gc.progressLengths, [file.size], 'the progress length is the Content-Length');
      for (const t of gc.tempFiles) assert.ok(!existsSync(t), 'the temp file was moved');
      assert.deepEqual(
        server.log.slice(-8).map((e) => e.status),
        [400, 400, 400, 200, 200, 200, 200, 200],
        'the server saw the same exchange',
      );
    } finally {
      gc.close();
      await out.dispose();
    }
  });

  test('the resource-path probes answer 400 "Invalid resource id." (the CLI continues only on 400)', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      for (const type of ['folder', 'collection', 'user']) {
        await assert.rejects(gc.get(`resource/${item.id}/path`, { type }), (err: unknown) => {
          assert.ok(err instanceof GirderHttpError);
          assert.equal(err.status, 400);
          assert.equal(err.responseText, '{"message": "Invalid resource id.", "type": "rest"}');
          return true;
        });
      }
      assert.equal(await gc.get(`resource/${item.id}/path`, { type: 'item' }), `/collection/BCSS/BCSS slides/${item.name}`);
    } finally {
      gc.close();
    }
  });

  test('listResource pages the BCSS folder with limit=50: 50, 50, 50, 1, Girder-Total-Count 151, lowerName order', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      const items = await gc.listItem(DSA_FOLDER_ID);
      assert.deepEqual(gc.pageSizes, [50, 50, 50, 1]);
      assert.deepEqual(
        gc.wire.map((w) => w.path),
        [0, 50, 100, 150].map((o) => `item?folderId=${DSA_FOLDER_ID}&offset=${o}&limit=50`),
      );
      for (const w of gc.wire) assert.equal(w.responseHeaders['girder-total-count'], '151');
      const names = items.map((i) => i.name as string);
      assert.equal(new Set(names).size, 151, 'no item twice, none skipped');
      assert.deepEqual(new Set(names), new Set(data.dataset.items.map((i) => i.name)));
      const lower = names.map((n) => n.toLowerCase());
      assert.deepEqual(lower, [...lower].sort(compareCodePoints), 'default sort: lowerName, binary order');
    } finally {
      gc.close();
    }
  });

  test('listFile repeats the item id as an `id` query parameter; the server ignores it like Girder', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      // girder_client.listFile: listResource('item/%s/files' % itemId, params={'id': itemId}).
      const files = await gc.listResource(`item/${item.id}/files`, { id: item.id });
      assert.equal(gc.wire[0]?.path, `item/${item.id}/files?id=${item.id}&offset=0&limit=50`);
      assert.deepEqual(
        files.map((f) => f._id),
        item.files.map((f) => f.id),
      );
    } finally {
      gc.close();
    }
  });

  test('the BCSS script form `item?folderId=…&limit=1000000` returns all 151 in one answer', async () => {
    const gc = new GirderClientReplay({ apiUrl: `${server.urls.girder}/` });
    try {
      const all = (await gc.get(`item?folderId=${DSA_FOLDER_ID}&limit=1000000`)) as Array<{ _id: string }>;
      assert.equal(all.length, 151);
      assert.equal(gc.wire.length, 1);
      assert.equal(gc.wire[0]?.responseHeaders['girder-total-count'], '151');
      const one = (await gc.listItem(DSA_FOLDER_ID, { limit: 1, offset: 150 })) as Array<{ _id: string }>;
      assert.deepEqual(
        one.map((i) => i._id),
        [all[150]?._id],
        'a given limit fetches one page only',
      );
    } finally {
      gc.close();
    }
  });

  test('Basic login (--username/--password) then token use; a wrong password is an AuthenticationError', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-basic-');
    try {
      await girderClientDownload(gc, { username: 'demo', password: 'demo', parentId: item.id, localFolder: out.dir });
      const [login, ...rest] = gc.wire;
      assert.ok(login);
      assert.deepEqual([login.method, login.path, login.status], ['GET', 'user/authentication', 200]);
      assert.equal(header(login.headers, 'Girder-Token'), undefined, 'login sends no Girder-Token header');
      assert.match(header(login.headers, 'Authorization') ?? '', /^Basic /);
      assert.match(gc.token, /^[A-Za-z0-9]{64}$/);
      for (const w of rest) assert.equal(header(w.headers, 'Girder-Token'), gc.token);
      assert.deepEqual(await readdir(out.dir), [item.name]);
      const bad = new GirderClientReplay({ apiUrl: server.urls.girder });
      try {
        await assert.rejects(bad.authenticate({ username: 'demo', password: 'wrong' }), AuthenticationError);
        assert.equal(bad.wire[0]?.status, 401);
      } finally {
        bad.close();
      }
    } finally {
      gc.close();
      await out.dispose();
    }
  });
});

describe('girder-client download against the demo server (private mode, --api-key)', () => {
  let data: CompatDataset;
  let server: RunningServer;
  let item: ServedItem;
  before(async () => {
    data = await loadCompatDataset(['TCGA-A1-A0SK', 'TCGA-A8-A07C'], STAND_IN);
    // Private mode has no built-in password; this server configures one for the Basic-login test.
    server = await startCompatServer(data.dataset, { apiKey: KEY, password: 'demo' });
    item = data.dataset.items[1] as ServedItem;
  });
  after(async () => {
    await server.close();
    await data.dispose();
  });

  test('POST api_key/token?key=K (query string, Content-Length 0) then the item sequence with Girder-Token', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-key-');
    const file = item.files[0];
    assert.ok(file);
    try {
      await girderClientDownload(gc, { apiKey: KEY, parentId: item.id, localFolder: out.dir });
      const [auth, ...rest] = gc.wire;
      assert.ok(auth);
      assert.deepEqual([auth.method, auth.path, auth.status], ['POST', `api_key/token?key=${KEY}`, 200]);
      assert.equal(header(auth.headers, 'Content-Length'), '0');
      assert.deepEqual(
        rest.map((w) => [w.method, w.path]),
        cliItemSequence(item.id, file.id),
      );
      assert.deepEqual(
        rest.map((w) => w.status),
        [400, 400, 400, 200, 200, 200, 200, 200],
      );
      for (const w of rest) assert.equal(header(w.headers, 'Girder-Token'), gc.token);
      const written = await readFile(join(out.dir, item.name));
      assert.ok(written.equals(await servedBytes(file)));
      assert.ok(!server.log.some((e) => e.path.includes(KEY)), 'the key never reaches the request log');
    } finally {
      gc.close();
      await out.dispose();
    }
  });

  test('a bad key: 400 "Invalid API key." (validation) and the CLI stops before any resource request', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      await assert.rejects(girderClientDownload(gc, { apiKey: 'x'.repeat(40), parentId: item.id, localFolder: '/nonexistent' }), (err: unknown) => {
        assert.ok(err instanceof GirderHttpError);
        assert.equal(err.status, 400);
        assert.equal(err.responseText, '{"message": "Invalid API key.", "type": "validation"}');
        return true;
      });
      assert.equal(gc.wire.length, 1);
    } finally {
      gc.close();
    }
  });

  test('anonymous in private mode: the type probes still answer 400, the item probe 401, and the CLI aborts', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-anon-private-');
    try {
      await assert.rejects(girderClientDownload(gc, { parentId: item.id, localFolder: out.dir }), (err: unknown) => {
        assert.ok(err instanceof GirderHttpError);
        assert.equal(err.status, 401);
        assert.equal(JSON.parse(err.responseText).type, 'access');
        return true;
      });
      assert.deepEqual(
        gc.wire.map((w) => w.status),
        [400, 400, 400, 401],
      );
      assert.deepEqual(await readdir(out.dir), []);
      const listing = new GirderClientReplay({ apiUrl: server.urls.girder });
      try {
        await assert.rejects(listing.listItem(DSA_FOLDER_ID), (err: unknown) => err instanceof GirderHttpError && err.status === 401);
      } finally {
        listing.close();
      }
    } finally {
      gc.close();
      await out.dispose();
    }
  });

  test('Basic login as the key owner gives a token that reads the private folder', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      const user = (await gc.authenticate({ username: 'demo', password: 'demo' })) as { login: string; _modelType: string };
      assert.deepEqual([user.login, user._modelType], ['demo', 'user']);
      const items = await gc.listItem(DSA_FOLDER_ID);
      assert.equal(items.length, 2);
    } finally {
      gc.close();
    }
  });
});

describe('girder_client edge cases', () => {
  test('a folder of exactly 50 items: listResource asks once more, gets [], and stops', async () => {
    const data = await loadCompatDataset(undefined, STAND_IN);
    const names = data.dataset.items.slice(0, 50).map((i) => i.name);
    const fifty = await loadCompatDataset(names, STAND_IN);
    await data.dispose();
    const server = await startCompatServer(fifty.dataset);
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      const items = await gc.listItem(DSA_FOLDER_ID);
      assert.equal(items.length, 50);
      assert.deepEqual(gc.pageSizes, [50, 0]);
    } finally {
      gc.close();
      await server.close();
      await fifty.dispose();
    }
  });

  test('a body shorter than the file size fails downloadFile with IncompleteResponseError and leaves nothing', async () => {
    const data = await loadCompatDataset(['TCGA-A1-A0SK'], STAND_IN);
    const server = await startCompatServer(data.dataset, { faults: { seed: 5, girder: { truncateBody: 1, pathIncludes: '/download' } } });
    const item = data.dataset.items[0] as ServedItem;
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-short-');
    try {
      await assert.rejects(girderClientDownload(gc, { parentId: item.id, localFolder: out.dir }), (err: unknown) => {
        assert.ok(err instanceof IncompleteResponseError);
        assert.equal(err.expected, item.files[0]?.size);
        assert.ok(err.received < err.expected);
        return true;
      });
      assert.equal(gc.wire.at(-1)?.status, 200, 'the truncated answer itself is a 200 with the full Content-Length');
      assert.deepEqual(await readdir(out.dir), []);
      for (const t of gc.tempFiles) assert.ok(!existsSync(t), 'the temp file is deleted');
    } finally {
      gc.close();
      await server.close();
      await out.dispose();
      await data.dispose();
    }
  });
});

describe('girder-client download of items with several or differently named files (fixture)', () => {
  let server: RunningServer & { fx: Fixture };
  let dataset: ServedDataset;
  before(async () => {
    server = await startFixtureServer();
    dataset = server.fx.dataset;
  });
  after(() => server.close());

  const bytesOf = async (fileId: string): Promise<Buffer> => {
    const file = dataset.items.flatMap((i) => i.files).find((f) => f.id === fileId);
    assert.ok(file, fileId);
    return servedBytes(file);
  };

  test('several files → dir/<item name>/<file name>; a lone file with another name → dir/<item>/<file>', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-multi-');
    try {
      assert.equal(await girderClientDownload(gc, { parentId: IDS.docItem, localFolder: out.dir }), 'item');
      const names = ['a.txt', 'b \u00e9\u2603 "q".txt'];
      assert.deepEqual((await readdir(join(out.dir, 'notes'))).sort(), names);
      assert.ok((await readFile(join(out.dir, 'notes', 'a.txt'))).equals(await bytesOf(IDS.docFileA)));
      assert.ok((await readFile(join(out.dir, 'notes', names[1] as string))).equals(await bytesOf(IDS.docFileB)));
      const other = dataset.items.find((i) => i.name === 'Item-007');
      assert.ok(other);
      await gc.downloadItem(other.id, out.dir);
      assert.deepEqual(await readdir(join(out.dir, 'Item-007')), ['Item-007.txt']);
    } finally {
      gc.close();
      await out.dispose();
    }
  });

  test('a folder id: the first probe (folder) succeeds and the tree is downloaded recursively', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    const out = await scratchDir('bcss-gc-folder-');
    try {
      assert.equal(await girderClientDownload(gc, { parentId: IDS.publicFolder, localFolder: out.dir }), 'folder');
      assert.equal(gc.wire[0]?.path, `resource/${IDS.publicFolder}/path?type=folder`);
      assert.equal(gc.wire[0]?.status, 200);
      assert.deepEqual((await readdir(out.dir)).sort(), ['TCGA-A1-A0SK-01Z-00-DX1.test.svs', 'notes', 'sub']);
      assert.ok((await readFile(join(out.dir, 'sub', 'nested.bin'))).equals(await bytesOf(IDS.nestedFile)));
      assert.ok((await readFile(join(out.dir, 'TCGA-A1-A0SK-01Z-00-DX1.test.svs'))).equals(server.fx.slideBytes));
      assert.ok(gc.wire.every((w) => w.status === 200 || w.path.includes('/path?type=')), 'nothing but 200s after the probes');
    } finally {
      gc.close();
      await out.dispose();
    }
  });

  test('the private folder: 401 on the first probe aborts an anonymous CLI (only 400 continues)', async () => {
    const gc = new GirderClientReplay({ apiUrl: server.urls.girder });
    try {
      await assert.rejects(girderClientDownload(gc, { parentId: IDS.privateItem, localFolder: '/nonexistent' }), (err: unknown) => {
        assert.ok(err instanceof GirderHttpError);
        assert.equal(err.status, 401);
        return true;
      });
      assert.deepEqual(
        gc.wire.map((w) => w.status),
        [400, 400, 400, 401],
      );
    } finally {
      gc.close();
    }
  });
});
