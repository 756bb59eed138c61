import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RegionPlan, RegionRequest, SlideGeometry } from '../../src/geometry/types.js';
import { createMirroredSlide } from '../../src/slides/mirrored-slide.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { readRegion, readRegionStrips } from '../../src/slides/region-reader.js';
import type { RegionStrip } from '../../src/slides/region-reader.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import type { RawPixels, SlideSource } from '../../src/slides/types.js';
import { CMU_SMALL, diffStats } from './fixtures.js';


async function joinStrips(
  source: SlideSource,
  g: SlideGeometry,
  plan: RegionPlan,
  maxStripPixels: number,
): Promise<{ data: Buffer; strips: RegionStrip[] }> {
  assert.equal(plan.empty, false);
  if (plan.empty) throw new Error('unreachable');
  const parts: RegionStrip[] = [];
  for await (const strip of readRegionStrips(source, g, plan, { maxStripPixels })) parts.push(strip);
  let y = 0;
  for (const s of parts) {
    assert.equal(s.y, y, 'strips are contiguous, top to bottom');
    assert.equal(s.data.length, s.height * plan.width * 3);
    y += s.height;
  }
  assert.equal(y, plan.height);
  return { data: Buffer.concat(parts.map((s) => s.data)), strips: parts };
}

describe('readRegionStrips on the bundled slide', () => {
  let slide: SlideSource;
  let g: SlideGeometry;
  before(async () => {
    slide = await openSlide(CMU_SMALL);
    g = slideGeometry(slide);
  });
  after(async () => {
    await slide.close();
  });
  const region = { left: 211, top: 307, right: 911, bottom: 808 };

  test('no resampling: strips are exactly the whole region', async () => {
    const { plan, pixels } = await readRegion(slide, g, region);
    const { data, strips } = await joinStrips(slide, g, plan, 700 * 30);
    assert.ok(strips.length > 10);
    assert.ok(pixels?.data.equals(data));
  });

  const cases: Array<[string, RegionRequest]> = [
    ['2x Lanczos shrink (magnification 10)', { magnification: 10 }],
    ['1.24x Lanczos shrink (mm 0.00062)', { mmX: 0.00062, mmY: 0.00062 }],
    ['5x Lanczos shrink (magnification 4)', { magnification: 4 }],
    ['1.008x bicubic enlargement (mm 0.000495)', { mmX: 0.000495, mmY: 0.000495 }],
    ['2x bicubic enlargement (mm 0.00025)', { mmX: 0.00025, mmY: 0.00025 }],
  ];
  for (const [name, extra] of cases) {
    test(`${name}: strips join without seams and equal the whole-region resize`, async () => {
      const req = { ...region, ...extra };
      const { plan, pixels } = await readRegion(slide, g, req);
      assert.equal(plan.empty, false);
      if (plan.empty || pixels === null) return;
      assert.ok(plan.width !== 700, 'this case resamples');
      // ~23 rows per strip: many strip boundaries, each one a potential seam.
      const { data, strips } = await joinStrips(slide, g, plan, plan.width * 23);
      assert.ok(strips.length >= plan.height / 23);
      // Pillow's two passes are row-wise fixed combinations, so strips are the whole resize exactly.
      const { mean, max } = diffStats(data, pixels.data);
      assert.equal(max, 0, `mean ${mean}, max ${max}`);
      // Every output row is computed from global weights, so strip height cannot matter at all.
      const other = await joinStrips(slide, g, plan, plan.width * 4);
      assert.ok(other.data.equals(data), '4-row strips equal 23-row strips byte for byte');
    });
  }

  test('bad arguments are refused', async () => {
    const empty = { empty: true as const, reason: 'zero width' };
    await assert.rejects(readRegionStrips(slide, g, empty).next(), /the plan is empty \(zero width\)/);
    const { plan } = await readRegion(slide, g, region);
    await assert.rejects(readRegionStrips(slide, g, plan, { maxStripPixels: 0 }).next(), /maxStripPixels must be ≥ 1/);
  });
});

describe('readRegionStrips on a mirrored slide', () => {
  test('reading a coarser stored level, with and without resampling', async () => {
    const base: RawPixels = { data: Buffer.alloc(301 * 257 * 3), width: 301, height: 257, channels: 3 };
    for (let y = 0; y < 257; y++) {
      for (let x = 0; x < 301; x++) {
        const i = (y * 301 + x) * 3;
        base.data[i] = (x * 5) & 255;
        base.data[i + 1] = (y * 3) & 255;
        base.data[i + 2] = (x * y) & 255;
      }
    }
    const slide = createMirroredSlide(base, { width: 120000, height: 90000, mm: 0.000252, magnification: 40 });
    const g = slideGeometry(slide);
    const region = { left: 45749, top: 25055, right: 47749, bottom: 26555 };
    for (const extra of [{ magnification: 10 }, { magnification: 8 }, { mmX: 0.0005, mmY: 0.0005 }]) {
      const { plan, pixels } = await readRegion(slide, g, { ...region, ...extra });
      assert.ok(pixels !== null && !plan.empty);
      const { data } = await joinStrips(slide, g, plan, 100_000);
      const { mean, max } = diffStats(data, pixels.data);
      assert.equal(max, 0, `${JSON.stringify(extra)}: mean ${mean}, max ${max}`);
    }
  });
});
