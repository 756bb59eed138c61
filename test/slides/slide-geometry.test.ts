import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { levelCount } from '../../src/geometry/region-size.js';
import { slideGeometry, storedLevelIndex } from '../../src/slides/slide-geometry.js';
import { createMirroredSlide } from '../../src/slides/mirrored-slide.js';
import { openSlide } from '../../src/slides/open-slide.js';
import type { SlideSource, StoredLevel } from '../../src/slides/types.js';
import { CMU_SMALL } from './fixtures.js';

/** A metadata-only source: geometry never reads pixels. */
function stub(width: number, height: number, levelSizes: Array<[number, number]>, tile = 240): SlideSource {
  const levels: StoredLevel[] = levelSizes.map(([w, h]) => ({ width: w, height: h, downsample: width / w }));
  return {
    width, height, tileWidth: tile, tileHeight: tile, mmX: 0.000252, mmY: 0.000252, magnification: 40, levels,
    readRaw: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

const storedList = (g: ReturnType<typeof slideGeometry>): number[] =>
  Array.from({ length: g.levels }, (_, k) => k).filter((k) => g.stored?.(k) === true);

describe('slideGeometry', () => {
  test('bundled slide: large_image level count, only the top level stored, metadata passed through', async () => {
    const slide = await openSlide(CMU_SMALL);
    const g = slideGeometry(slide);
    assert.equal(g.levels, levelCount(2220, 2967, 240, 240));
    assert.deepEqual([g.sizeX, g.sizeY, g.magnification, g.mmX, g.mmY], [2220, 2967, 20, slide.mmX, slide.mmY]);
    assert.deepEqual(storedList(g), [g.levels - 1]);
    await slide.close();
  });

  test('Aperio-style floored 1x/4x/16x/64x levels count as stored even though downsamples are not exact', () => {
    const W = 46001;
    const H = 32917;
    const sizes: Array<[number, number]> = [1, 4, 16, 64].map((d) => [Math.floor(W / d), Math.floor(H / d)]);
    const source = stub(W, H, sizes);
    assert.ok(source.levels.slice(1).every((l) => !Number.isInteger(l.downsample)), 'downsamples are inexact');
    const g = slideGeometry(source);
    const L = levelCount(W, H, 240, 240);
    assert.equal(g.levels, L);
    assert.deepEqual(storedList(g), [L - 7, L - 5, L - 3, L - 1]);
    assert.equal(storedLevelIndex(source, L, L - 3), 1);
    assert.equal(storedLevelIndex(source, L, L - 5), 2);
    assert.equal(storedLevelIndex(source, L, L - 1), 0);
    assert.equal(storedLevelIndex(source, L, L - 2), -1);
    assert.equal(g.stored?.(L), false);
    assert.equal(g.stored?.(-1), false);
    assert.equal(g.stored?.(L - 3 + 0.5), false);
  });

  test('tolerance: ±1 px or 2 % matches, a 3x level or a 5 % padded level does not', () => {
    const W = 10000;
    const H = 8000;
    const L = levelCount(W, H, 240, 240);
    const ok = slideGeometry(stub(W, H, [[W, H], [Math.ceil(W / 2) + 1, 4000], [Math.round((W / 4) * 1.019), 2000]]));
    assert.deepEqual(storedList(ok), [L - 3, L - 2, L - 1]);
    const no = slideGeometry(stub(W, H, [[W, H], [Math.round(W / 3), 2667], [Math.round((W / 4) * 1.05), 2100]]));
    assert.deepEqual(storedList(no), [L - 1]);
  });

  test("the demo's mirrored 120000 x 90000 slide stores levels 9, 7, 5, 3 like docs/imaging.md#region-size-examples's SVS", () => {
    const base = { data: Buffer.alloc(4 * 4 * 3), width: 4, height: 4, channels: 3 as const };
    const slide = createMirroredSlide(base, { width: 120000, height: 90000, mm: 0.000252, magnification: 40 });
    const g = slideGeometry(slide);
    assert.equal(g.levels, 10);
    assert.deepEqual(storedList(g), [3, 5, 7, 9]);
  });
});
