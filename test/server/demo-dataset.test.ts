import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { builtinClasses, builtinRois, builtinSlides, DSA_FOLDER_ID, gtCodes, parseRoiTable } from '../../src/catalog/index.js';
import { UsageError } from '../../src/errors.js';
import { rasteriseRoi } from '../../src/geometry/rasterise.js';
import { levelCount } from '../../src/geometry/region-size.js';
import type { AnnotationElement } from '../../src/geometry/types.js';
import { demoMaskCacheDir, loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { roiOutline, truncatedVertexBounds } from '../../src/server/demo/roi-element.js';
import { insidePolygon } from '../../src/server/demo/tissue-elements.js';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import { md5 } from './figshare-test-server.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCALE = 0.05;

async function roiElements(item: ServedItem): Promise<AnnotationElement[]> {
  const docs = await item.annotations();
  assert.equal(docs.length, 1);
  return docs[0]?.annotation.elements ?? [];
}

/** Distance from a point to the polygon outline, to keep pixel tests away from edge rounding. */
function distanceToOutline(x: number, y: number, poly: readonly [number, number][]): number {
  let best = Infinity;
  for (let i = 0; i < poly.length; i++) {
    const [ax, ay] = poly[i] as [number, number];
    const [bx, by] = poly[(i + 1) % poly.length] as [number, number];
    const dx = bx - ax;
    const dy = by - ay;
    const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    best = Math.min(best, Math.hypot(x - (ax + t * dx), y - (ay + t * dy)));
  }
  return best;
}

describe('demo dataset', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'bcss-demo-'));
    dirs.push(d);
    return d;
  };
  let demo: ServedDataset;
  let cacheDir = '';

  before(async () => {
    cacheDir = await tempDir();
    demo = await loadDemoDataset({ scale: SCALE, cacheDir });
  });
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  /** Items whose ROI element is of `type`, with their ROI records (same order as the table). */
  async function sample(type: 'rectangle' | 'polyline', n: number): Promise<{ item: ServedItem; index: number }[]> {
    const out: { item: ServedItem; index: number }[] = [];
    for (const [index, item] of demo.items.entries()) {
      if ((await roiElements(item))[0]?.type === type) out.push({ item, index });
      if (out.length === n) break;
    }
    assert.equal(out.length, n, `expected ${n} ${type} ROIs`);
    return out;
  }

  test('151 items with the real slide names and DSA ids in the BCSS folder', () => {
    const slides = builtinSlides();
    assert.equal(demo.items.length, 151);
    assert.equal(demo.folders.length, 1);
    assert.equal(demo.folders[0]?.id, DSA_FOLDER_ID);
    assert.deepEqual(
      demo.items.map((i) => `${i.id} ${i.name}`).sort(),
      slides.map((s) => `${s.dsaItemId} ${s.fileName}`).sort(),
    );
    for (const item of demo.items) {
      assert.equal(item.folderId, DSA_FOLDER_ID);
      assert.equal(item.files.length, 1);
      assert.deepEqual(item.largeImage, { fileId: item.files[0]?.id, sourceName: 'openslide' });
      assert.match(item.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    }
    assert.equal(demo.figshare.files.length, 151);
    assert.deepEqual(
      demo.figshare.files.map((f) => f.id).sort(),
      builtinRois().map((r) => r.maskFileId).sort(),
    );
  });

  test('slide geometry: size contains the ROI, mm/magnification by scan power, SVS-like stored levels', async () => {
    const table = parseRoiTable(await readFile(demo.roiTablePath ?? '', 'utf8'), 'scaled table');
    const slides = builtinSlides();
    demo.items.forEach((item, k) => {
      const g = item.slide?.geometry;
      assert.ok(g !== undefined);
      const roi = table[k];
      assert.ok(roi !== undefined);
      const mag = slides.find((s) => s.fileName === item.name)?.magnification;
      assert.equal(g.magnification, mag);
      assert.equal(g.mmX, mag === 40 ? 0.000252 : 0.000504);
      assert.ok(g.sizeX > roi.xmax && g.sizeY > roi.ymax);
      assert.equal(g.levels, levelCount(g.sizeX, g.sizeY, 240, 240));
      assert.equal(g.stored?.(g.levels - 1), true);
      assert.equal(g.stored?.(g.levels - 2), false);
    });
    // The pixels agree with the geometry the server reports.
    const item = demo.items[0];
    const source = await item?.slide?.open();
    assert.ok(source !== undefined && item?.slide);
    try {
      const measured = slideGeometry(source);
      const declared = item.slide.geometry;
      assert.deepEqual([measured.sizeX, measured.sizeY, measured.levels, measured.mmX], [declared.sizeX, declared.sizeY, declared.levels, declared.mmX]);
      for (let l = 0; l < declared.levels; l++) assert.equal(measured.stored?.(l), declared.stored?.(l), `level ${l}`);
      const px = await source.readRaw(0, { left: 0, top: 0, width: 32, height: 32 });
      assert.equal(px.data.length, 32 * 32 * 3);
    } finally {
      await source.close();
    }
  });

  test('ROI elements of all 151 slides: truncated vertex bbox equals the served bounds; tissue groups are BCSS classes', async () => {
    const table = parseRoiTable(await readFile(demo.roiTablePath ?? '', 'utf8'), 'scaled table');
    // Both ROI shapes occur; every ROI of the dataset is checked.
    assert.equal((await sample('rectangle', 3)).length + (await sample('polyline', 3)).length, 6);
    for (const [index, item] of demo.items.entries()) {
      const [roi, ...tissue] = await roiElements(item);
      assert.ok(roi !== undefined);
      assert.equal(roi.group, 'roi');
      const b = table[index];
      assert.ok(b !== undefined);
      assert.deepEqual(truncatedVertexBounds(roi), { xmin: b.xmin, ymin: b.ymin, xmax: b.xmax, ymax: b.ymax });
      const classGroups = new Set(builtinClasses().map((c) => c.dsaGroup));
      for (const el of tissue) assert.ok(classGroups.has(String(el.group)), String(el.group));
      for (const el of [roi, ...tissue]) assert.match(String(el.id), /^[0-9a-f]{24}$/);
    }
  });

  test('masks: BCSS size, 8-bit grey, re-rasterising the served annotation gives the same pixels, 0 outside', async () => {
    const table = parseRoiTable(await readFile(demo.roiTablePath ?? '', 'utf8'), 'scaled table');
    const codes = new Set(builtinClasses().map((c) => c.code));
    const picked = [...(await sample('rectangle', 3)), ...(await sample('polyline', 3))];
    for (const { item, index } of picked) {
      const b = table[index];
      assert.ok(b !== undefined);
      const file = demo.figshare.files.find((f) => f.id === b.maskFileId);
      assert.ok(file !== undefined);
      assert.equal(file.name, `${b.name}_xmin${b.xmin}_ymin${b.ymin}.png`);
      const png = await file.read();
      assert.equal(png[25], 0, 'PNG colour type 0');
      assert.equal(png[24], 8, 'bit depth 8');
      const decoded = decode(png);
      assert.equal(decoded.channels, 1);
      assert.equal(decoded.width, b.xmax - b.xmin - 1);
      assert.equal(decoded.height, b.ymax - b.ymin - 1);

      const elements = await roiElements(item);
      const again = rasteriseRoi(elements, { gtCodes: gtCodes() });
      assert.deepEqual(Buffer.from(decoded.data), Buffer.from(again.data));

      const outline = roiOutline(elements[0] as AnnotationElement);
      let inside = 0;
      for (let i = 0; i < decoded.height; i++) {
        for (let j = 0; j < decoded.width; j++) {
          const v = decoded.data[i * decoded.width + j] as number;
          assert.ok(codes.has(v), `value ${v}`);
          const x: number = b.xmin + j;
          const y: number = b.ymin + i;
          if (distanceToOutline(x, y, outline) < 1.5) continue;
          if (insidePolygon(x, y, outline)) {
            inside++;
            assert.notEqual(v, 0, `inside pixel (${x}, ${y}) of ${b.name}`);
          } else assert.equal(v, 0, `outside pixel (${x}, ${y}) of ${b.name}`);
        }
      }
      assert.ok(inside > 0);
      // The tissue polygons show up: not every inside pixel is stroma.
      assert.ok([...decoded.data].some((v) => v !== 0 && v !== 2), `${b.name} has only stroma`);
    }
  });

  test('the same seed gives the same annotations and masks; another seed differs', async () => {
    const again = await loadDemoDataset({ scale: SCALE, cacheDir: await tempDir() });
    const other = await loadDemoDataset({ scale: SCALE, seed: 2, cacheDir: await tempDir() });
    for (const k of [0, 50, 150]) {
      const a = JSON.stringify(await demo.items[k]?.annotations());
      assert.equal(JSON.stringify(await again.items[k]?.annotations()), a);
      assert.notEqual(JSON.stringify(await other.items[k]?.annotations()), a);
      const m = await demo.figshare.files[k]?.meta();
      assert.deepEqual(await again.figshare.files[k]?.meta(), m);
      assert.notDeepEqual(await other.figshare.files[k]?.meta(), m);
      await Promise.all([again, other, demo].map((d) => d.gdc.files[k]?.ready?.()));
      assert.equal(again.gdc.files[k]?.md5, demo.gdc.files[k]?.md5);
      assert.notEqual(other.gdc.files[k]?.md5, demo.gdc.files[k]?.md5);
    }
  });

  test('masks render lazily, once, and later loads reuse the disk cache', async () => {
    const dir = await tempDir();
    const rendered: string[] = [];
    const ds = await loadDemoDataset({ scale: SCALE, cacheDir: dir, onMaskRender: (n) => rendered.push(n) });
    assert.deepEqual(rendered, [], 'loading renders nothing');
    const file = ds.figshare.files[10];
    assert.ok(file !== undefined);
    const [m1, m2] = await Promise.all([file.meta(), file.read()]);
    assert.equal(m1.md5, md5(m2));
    assert.deepEqual(rendered, [builtinRois()[10]?.name]);
    await file.meta();
    await file.read();
    assert.equal(rendered.length, 1);
    const cachedPath = join(demoMaskCacheDir(dir, 1, SCALE), file.name);
    const before = (await stat(cachedPath)).mtimeMs;

    const reloaded: string[] = [];
    const fresh = await loadDemoDataset({ scale: SCALE, cacheDir: dir, onMaskRender: (n) => reloaded.push(n) });
    assert.deepEqual(await fresh.figshare.files[10]?.meta(), m1);
    assert.deepEqual(reloaded, []);
    assert.equal((await stat(cachedPath)).mtimeMs, before);
  });

  test('the scaled ROI table parses and matches the served masks; at scale 1 it equals roiBounds.csv', async () => {
    assert.equal(demo.roiTablePath, join(cacheDir, `rois-scale-${SCALE}.csv`));
    const text = await readFile(demo.roiTablePath ?? '', 'utf8');
    assert.match(text, /^,xmin,ymin,xmax,ymax,mask_link\r\n/);
    assert.ok(!/[^\r]\n/.test(text), 'CRLF line endings only');
    const rows = parseRoiTable(text, 'scaled table');
    const real = builtinRois();
    assert.equal(rows.length, 151);
    rows.forEach((r, k) => {
      assert.equal(r.name, real[k]?.name);
      assert.equal(r.maskUrl, real[k]?.maskUrl);
      assert.ok(r.xmax >= r.xmin + 2 && r.ymax >= r.ymin + 2);
      assert.ok(Math.abs(r.xmin - (real[k]?.xmin ?? 0) * SCALE) <= 0.5);
    });
    for (const r of rows.filter((_, k) => k % 30 === 0)) {
      const png = await demo.figshare.files.find((f) => f.id === r.maskFileId)?.read();
      assert.ok(png !== undefined);
      assert.equal(png.readUInt32BE(16), r.xmax - r.xmin - 1, 'IHDR width');
      assert.equal(png.readUInt32BE(20), r.ymax - r.ymin - 1, 'IHDR height');
    }
    const full = await loadDemoDataset({ cacheDir: await tempDir() });
    assert.equal(await readFile(full.roiTablePath ?? '', 'utf8'), await readFile(join(repoRoot, 'data/roiBounds.csv'), 'utf8'));
  });

  test('GDC records: v4-shaped ids, SVS, open, true size and md5 of the bytes served', async () => {
    assert.equal(demo.gdc.files.length, 151);
    const names = new Set(builtinSlides().map((s) => s.fileName));
    const ids = new Set<string>();
    for (const g of demo.gdc.files) {
      assert.ok(names.has(g.fileName));
      assert.match(g.fileId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(g.fileId);
      assert.equal(g.dataFormat, 'SVS');
      assert.equal(g.access, 'open');
    }
    assert.equal(ids.size, 151);
    // Files 1–5: untouched by the tests above (which make 0, 50 and 150).
    for (const g of demo.gdc.files.slice(1, 6)) {
      assert.throws(() => g.size, /before ready/, 'no size is reported before the file exists');
      await g.ready?.();
      const chunks: Buffer[] = [];
      for await (const c of g.open()) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      assert.equal(bytes.length, g.size);
      assert.equal(md5(bytes), g.md5);
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'II*\0', 'a little-endian classic TIFF');
      const item = demo.items.find((i) => i.name === g.fileName);
      assert.equal(item?.files[0]?.size, g.size);
      const part: Buffer[] = [];
      for await (const c of item?.files[0]?.open({ start: 4, end: 12 }) ?? []) part.push(c as Buffer);
      assert.deepEqual(Buffer.concat(part), bytes.subarray(4, 12));
    }
  });

  test('--slides accepts ROI names, case ids, short forms and file names; unknown ones are a UsageError', async () => {
    const slide = builtinSlides().find((s) => s.caseId === 'TCGA-A2-A04P');
    const subset = await loadDemoDataset({
      scale: SCALE,
      cacheDir: await tempDir(),
      slides: ['A1-A0SK', 'TCGA-A1-A0SP-DX1', 'tcga-a2-a04q', slide?.fileName ?? ''],
    });
    assert.deepEqual(
      subset.items.map((i) => i.name.slice(0, 12)),
      ['TCGA-A1-A0SK', 'TCGA-A1-A0SP', 'TCGA-A2-A04P', 'TCGA-A2-A04Q'],
    );
    assert.equal(subset.figshare.files.length, 4);
    assert.equal(subset.gdc.files.length, 4);
    assert.equal(parseRoiTable(await readFile(subset.roiTablePath ?? '', 'utf8'), 'subset').length, 4);
    await assert.rejects(
      loadDemoDataset({ cacheDir: await tempDir(), slides: ['A1-A0SK', 'ZZ-9999'] }),
      (err: unknown) => err instanceof UsageError && err.message.includes('ZZ-9999') && !err.message.includes('A1-A0SK'),
    );
  });

  test('bad seed or scale is a UsageError', async () => {
    for (const opts of [{ scale: 0 }, { scale: 1.5 }, { scale: Number.NaN }, { seed: -1 }, { seed: 1.5 }]) {
      await assert.rejects(loadDemoDataset({ ...opts, cacheDir: await tempDir() }), UsageError, JSON.stringify(opts));
    }
  });
});
