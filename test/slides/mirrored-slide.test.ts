import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { createMirroredSlide, loadBasePixels } from '../../src/slides/mirrored-slide.js';
import type { RawPixels } from '../../src/slides/types.js';
import { CMU_SMALL, prng } from './fixtures.js';

function randomBase(width: number, height: number, seed: number): RawPixels {
  const rand = prng(seed);
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  return { data, width, height, channels: 3 };
}

/** Reference written from the definition: period 2n, image then mirror image. */
function mirrored(v: number, n: number): number {
  const p = v % (2 * n);
  return p < n ? p : 2 * n - 1 - p;
}

function expectedRect(base: RawPixels, rect: { left: number; top: number; width: number; height: number }): Buffer {
  const out = Buffer.alloc(rect.width * rect.height * 3);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const sx = mirrored(rect.left + x, base.width);
      const sy = mirrored(rect.top + y, base.height);
      base.data.copy(out, (y * rect.width + x) * 3, (sy * base.width + sx) * 3, (sy * base.width + sx) * 3 + 3);
    }
  }
  return out;
}

describe('createMirroredSlide', () => {
  const base = randomBase(37, 23, 7);
  const slide = createMirroredSlide(base, { width: 100000, height: 80000, mm: 0.00025, magnification: 40 });

  test('reports the virtual size, tile size and Aperio-like stored levels', () => {
    assert.deepEqual([slide.width, slide.height, slide.tileWidth, slide.tileHeight], [100000, 80000, 240, 240]);
    assert.deepEqual([slide.mmX, slide.mmY, slide.magnification], [0.00025, 0.00025, 40]);
    assert.deepEqual(
      slide.levels.map((l) => [l.width, l.height]),
      [[100000, 80000], [25000, 20000], [6250, 5000], [1562, 1250]],
    );
    assert.equal(slide.levels[3]?.downsample, 100000 / 1562);
  });

  test('pixel (x, y) is the base pixel at the mirrored position, at random points', async () => {
    const rand = prng(42);
    for (let i = 0; i < 300; i++) {
      const x = Math.floor(rand() * slide.width);
      const y = Math.floor(rand() * slide.height);
      const px = await slide.readRaw(0, { left: x, top: y, width: 1, height: 1 });
      assert.deepEqual([...px.data], [...expectedRect(base, { left: x, top: y, width: 1, height: 1 })], `at ${x},${y}`);
    }
  });

  test('rectangles across period boundaries (both directions, several periods) match the definition', async () => {
    const rand = prng(3);
    const rects = [
      { left: 37 - 3, top: 23 - 2, width: 6, height: 4 }, // the first mirror seam
      { left: 74 - 5, top: 46 - 5, width: 10, height: 10 }, // back to the original orientation
      { left: 0, top: 0, width: 200, height: 97 }, // several periods both ways
      { left: 100000 - 150, top: 80000 - 60, width: 150, height: 60 }, // far corner
    ];
    for (let i = 0; i < 20; i++) {
      const width = 1 + Math.floor(rand() * 150);
      const height = 1 + Math.floor(rand() * 90);
      rects.push({
        left: Math.floor(rand() * (slide.width - width)),
        top: Math.floor(rand() * (slide.height - height)),
        width,
        height,
      });
    }
    for (const rect of rects) {
      const px = await slide.readRaw(0, rect);
      assert.ok(px.data.equals(expectedRect(base, rect)), JSON.stringify(rect));
    }
  });

  test('lower stored levels are the mirrored tiling of the base shrunk once with Lanczos', async () => {
    for (const [index, d] of [[1, 4], [2, 16]] as const) {
      const w = Math.round(base.width / d);
      const h = Math.round(base.height / d);
      const data = await sharp(base.data, { raw: { width: base.width, height: base.height, channels: 3 } })
        .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer();
      const shrunk: RawPixels = { data, width: w, height: h, channels: 3 };
      const rect = { left: 1234, top: 999, width: 41, height: 17 };
      const px = await slide.readRaw(index, rect);
      assert.ok(px.data.equals(expectedRect(shrunk, rect)), `level ${index}`);
    }
  });

  test('a 4000 x 3000 read equals the definition (spot-checked rows)', async () => {
    const rect = { left: 98765, top: 43210, width: 4000, height: 3000 };
    const clipped = { ...rect, left: slide.width - rect.width };
    const px = await slide.readRaw(0, clipped);
    assert.equal(px.data.length, 4000 * 3000 * 3);
    for (const y of [0, 1, 22, 23, 45, 46, 1500, 2999]) {
      const row = px.data.subarray(y * 4000 * 3, (y + 1) * 4000 * 3);
      assert.ok(row.equals(expectedRect(base, { left: clipped.left, top: clipped.top + y, width: 4000, height: 1 })), `row ${y}`);
    }
  });

  test('default levels stop before a level is smaller than one tile; explicit downsamples are honoured', () => {
    const small = createMirroredSlide(base, { width: 2220, height: 2967, mm: null, magnification: null });
    assert.deepEqual(small.levels.map((l) => l.width), [2220, 555]);
    const custom = createMirroredSlide(base, {
      width: 5000, height: 5000, mm: null, magnification: null, tileSize: 256, storedDownsamples: [1, 2, 8],
    });
    assert.deepEqual(custom.levels.map((l) => [l.width, l.downsample]), [[5000, 1], [2500, 2], [625, 8]]);
    assert.equal(custom.tileWidth, 256);
  });

  test('rejects bad options and bad reads clearly', async () => {
    const opts = { width: 1000, height: 1000, mm: null, magnification: null };
    assert.throws(() => createMirroredSlide(base, { ...opts, width: 0 }), /width must be a positive integer, got 0/);
    assert.throws(() => createMirroredSlide(base, { ...opts, height: 10.5 }), /height must be a positive integer/);
    assert.throws(() => createMirroredSlide(base, { ...opts, mm: -1 }), /mm must be a positive number or null/);
    assert.throws(() => createMirroredSlide(base, { ...opts, storedDownsamples: [2, 4] }), /must start with 1/);
    assert.throws(() => createMirroredSlide(base, { ...opts, storedDownsamples: [1, 4, 4] }), /increasing numbers/);
    assert.throws(
      () => createMirroredSlide({ ...base, data: base.data.subarray(1) }, opts),
      /base must be 37x23 RGB \(2553 bytes\), got 2552 bytes/,
    );
    await assert.rejects(slide.readRaw(0, { left: 99999, top: 0, width: 2, height: 1 }), RangeError);
    await assert.rejects(slide.readRaw(4, { left: 0, top: 0, width: 1, height: 1 }), /level 4 does not exist/);
  });
});

describe('loadBasePixels', () => {
  test('decodes level 0 of the bundled slide once, as sharp does', async () => {
    const px = await loadBasePixels(CMU_SMALL);
    const ref = await sharp(CMU_SMALL, { page: 0 }).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([px.width, px.height, px.channels], [ref.info.width, ref.info.height, 3]);
    assert.ok(px.data.equals(ref.data));
  });
});
