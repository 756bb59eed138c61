import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { parseRoiTable } from '../../src/catalog/rois.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { formatMm, mmPerPixel } from '../../src/geometry/naming.js';
import type { Resolution } from '../../src/geometry/types.js';
import { slideKeyOfItemName } from '../../src/pipeline/slide-match.js';
import { planRoi, renderPlanToFile } from '../../src/render/render-roi.js';
import type { ServedDataset, ServedItem } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { openSlide, type FileSlideSource } from '../../src/slides/open-slide.js';

const SLIDES = ['A1-A0SK', 'A2-A04P', 'AR-A1AQ'];
const RESOLUTIONS: Array<{ label: string; res: Resolution }> = [
  { label: 'mpp 0.25', res: { kind: 'mpp', mpp: 0.25 } },
  { label: 'mag 20', res: { kind: 'mag', magnification: 20 } },
  { label: 'base', res: { kind: 'base' } },
];

/** The `tiles/region` query bcss download sends for an ROI (girder-client regionUrl). */
function regionQuery(roi: RoiRecord, res: Resolution): string {
  const p = new URLSearchParams({ left: String(roi.xmin), top: String(roi.ymin), right: String(roi.xmax), bottom: String(roi.ymax) });
  if (res.kind === 'mpp') {
    p.set('mm_x', formatMm(mmPerPixel(res.mpp)));
    p.set('mm_y', formatMm(mmPerPixel(res.mpp)));
  } else if (res.kind === 'mag') {
    p.set('magnification', String(res.magnification));
  }
  p.set('encoding', 'PNG');
  return p.toString();
}

async function decoded(png: Buffer | string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Issue 10 §4 at its root: the demo DSA renders from the stored tiles of the very slide file its
 * GDC serves, as a real DSA renders from the SVS the GDC serves. So a region rendered locally from
 * the downloaded file (the extract code) is the DSA's answer, pixel for pixel.
 */
describe('demo DSA pixels are the served slide file’s pixels', () => {
  let work = '';
  let dataset: ServedDataset;
  let server: RunningServer;
  let rois: RoiRecord[] = [];
  const files = new Map<string, FileSlideSource>();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-dsa-pixels-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: join(work, 'cache'), slides: SLIDES });
    server = await startServer({ dataset, port: 0 });
    rois = parseRoiTable(await readFile(dataset.roiTablePath ?? '', 'utf8'), 'demo ROI table');
    for (const item of dataset.items) {
      const gdc = dataset.gdc.files.find((f) => f.fileName === item.name);
      assert.ok(gdc !== undefined);
      const body = Buffer.from(await (await fetch(`${server.urls.gdc}/data/${gdc.fileId}`)).arrayBuffer());
      const path = join(work, item.name);
      await writeFile(path, body);
      files.set(item.name, await openSlide(path));
    }
  });
  after(async () => {
    for (const f of files.values()) await f.close();
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const itemOf = (roi: RoiRecord): ServedItem => {
    const item = dataset.items.find((i) => slideKeyOfItemName(i.name) === roi.name);
    assert.ok(item?.slide, `demo item of ${roi.name}`);
    return item;
  };

  for (const { label, res } of RESOLUTIONS) {
    test(`${label}: every ROI's tiles/region PNG equals the extract rendering of the downloaded file`, async () => {
      assert.ok(rois.length >= SLIDES.length);
      for (const roi of rois) {
        const item = itemOf(roi);
        const slide = item.slide;
        assert.ok(slide);
        const answer = await fetch(`${server.urls.girder}/item/${item.id}/tiles/region?${regionQuery(roi, res)}`);
        assert.equal(answer.status, 200);
        const dsa = await decoded(Buffer.from(await answer.arrayBuffer()));
        const file = files.get(item.name);
        assert.ok(file !== undefined);
        const dest = join(work, `${roi.name}-${label}.png`);
        await renderPlanToFile(file, slide.geometry, planRoi(slide.geometry, roi, res), dest);
        const local = await decoded(dest);
        assert.deepEqual([dsa.width, dsa.height, dsa.channels], [local.width, local.height, local.channels], roi.name);
        let differing = 0;
        for (let i = 0; i < dsa.data.length; i++) if (dsa.data[i] !== local.data[i]) differing++;
        assert.equal(differing, 0, `${roi.name} at ${label}: ${differing} of ${dsa.data.length} samples differ`);
      }
    });
  }

  test('stored levels read through the demo DSA equal the file’s levels, across tile edges', async () => {
    for (const item of dataset.items) {
      const file = files.get(item.name);
      assert.ok(file !== undefined && item.slide);
      const source = await item.slide.open();
      try {
        assert.deepEqual(source.levels, file.levels);
        for (let level = 0; level < file.levels.length; level++) {
          const { width, height } = file.levels[level] as { width: number; height: number };
          // A block straddling tile corners (tiles are 240 px), and the level's bottom-right edge.
          const rects = [
            { left: Math.min(230, width - 1), top: Math.min(470, height - 1), width: 0, height: 0 },
            { left: Math.max(0, width - 300), top: Math.max(0, height - 250), width: 0, height: 0 },
          ].map((r) => ({ ...r, width: Math.min(300, width - r.left), height: Math.min(260, height - r.top) }));
          for (const rect of rects) {
            const [a, b] = await Promise.all([source.readRaw(level, rect), file.readRaw(level, rect)]);
            assert.ok(a.data.equals(b.data), `${item.name} level ${level} ${JSON.stringify(rect)}`);
          }
        }
      } finally {
        await source.close();
      }
    }
  });

  test('without a slide file (stand-in bytes beyond the pixel budget) the DSA answers the same pixels', async () => {
    const standIn = await loadDemoDataset({ scale: 0.05, cacheDir: join(work, 'stand-in'), slides: [SLIDES[0] as string], slideFiles: 'stand-in' });
    assert.equal(standIn.gdc.files[0]?.ready, undefined, 'no TIFF in stand-in mode');
    const other = await startServer({ dataset: standIn, port: 0 });
    try {
      const roi = rois.find((r) => itemOf(r).name === standIn.items[0]?.name);
      assert.ok(roi !== undefined);
      for (const { res } of RESOLUTIONS) {
        const path = `/item/${itemOf(roi).id}/tiles/region?${regionQuery(roi, res)}`;
        const [a, b] = await Promise.all(
          [server, other].map(async (s) => decoded(Buffer.from(await (await fetch(`${s.urls.girder}${path}`)).arrayBuffer()))),
        );
        assert.ok(a?.data.equals(b?.data ?? Buffer.alloc(0)), `${roi.name} ${res.kind}`);
      }
    } finally {
      await other.close();
    }
  });
});
