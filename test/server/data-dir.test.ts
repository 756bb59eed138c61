import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { builtinSlides, gtCodes } from '../../src/catalog/index.js';
import { UsageError } from '../../src/errors.js';
import { rasteriseRoi } from '../../src/geometry/rasterise.js';
import { elementPolygon, polygonBbox } from '../../src/geometry/element-geometry.js';
import type { AnnotationElement } from '../../src/geometry/types.js';
import { loadDataDir } from '../../src/server/data-dir/data-dir-dataset.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { md5 } from './figshare-test-server.js';
import { text } from 'node:stream/consumers';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SLIDE = resolve(repoRoot, 'data/slides/CMU-1-Small-Region.svs');

const roiRect: AnnotationElement = { type: 'rectangle', group: 'roi', center: [1100, 1400, 0], width: 1200, height: 900, rotation: 0.3 };
const tumour: AnnotationElement = {
  type: 'polyline',
  closed: true,
  group: 'mostly_tumor',
  points: [[800, 1100, 0], [1400, 1050, 0], [1450, 1600, 0], [900, 1700, 0]],
};
const necrosisInside: AnnotationElement = {
  type: 'polyline',
  closed: true,
  label: { value: 'necrosis_or_debris' },
  points: [[1000, 1300, 0], [1200, 1300, 0], [1150, 1450, 0]],
};
const aPoint: AnnotationElement = { type: 'point', group: 'mostly_tumor', center: [1100, 1400, 0] };

const roiPolygon: AnnotationElement = {
  type: 'polyline',
  closed: true,
  group: 'roi',
  points: [[200, 300, 0], [700, 250, 0], [760, 800, 0], [260, 900, 0]],
};
const fat: AnnotationElement = { type: 'polyline', closed: true, group: 'mostly_fat', points: [[300, 400, 0], [500, 420, 0], [420, 600, 0]] };

describe('data-dir dataset', () => {
  let dir = '';
  let dataset: ServedDataset;
  const catalogSlide = builtinSlides()[0];
  assert.ok(catalogSlide !== undefined);
  const catalogName = catalogSlide.fileName;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bcss-data-dir-'));
    await copyFile(SLIDE, join(dir, 'CMU-1-Small-Region.svs'));
    await copyFile(SLIDE, join(dir, catalogName));
    // Bare elements, next to the slide as <slide name>.json.
    await writeFile(join(dir, 'CMU-1-Small-Region.svs.json'), JSON.stringify([roiRect, tumour, necrosisInside, aPoint]));
    // DSA documents, as <stem>.json.
    const stem = catalogName.replace(/\.svs$/, '');
    await writeFile(join(dir, `${stem}.json`), JSON.stringify([{ _id: '5bbdf0000000000000000001', annotation: { name: 'bcss', elements: [roiPolygon, fat] } }]));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    dataset = await loadDataDir(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('each slide becomes an item in one folder, with metadata from the file', () => {
    assert.equal(dataset.folders.length, 1);
    assert.deepEqual(dataset.items.map((i) => i.name).sort(), ['CMU-1-Small-Region.svs', catalogName].sort());
    const item = dataset.items.find((i) => i.name === 'CMU-1-Small-Region.svs');
    assert.ok(item?.slide);
    assert.equal(item.folderId, dataset.folders[0]?.id);
    assert.equal(item.slide.geometry.sizeX, 2220);
    assert.equal(item.slide.geometry.sizeY, 2967);
    assert.equal(item.slide.tileWidth, 240);
    assert.equal(item.slide.geometry.magnification, 20);
    assert.ok(Math.abs((item.slide.geometry.mmX ?? 0) - 0.000499) < 1e-9);
    assert.equal(item.largeImage?.fileId, item.files[0]?.id);
    // A slide named like a BCSS slide keeps its DSA item id.
    assert.equal(dataset.items.find((i) => i.name === catalogName)?.id, catalogSlide.dsaItemId);
  });

  test('item files serve the real bytes, whole and by range; GDC records carry their true md5', async () => {
    const real = await readFile(SLIDE);
    const item = dataset.items[0];
    const file = item?.files[0];
    assert.ok(file !== undefined);
    assert.equal(file.size, real.length);
    const chunks: Buffer[] = [];
    for await (const c of file.open({ start: 1000, end: 1100 })) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), real.subarray(1000, 1100));
    for (const g of dataset.gdc.files) {
      assert.equal(g.size, real.length);
      assert.equal(g.md5, md5(real));
      assert.equal(g.dataFormat, 'SVS');
      const all: Buffer[] = [];
      for await (const c of g.open()) all.push(c as Buffer);
      assert.equal(md5(Buffer.concat(all)), g.md5);
    }
  });

  test('annotations come from <slide>.json or <stem>.json, with 24-hex element ids', async () => {
    const plain = await dataset.items.find((i) => i.name === 'CMU-1-Small-Region.svs')?.annotations();
    assert.equal(plain?.length, 1);
    assert.equal(plain?.[0]?.annotation.elements.length, 4);
    for (const el of plain?.[0]?.annotation.elements ?? []) assert.match(String(el.id), /^[0-9a-f]{24}$/);
    const docs = await dataset.items.find((i) => i.name === catalogName)?.annotations();
    assert.equal(docs?.[0]?._id, '5bbdf0000000000000000001');
    assert.equal(docs?.[0]?.annotation.name, 'bcss');
  });

  test('every ROI yields a mask: the rasterised annotation as 8-bit grey PNG', async () => {
    assert.equal(dataset.figshare.files.length, 2);
    const cases: [string, AnnotationElement[]][] = [
      ['CMU-1-Small-Region', [roiRect, tumour, necrosisInside, aPoint]],
      [catalogName.slice(0, 12), [roiPolygon, fat]],
    ];
    for (const [prefix, elements] of cases) {
      const file = dataset.figshare.files.find((f) => f.name.startsWith(prefix));
      assert.ok(file !== undefined, prefix);
      const png = await file.read();
      const meta = await file.meta();
      assert.equal(meta.size, png.length);
      assert.equal(meta.md5, md5(png));
      assert.equal(png[25], 0, 'colour type 0 (greyscale)');
      const decoded = decode(png);
      const expected = rasteriseRoi(elements, { gtCodes: gtCodes() });
      const bbox = polygonBbox(elementPolygon(elements[0] as AnnotationElement) ?? []);
      assert.equal(decoded.width, bbox.xmax - bbox.xmin - 1);
      assert.equal(decoded.height, bbox.ymax - bbox.ymin - 1);
      assert.equal(file.name, `${prefix === 'CMU-1-Small-Region' ? prefix : 'TCGA-A1-A0SK-DX1'}_xmin${bbox.xmin}_ymin${bbox.ymin}.png`);
      assert.deepEqual(Buffer.from(decoded.data), Buffer.from(expected.data));
    }
    // The BCSS-named slide's mask keeps the real figshare file id.
    assert.ok(dataset.figshare.files.some((f) => f.id === 13243676));
  });

  test('bad folders and files get a clear error naming them', async () => {
    await assert.rejects(loadDataDir(join(dir, 'missing')), (err: unknown) => err instanceof UsageError && err.message.includes('missing'));
    const empty = await mkdtemp(join(tmpdir(), 'bcss-empty-'));
    const broken = await mkdtemp(join(tmpdir(), 'bcss-broken-'));
    const badJson = await mkdtemp(join(tmpdir(), 'bcss-badjson-'));
    try {
      await assert.rejects(loadDataDir(empty), (err: unknown) => err instanceof UsageError && /no \.svs/.test(err.message));
      await writeFile(join(broken, 'junk.svs'), 'this is not a TIFF');
      await assert.rejects(loadDataDir(broken), (err: unknown) => err instanceof UsageError && err.message.includes('junk.svs'));
      await copyFile(SLIDE, join(badJson, 'a.svs'));
      await writeFile(join(badJson, 'a.json'), '[{"type": "polyline",');
      await assert.rejects(loadDataDir(badJson), (err: unknown) => err instanceof UsageError && err.message.includes('a.json'));
      await writeFile(join(badJson, 'a.json'), JSON.stringify([{ nope: 1 }]));
      await assert.rejects(loadDataDir(badJson), (err: unknown) => err instanceof UsageError && err.message.includes('a.json'));
    } finally {
      await Promise.all([empty, broken, badJson].map((d) => rm(d, { recursive: true, force: true })));
    }
  });

  test('a slide region can be read through the served slide image; files start with the TIFF mark', async () => {
    const item = dataset.items[0];
    const source = await item?.slide?.open();
    assert.ok(source !== undefined);
    try {
      const px = await source.readRaw(0, { left: 0, top: 0, width: 16, height: 8 });
      assert.equal(px.data.length, 16 * 8 * 3);
    } finally {
      await source.close();
    }
    const stream = dataset.items[0]?.files[0]?.open({ start: 0, end: 2 });
    assert.ok(stream !== undefined);
    assert.equal(await text(stream), 'II', 'the TIFF byte order mark');
  });
});
