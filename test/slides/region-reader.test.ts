import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { planRegion } from '../../src/geometry/region-size.js';
import type { RegionRequest } from '../../src/geometry/types.js';
import { createMirroredSlide } from '../../src/slides/mirrored-slide.js';
import { openSlide } from '../../src/slides/open-slide.js';
import type { FileSlideSource } from '../../src/slides/open-slide.js';
import { pilResampleRows, pilResize } from '../../src/slides/pil-resample.js';
import { readRegion } from '../../src/slides/region-reader.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import type { RawPixels } from '../../src/slides/types.js';
import { CMU_SMALL, withTempDir } from './fixtures.js';

type Kernel = 'lanczos3' | 'cubic';

async function sharpExtract(path: string, page: number, b: { left: number; top: number; right: number; bottom: number }) {
  return sharp(path, { page })
    .extract({ left: b.left, top: b.top, width: b.right - b.left, height: b.bottom - b.top })
    .raw()
    .toBuffer();
}

/**
 * Pillow's resize of the whole read, as large_image does it (pil-resample.ts, held to Pillow's own
 * output by pil-resample.test.ts): so these tests check which pixels are read and which kernel
 * resamples them.
 */
async function pillowResize(data: Buffer, w: number, h: number, outW: number, outH: number, kernel: Kernel): Promise<Buffer> {
  return pilResampleRows(pilResize(w, h, outW, outH, kernel), data, 0, h, 0, outH);
}

function fullPlan(plan: Awaited<ReturnType<typeof readRegion>>['plan']) {
  assert.equal(plan.empty, false);
  if (plan.empty) throw new Error('unreachable');
  return plan;
}

describe('readRegion on the bundled slide', () => {
  let slide: FileSlideSource;
  before(async () => {
    slide = await openSlide(CMU_SMALL);
  });
  after(async () => {
    await slide.close();
  });
  const region = { left: 300, top: 500, right: 1333, bottom: 1250 };

  test('base resolution: no resize, identical to a sharp extract', async () => {
    const g = slideGeometry(slide);
    const { plan, pixels } = await readRegion(slide, g, region);
    const p = fullPlan(plan);
    assert.deepEqual([p.width, p.height], [1033, 750]);
    assert.deepEqual(plan, planRegion(g, region));
    assert.ok(pixels?.data.equals(await sharpExtract(CMU_SMALL, 0, region)));
  });

  test("magnification 10 on a 20x slide: planRegion's size, Lanczos shrink of the base extract", async () => {
    const g = slideGeometry(slide);
    const req: RegionRequest = { ...region, magnification: 10 };
    const { plan, pixels } = await readRegion(slide, g, req);
    const p = fullPlan(plan);
    assert.deepEqual(plan, planRegion(g, req));
    assert.equal(p.readLevel, g.levels - 1, 'only the base is stored');
    assert.deepEqual([pixels?.width, pixels?.height], [p.width, p.height]);
    const src = await sharpExtract(CMU_SMALL, 0, p.readBounds);
    const ref = await pillowResize(src, 1033, 750, p.width, p.height, 'lanczos3');
    assert.ok(pixels?.data.equals(ref));
  });

  test('mm finer than the scan: bicubic enlargement to the planned size', async () => {
    const g = slideGeometry(slide);
    const req: RegionRequest = { ...region, mmX: 0.00025, mmY: 0.00025 };
    const { plan, pixels } = await readRegion(slide, g, req);
    const p = fullPlan(plan);
    assert.deepEqual(plan, planRegion(g, req));
    assert.ok(p.width > 1033 && p.height > 750, 'enlarged');
    const src = await sharpExtract(CMU_SMALL, 0, p.readBounds);
    const ref = await pillowResize(src, 1033, 750, p.width, p.height, 'cubic');
    assert.ok(pixels?.data.equals(ref));
    // Not the nearest-neighbour answer: real interpolation happened.
    const nearest = await sharp(src, { raw: { width: 1033, height: 750, channels: 3 } })
      .resize(p.width, p.height, { fit: 'fill', kernel: 'nearest' })
      .raw()
      .toBuffer();
    assert.ok(!pixels?.data.equals(nearest));
  });

  test('an empty plan gives null pixels', async () => {
    const g = slideGeometry(slide);
    const { plan, pixels } = await readRegion(slide, g, { left: 100, right: 100, top: 0, bottom: 50 });
    assert.equal(plan.empty, true);
    assert.equal(pixels, null);
  });
});

describe('readRegion level choice on a multi-level TIFF', () => {
  test('reads from a coarser stored level when it suffices', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pyr.tiff');
      await sharp(CMU_SMALL, { page: 0 })
        .extract({ left: 0, top: 0, width: 2048, height: 2048 })
        .tiff({ tile: true, pyramid: true, tileWidth: 256, tileHeight: 256, xres: 2000, yres: 2000, resolutionUnit: 'cm' })
        .toFile(path);
      const slide = await openSlide(path);
      const g = slideGeometry(slide);
      const top = g.levels - 1;
      const region = { left: 201, top: 403, right: 1501, bottom: 1299 };

      // Half the resolution (0.5 → 1 µm/px): the 2x level is stored, so it is read with no resize.
      const half = await readRegion(slide, g, { ...region, mmX: 0.001, mmY: 0.001 });
      const h = fullPlan(half.plan);
      assert.equal(h.readLevel, top - 1);
      assert.deepEqual([h.width, h.height], [h.readBounds.right - h.readBounds.left, h.readBounds.bottom - h.readBounds.top]);
      assert.ok(half.pixels?.data.equals(await sharpExtract(path, slide.levelIfds[1] as number, h.readBounds)));

      // 1.5 µm/px: between stored levels, so read the finer one (2x) and shrink with Lanczos.
      const third = await readRegion(slide, g, { ...region, mmX: 0.0015, mmY: 0.0015 });
      const t = fullPlan(third.plan);
      assert.equal(t.readLevel, top - 1);
      const rw = t.readBounds.right - t.readBounds.left;
      const rh = t.readBounds.bottom - t.readBounds.top;
      assert.ok(t.width < rw);
      const src = await sharpExtract(path, slide.levelIfds[1] as number, t.readBounds);
      assert.ok(third.pixels?.data.equals(await pillowResize(src, rw, rh, t.width, t.height, 'lanczos3')));

      // 4 µm/px: the 8x level.
      const eighth = await readRegion(slide, g, { ...region, mmX: 0.004, mmY: 0.004 });
      const e = fullPlan(eighth.plan);
      assert.equal(e.readLevel, top - 3);
      assert.ok(eighth.pixels?.data.equals(await sharpExtract(path, slide.levelIfds[3] as number, e.readBounds)));

      // A magnification request on a slide without one falls back to full resolution (docs/imaging.md#region-size-examples example 14).
      const mag = await readRegion(slide, g, { ...region, magnification: 5 });
      const m = fullPlan(mag.plan);
      assert.deepEqual([m.width, m.height, m.readLevel], [1300, 896, top]);
      await slide.close();
    });
  });

  test("docs/imaging.md#region-size-examples examples 6 and 7 on the demo's mirrored 40x slide", async () => {
    const base: RawPixels = { data: Buffer.alloc(97 * 89 * 3), width: 97, height: 89, channels: 3 };
    for (let i = 0; i < base.data.length; i++) base.data[i] = (i * 37 + (i >> 7)) & 255;
    const slide = createMirroredSlide(base, { width: 120000, height: 90000, mm: 0.000252, magnification: 40 });
    const g = slideGeometry(slide);
    const region = { left: 45749, top: 25055, right: 49789, bottom: 27991 };

    const seven = await readRegion(slide, g, { ...region, magnification: 10 });
    const p7 = fullPlan(seven.plan);
    assert.deepEqual([p7.width, p7.height, p7.readLevel], [1010, 734, 7]);
    assert.deepEqual(p7.readBounds, { left: 11437, top: 6263, right: 12447, bottom: 6997 });
    const direct = await slide.readRaw(1, { left: 11437, top: 6263, width: 1010, height: 734 });
    assert.ok(seven.pixels?.data.equals(direct.data));

    const six = await readRegion(slide, g, { ...region, magnification: 20 });
    const p6 = fullPlan(six.plan);
    assert.deepEqual([p6.width, p6.height, p6.readLevel], [2020, 1468, 9]);
    const whole = await slide.readRaw(0, { left: 45749, top: 25055, width: 4040, height: 2936 });
    assert.ok(six.pixels?.data.equals(await pillowResize(whole.data, 4040, 2936, 2020, 1468, 'lanczos3')));
  });
});
