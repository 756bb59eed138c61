/**
 * The original BCSS download script (PathologyDataScience/BCSS: download_crowdsource_dataset.py,
 * configs.py) replayed against `bcss serve` in the order it runs (docs/protocols.md#the-original-script-on-the-wire): API-key
 * auth, one `limit=1000000` listing keyed by the first 12 characters of the slide name, per ROI a
 * `//item/<id>/tiles/region` render decoded as an image, the mask from its figshare link with a
 * plain HTTP client, `//annotation/item/<id>` parsed as JSON, and the WSI script's API key.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { DSA_FOLDER_ID } from '../../src/catalog/index.js';
import { planRegion } from '../../src/geometry/region-size.js';
import type { RegionRequest, SlideGeometry } from '../../src/geometry/types.js';
import type { RunningServer } from '../../src/server/start-server.js';
import {
  dictReader,
  GirderClientReplay,
  girderClientDownload,
  JsonDecodeError,
  loadCompatDataset,
  originOf,
  parseWsiScriptLine,
  pyFixed,
  scratchDir,
  servedBytes,
  startCompatServer,
  type CompatDataset,
  type Json,
} from './compat-helpers.js';

/** configs.py: `SLIDES_TO_KEEP` (TCGA-A8-A07C is one of the 14 slides scanned at 20×). */
const SLIDES_TO_KEEP = ['TCGA-BH-A1FC', 'TCGA-A8-A07C', 'TCGA-A1-A0SK'];
const API_KEY = 'n0tAReaLKeyButFortyAlphanumericChars0123';
const FIGSHARE_DOWNLOAD_HOST = 'https://ndownloader.figshare.com';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface ScriptState {
  gc: GirderClientReplay;
  slides: Map<string, { name: string; _id: string }>;
  slideList: string[];
}

/** `run_prepwork()`: authenticate, list the source folder once, key slides by `name[:12]`. */
async function prepwork(apiUrl: string): Promise<ScriptState> {
  const gc = new GirderClientReplay({ apiUrl });
  await gc.authenticate({ apiKey: API_KEY });
  const resp = (await gc.get(`item?folderId=${DSA_FOLDER_ID}&limit=1000000`)) as Array<{ name: string; _id: string }>;
  const slides = new Map<string, { name: string; _id: string }>();
  for (const s of resp) slides.set(s.name.slice(0, 12), { name: s.name, _id: s._id });
  const slideList = [...slides.keys()].filter((k) => SLIDES_TO_KEEP.includes(k));
  return { gc, slides, slideList };
}

/** The region request the script builds for one roiBounds row (`%d` of `int(float(…))`). */
function regionPath(itemId: string, row: Record<string, string>, scale: { mpp?: number; mag?: number }): string {
  const i = (v: string | undefined): number => Math.trunc(Number(v));
  let s = `/item/${itemId}/tiles/region?left=${i(row.xmin)}&right=${i(row.xmax)}&top=${i(row.ymin)}&bottom=${i(row.ymax)}`;
  if (scale.mpp !== undefined) {
    const mm = 0.001 * scale.mpp;
    s += `&mm_x=${pyFixed(mm, 4)}&mm_y=${pyFixed(mm, 4)}`;
  } else if (scale.mag !== undefined) {
    s += `&magnification=${pyFixed(scale.mag, 2)}`;
  }
  return s;
}

/** The slide geometry large_image reports in `/tiles` (the size of a region never depends on stored levels). */
async function tilesGeometry(gc: GirderClientReplay, itemId: string): Promise<SlideGeometry> {
  const t = (await gc.get(`item/${itemId}/tiles`)) as { sizeX: number; sizeY: number; levels: number; magnification: number | null; mm_x: number | null; mm_y: number | null };
  return { sizeX: t.sizeX, sizeY: t.sizeY, levels: t.levels, magnification: t.magnification, mmX: t.mm_x, mmY: t.mm_y };
}

describe('the BCSS download script, replayed (docs/protocols.md#the-original-script-on-the-wire)', () => {
  let data: CompatDataset;
  let server: RunningServer;
  let apiUrl: string;
  let rows: Array<Record<string, string>>;
  let state: ScriptState;
  before(async () => {
    data = await loadCompatDataset(SLIDES_TO_KEEP);
    // Private mode has no built-in password: the WSI-script test logs in with one configured here.
    server = await startCompatServer(data.dataset, { apiKey: API_KEY, password: 'demo' });
    // configs.py: APIURL ends with a slash, so '/item/…' paths go out as '//item/…'.
    apiUrl = `${server.urls.girder}/`;
    assert.ok(data.dataset.roiTablePath);
    rows = dictReader(await readFile(data.dataset.roiTablePath, 'utf8'));
    state = await prepwork(apiUrl);
  });
  after(async () => {
    state.gc.close();
    await server.close();
    await data.dispose();
  });

  test('auth and listing: POST api_key/token?key=…, then item?folderId=…&limit=1000000; 12-character keys find every slide', () => {
    assert.deepEqual(
      state.gc.wire.map((w) => [w.method, w.path, w.status]),
      [
        ['POST', `api_key/token?key=${API_KEY}`, 200],
        ['GET', `item?folderId=${DSA_FOLDER_ID}&limit=1000000`, 200],
      ],
    );
    assert.deepEqual([...state.slideList].sort(), [...SLIDES_TO_KEEP].sort());
    for (const short of SLIDES_TO_KEEP) {
      const item = data.dataset.items.find((i) => i.name.startsWith(`${short}-`));
      assert.ok(item, short);
      assert.deepEqual(state.slides.get(short), { name: item.name, _id: item.id });
    }
    assert.equal(rows.length, SLIDES_TO_KEEP.length, 'the served ROI table lists the served slides');
  });

  for (const [label, scale] of [
    ['MPP 0.25 → mm_x=mm_y=0.0003', { mpp: 0.25 }],
    ['MAG 20 → magnification=20.00', { mag: 20 }],
    ['neither → base resolution', {}],
  ] as const) {
    test(`RGB (${label}): //item/<id>/tiles/region answers a 4:4:4 JPEG of exactly planRegion's size`, async () => {
      for (const row of rows) {
        const slide = state.slides.get((row[''] as string).slice(0, 12));
        assert.ok(slide);
        const path = regionPath(slide._id, row, scale);
        const resp = await state.gc.getRaw(path);
        assert.equal(resp.status, 200);
        assert.equal(resp.headers['content-type'], 'image/jpeg', 'no encoding parameter → JPEG');
        const meta = await sharp(resp.body).metadata();
        assert.equal(meta.format, 'jpeg');
        assert.equal(meta.chromaSubsampling, '4:4:4');
        const g = await tilesGeometry(state.gc, slide._id);
        const q = new URLSearchParams(path.slice(path.indexOf('?') + 1));
        const req: RegionRequest = {
          left: Number(q.get('left')),
          right: Number(q.get('right')),
          top: Number(q.get('top')),
          bottom: Number(q.get('bottom')),
          mmX: q.has('mm_x') ? Number(q.get('mm_x')) : undefined,
          mmY: q.has('mm_y') ? Number(q.get('mm_y')) : undefined,
          magnification: q.has('magnification') ? Number(q.get('magnification')) : undefined,
        };
        const plan = planRegion(g, req);
        assert.ok(!plan.empty);
        assert.deepEqual([meta.width, meta.height], [plan.width, plan.height], `${row['']} ${path}`);
        const rw = Number(row.xmax) - Number(row.xmin);
        const rh = Number(row.ymax) - Number(row.ymin);
        if ('mpp' in scale) {
          assert.match(path, /&mm_x=0\.0003&mm_y=0\.0003$/, "Python's '%.4f' % 0.00025 is 0.0003");
          // closed form of docs/imaging.md#region-size: floor(r / scale), scale = 2^-r4(log2(mm_native / mm_wanted)).
          const s = 2 ** -Number(Math.log2((g.mmX as number) / 0.0003).toFixed(4));
          assert.deepEqual([meta.width, meta.height], [Math.floor(rw / s), Math.floor(rh / s)]);
        } else if ('mag' in scale) {
          assert.match(path, /&magnification=20\.00$/);
          const f = 20 / (g.magnification as number);
          assert.deepEqual([meta.width, meta.height], [Math.floor(rw * f), Math.floor(rh * f)]);
        } else {
          assert.deepEqual([meta.width, meta.height], [rw, rh], 'base: right/bottom exclusive');
        }
      }
      const last = server.log.filter((e) => e.path.includes('/tiles/region')).at(-1);
      assert.ok(last?.path.startsWith('/api/v1//item/'), 'the doubled slash reached the server and was accepted');
    });
  }

  test('masks: a plain GET of the figshare link follows the 302 to the blob and gets an 8-bit grey PNG of (W−1)×(H−1)', async () => {
    const origin = originOf(server);
    for (const row of rows) {
      const link = row.mask_link as string;
      assert.ok(link.startsWith(`${FIGSHARE_DOWNLOAD_HOST}/files/`), link);
      const local = link.replace(FIGSHARE_DOWNLOAD_HOST, `${origin.origin}/figshare/ndownloader`);
      // This server is private, so figshare wants its token too (it defaults to the API key).
      const auth = { Authorization: `token ${API_KEY}` };
      assert.equal((await fetch(local, { redirect: 'manual' })).status, 403, 'private mode: no token, no redirect');
      const hop = await fetch(local, { redirect: 'manual', headers: auth });
      assert.equal(hop.status, 302);
      assert.ok(hop.headers.get('location'));
      await hop.arrayBuffer();
      const res = await fetch(local, { headers: auth });
      assert.equal(res.status, 200);
      assert.ok(res.redirected);
      const png = Buffer.from(await res.arrayBuffer());
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
      const meta = await sharp(png).metadata();
      assert.deepEqual(
        [meta.width, meta.height, meta.channels, meta.depth],
        [Number(row.xmax) - Number(row.xmin) - 1, Number(row.ymax) - Number(row.ymin) - 1, 1, 'uchar'],
        `${row['']}: the BCSS mask-size rule`,
      );
    }
  });

  test('annotations: //annotation/item/<id> parses as a JSON array whose documents carry all their elements', async () => {
    for (const short of state.slideList) {
      const slide = state.slides.get(short);
      assert.ok(slide);
      const annotations = (await state.gc.get(`/annotation/item/${slide._id}`)) as Array<Json & { annotation: { elements: unknown[] }; _elementQuery: { returned: number } }>;
      assert.equal(state.gc.wire.at(-1)?.path, `/annotation/item/${slide._id}`);
      assert.ok(Array.isArray(annotations) && annotations.length > 0);
      for (const doc of annotations) {
        assert.equal(doc.itemId, slide._id);
        assert.equal(doc.annotation.elements.length, doc._elementQuery.returned);
      }
      // json.dump(annotations, f) writes what was parsed; it must survive a round trip.
      assert.deepEqual(JSON.parse(JSON.stringify(annotations)), annotations);
    }
  });

  test('WSI script (no key configured): POST api_key as a logged-in user, then each girder-client line downloads its slide', async () => {
    const gc = new GirderClientReplay({ apiUrl });
    const out = await scratchDir('bcss-wsi-');
    try {
      await gc.authenticate({ username: 'demo', password: 'demo' });
      const resp = (await gc.post('api_key')) as { key: string; _modelType: string; scope: unknown; active: boolean };
      assert.equal(gc.wire.at(-1)?.path, 'api_key');
      assert.equal(gc.wire.at(-1)?.status, 200);
      assert.deepEqual([resp._modelType, resp.scope, resp.active], ['api_key', null, true]);
      assert.match(resp.key, /^[A-Za-z0-9]{40}$/);
      const script = join(out.dir, 'download_wsis.sh');
      for (const short of state.slideList) {
        const slide = state.slides.get(short);
        assert.ok(slide);
        const line = `girder-client --api-url ${apiUrl} --api-key ${resp.key} download ${slide._id} ${out.dir}`;
        await writeFile(script, `${line}\n`, { flag: 'a' });
      }
      for (const line of (await readFile(script, 'utf8')).split('\n').filter((l) => l !== '')) {
        const cmd = parseWsiScriptLine(line);
        const cli = new GirderClientReplay({ apiUrl: cmd.apiUrl });
        try {
          assert.equal(await girderClientDownload(cli, { apiKey: cmd.apiKey, parentId: cmd.itemId, localFolder: cmd.dir }), 'item');
        } finally {
          cli.close();
        }
        const item = data.dataset.items.find((i) => i.id === cmd.itemId);
        assert.ok(item?.files[0]);
        assert.ok((await readFile(join(out.dir, item.name))).equals(await servedBytes(item.files[0])));
      }
    } finally {
      gc.close();
      await out.dispose();
    }
  });
});

describe('the BCSS script against a faulty annotation stream (PathologyDataScience/BCSS#2)', () => {
  test('a doubled separator makes gc.get raise a JSON decode error although the status is 200', async () => {
    const data = await loadCompatDataset(['TCGA-A1-A0SK']);
    const server = await startCompatServer(data.dataset, { apiKey: API_KEY, faults: { seed: 2, girder: { badAnnotationJson: 1 } } });
    const state = await prepwork(`${server.urls.girder}/`);
    try {
      const slide = state.slides.get('TCGA-A1-A0SK');
      assert.ok(slide);
      await assert.rejects(state.gc.get(`/annotation/item/${slide._id}`), (err: unknown) => {
        assert.ok(err instanceof JsonDecodeError);
        assert.ok(err.text.endsWith(',\n]'));
        return true;
      });
      assert.equal(state.gc.wire.at(-1)?.status, 200);
    } finally {
      state.gc.close();
      await server.close();
      await data.dispose();
    }
  });
});
