import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { DSA_FOLDER_ID } from '../../src/catalog/index.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import { splitGirderPath } from '../../src/server/girder/routes-girder-client.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { readStoredJpegTile } from '../../src/slides/tiff-tile-reader.js';
import { diffStats } from '../slides/fixtures.js';
import { GIRDER_DATETIME } from './compat-helpers.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

/** A2-A04P has two stored levels at this scale (1× and 4×); A1-A0SK one. */
const SLIDES = ['A1-A0SK', 'A2-A04P'];

describe('girder_client calls beyond listings: system, lookup, folder details, describe, zxy tiles, thumbnail', () => {
  let cacheDir = '';
  let dataset: ServedDataset;
  let server: RunningServer;
  let api = '';
  let twoLevels: ServedItem;

  const getJson = async (path: string, init?: RequestInit): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${api}/${path}`, init);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const getBytes = async (path: string, init?: RequestInit): Promise<{ status: number; body: Buffer; res: Response }> => {
    const res = await fetch(`${api}/${path}`, init);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), res };
  };

  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'bcss-girder-client-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(cacheDir), slides: SLIDES });
    server = await startServer({ dataset, port: 0 });
    api = server.urls.girder;
    twoLevels = dataset.items.find((i) => i.name.startsWith('TCGA-A2-A04P')) as ServedItem;
    const g = twoLevels.slide?.geometry;
    assert.ok(g !== undefined);
    assert.deepEqual([g.stored?.(g.levels - 2), g.stored?.(g.levels - 3)], [false, true], 'stores 1× and 4×, not 2×');
  });
  after(async () => {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('system/version and system/check answer like Girder 3; non-basic checks need an administrator', async () => {
    const v = await getJson('system/version');
    assert.equal(v.status, 200);
    assert.deepEqual(Object.keys(v.json).sort(), ['release', 'serverStartDate']);
    assert.match(String(v.json.release), /^3\.\d+\.\d+$/);
    assert.match(String(v.json.serverStartDate), GIRDER_DATETIME);
    const c = await getJson('system/check');
    assert.deepEqual(Object.keys(c.json).sort(), ['bootTime', 'currentTime', 'processStartTime', 'requestBase']);
    assert.equal(c.json.requestBase, api);
    const now = Date.now() / 1000;
    assert.ok(Math.abs((c.json.currentTime as number) - now) < 60);
    assert.ok((c.json.bootTime as number) <= (c.json.processStartTime as number));
    const quick = await getJson('system/check?mode=quick');
    assert.equal(quick.status, 401);
    assert.equal(quick.json.type, 'access');
    assert.equal((await getJson('system/check?mode=fast')).status, 400);
  });

  test('resource/lookup walks /collection/<name>/<folder>/<item>/<file>; misses are "Path not found"', async () => {
    const item = dataset.items[0] as ServedItem;
    const base = '/collection/BCSS/BCSS slides';
    const q = (p: string): string => `resource/lookup?path=${encodeURIComponent(p)}`;
    assert.equal((await getJson(q('/collection/BCSS'))).json._modelType, 'collection');
    const folder = await getJson(q(base));
    assert.deepEqual([folder.json._modelType, folder.json._id], ['folder', DSA_FOLDER_ID]);
    const itemDoc = await getJson(q(`${base}/${item.name}`));
    assert.deepEqual([itemDoc.json._modelType, itemDoc.json._id], ['item', item.id]);
    assert.equal(itemDoc.json.size, item.files[0]?.size, 'the true size of the slide file');
    const fileDoc = await getJson(q(`${base}/${item.name}/${item.name}`));
    assert.deepEqual([fileDoc.json._modelType, fileDoc.json._id], ['file', item.files[0]?.id]);
    assert.equal((await getJson(q('/user/demo'))).json._modelType, 'user');
    for (const [path, message] of [
      [`${base}/nope.svs`, 'Path not found: collection/BCSS/BCSS slides/nope.svs'],
      ['/collection/Other', 'Collection not found: Other'],
      ['/user/nobody', 'User not found: nobody'],
      ['/folder/x', 'Invalid path format'],
    ]) {
      const miss = await getJson(q(path as string));
      assert.equal(miss.status, 400, path);
      assert.deepEqual(miss.json, { message, type: 'validation' });
    }
    assert.equal((await getJson('resource/lookup')).status, 400, 'path is required');
    assert.deepEqual(splitGirderPath('collection/a\\/b/c\\\\'), ['collection', 'a/b', 'c\\']);
  });

  test('folder/{id}/details counts items and folders; describe lists every route', async () => {
    assert.deepEqual((await getJson(`folder/${DSA_FOLDER_ID}/details`)).json, { nFolders: 0, nItems: 2 });
    assert.equal((await getJson('folder/0123456789abcdef01234567/details')).status, 400);
    const d = await getJson('describe');
    assert.equal(d.json.swagger, '2.0');
    assert.equal(d.json.basePath, '/api/v1');
    const paths = Object.keys(d.json.paths as Record<string, unknown>);
    for (const p of ['/item/{id}/tiles/zxy/{z}/{x}/{y}', '/item/{id}/tiles/region', '/system/version', '/resource/lookup', '/folder/{id}/details']) {
      assert.ok(paths.includes(p), p);
    }
  });

  test('zxy tiles: stored JPEG tiles pass through; other levels are rendered from the same pixels', async () => {
    const g = twoLevels.slide?.geometry;
    assert.ok(g !== undefined);
    const info = await getJson(`item/${twoLevels.id}/tiles`);
    assert.equal(info.json.levels, g.levels);
    const path = await twoLevels.slide?.storedTiff?.();
    assert.ok(path !== undefined);
    const top = g.levels - 1;
    // Full resolution, tile (1, 1): byte-for-byte the stored tile of IFD 0.
    const full = await getBytes(`item/${twoLevels.id}/tiles/zxy/${top}/1/1`);
    assert.equal(full.status, 200);
    assert.equal(full.res.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(full.body, await readStoredJpegTile(path, 0, 1, 1));
    // 4×: the stored level in IFD 2 (IFD 1 is the thumbnail).
    const quarter = await getBytes(`item/${twoLevels.id}/tiles/zxy/${top - 2}/0/0`);
    assert.deepEqual(quarter.body, await readStoredJpegTile(path, 2, 0, 0));
    // 2× is not stored: rendered from level 0, close to the file's own 2× view of that area.
    const half = await getBytes(`item/${twoLevels.id}/tiles/zxy/${top - 1}/1/0`);
    const decoded = await sharp(half.body).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([decoded.info.width, decoded.info.height], [240, 240]);
    const slide = await openSlide(path);
    const area = await slide.readRaw(0, { left: 480, top: 0, width: 480, height: 480 });
    await slide.close();
    const expected = await sharp(area.data, { raw: { width: 480, height: 480, channels: 3 } }).resize(240, 240, { kernel: 'lanczos3' }).raw().toBuffer();
    const stats = diffStats(decoded.data, expected);
    assert.ok(stats.mean < 2, JSON.stringify(stats));
    // PNG is rendered, never passed through: the same pixels within JPEG error.
    const png = await getBytes(`item/${twoLevels.id}/tiles/zxy/${top}/1/1?encoding=PNG`);
    assert.equal(png.res.headers.get('content-type'), 'image/png');
    const fromPng = await sharp(png.body).removeAlpha().raw().toBuffer();
    const fromJpeg = await sharp(full.body).raw().toBuffer();
    assert.ok(diffStats(fromPng, fromJpeg).mean < 1.5);
    assert.equal((await getJson(`item/${twoLevels.id}/tiles/zxy/${top}/1/1?encoding=TIFF`)).status, 400);
    // The frame route is the same tile; conditional requests use the ETag.
    const framed = await getBytes(`item/${twoLevels.id}/tiles/fzxy/0/${top}/1/1`);
    assert.deepEqual(framed.body, full.body);
    const etag = full.res.headers.get('etag');
    assert.match(etag ?? '', /^"[0-9a-f]{32}"$/);
    assert.equal((await getBytes(`item/${twoLevels.id}/tiles/zxy/${top}/1/1`, { headers: { 'If-None-Match': etag ?? '' } })).status, 304);
  });

  test('zxy errors: large_image messages and statuses', async () => {
    const id = twoLevels.id;
    const levels = twoLevels.slide?.geometry.levels ?? 0;
    for (const [path, status, message] of [
      [`item/${id}/tiles/zxy/${levels}/0/0`, 404, 'z layer does not exist'],
      [`item/${id}/tiles/zxy/${levels - 1}/999/0`, 404, 'x is outside layer'],
      [`item/${id}/tiles/zxy/${levels - 1}/0/999`, 404, 'y is outside layer'],
      [`item/${id}/tiles/zxy/0/a/0`, 400, 'x, y, and z must be integers'],
      [`item/${id}/tiles/zxy/0/-1/0`, 400, 'x, y, and z must be positive integers'],
      [`item/${id}/tiles/fzxy/1/0/0/0`, 404, 'Frame does not exist'],
    ] as const) {
      const r = await getJson(path);
      assert.equal(r.status, status, path);
      assert.equal(r.json.message, message, path);
    }
  });

  test('tiles/thumbnail: the whole slide within 256 × 256 by default, or the sizes asked for', async () => {
    const g = twoLevels.slide?.geometry;
    assert.ok(g !== undefined);
    const t = await getBytes(`item/${twoLevels.id}/tiles/thumbnail`);
    assert.equal(t.res.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(t.body).metadata();
    assert.equal(Math.max(meta.width ?? 0, meta.height ?? 0), 256);
    assert.ok(Math.abs((meta.width ?? 0) / (meta.height ?? 1) - g.sizeX / g.sizeY) < 0.02);
    const png = await getBytes(`item/${twoLevels.id}/tiles/thumbnail?width=100&encoding=PNG`);
    assert.equal(png.res.headers.get('content-type'), 'image/png');
    assert.equal((await sharp(png.body).metadata()).width, 100);
  });
});
