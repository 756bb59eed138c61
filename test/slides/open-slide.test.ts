import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fromFile } from 'geotiff';
import sharp from 'sharp';
import { UsageError } from '../../src/errors.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { CMU_SMALL, crop, diffStats, withTempDir } from './fixtures.js';

describe('openSlide on the bundled Aperio slide', () => {
  test('reports size, tiles, MPP-derived mm, AppMag and one stored level', async () => {
    const slide = await openSlide(CMU_SMALL);
    assert.equal(slide.width, 2220);
    assert.equal(slide.height, 2967);
    assert.equal(slide.tileWidth, 240);
    assert.equal(slide.tileHeight, 240);
    assert.equal(slide.mmX, 0.000499); // MPP 0.4990 × 0.001, as large_image computes mm_x
    assert.equal(slide.mmY, 0.499 * 0.001);
    assert.equal(slide.magnification, 20);
    assert.deepEqual(slide.levels, [{ width: 2220, height: 2967, downsample: 1 }]);
    assert.deepEqual(slide.levelIfds, [0]);
    assert.equal(slide.isAperio, true);
    await slide.close();
  });

  test("readRaw returns exactly sharp's own decode of the same extract", async () => {
    const slide = await openSlide(CMU_SMALL);
    const rects = [
      { left: 0, top: 0, width: 1, height: 1 },
      { left: 235, top: 230, width: 17, height: 29 }, // straddles tile corners
      { left: 1000, top: 1500, width: 512, height: 300 },
      { left: 2220 - 61, top: 2967 - 7, width: 61, height: 7 }, // partial edge tiles
    ];
    for (const rect of rects) {
      const got = await slide.readRaw(0, rect);
      const ref = await sharp(CMU_SMALL, { page: 0 }).extract(rect).raw().toBuffer({ resolveWithObject: true });
      assert.equal(ref.info.channels, 3);
      assert.deepEqual([got.width, got.height, got.channels], [rect.width, rect.height, 3]);
      assert.ok(got.data.equals(ref.data), `pixels differ for ${JSON.stringify(rect)}`);
    }
    await slide.close();
  });

  test('JPEG colours are right: same as a full sharp decode, and within 1 of geotiff.js (an independent decoder)', async () => {
    const slide = await openSlide(CMU_SMALL);
    const rect = { left: 700, top: 900, width: 256, height: 256 };
    const got = await slide.readRaw(0, rect);
    const full = await sharp(CMU_SMALL, { page: 0 }).raw().toBuffer({ resolveWithObject: true });
    assert.ok(got.data.equals(crop(full.data, full.info.width, rect)));
    // Decoding these abbreviated RGB JPEG tiles as YCbCr would be off by up to 248 (docs/imaging.md#aperio-jpeg-tiles);
    // geotiff.js honours Photometric=RGB and differs from libjpeg only by IDCT rounding.
    const tiff = await fromFile(CMU_SMALL);
    try {
      const image = await tiff.getImage(0);
      const window = [rect.left, rect.top, rect.left + rect.width, rect.top + rect.height];
      const ref = (await image.readRasters({ window, interleave: true })) as unknown as Uint8Array;
      const { max, mean } = diffStats(got.data, ref);
      assert.ok(max <= 1, `max difference ${max}`);
      assert.ok(mean < 0.1, `mean difference ${mean}`);
    } finally {
      await tiff.close();
    }
    await slide.close();
  });

  test('readRaw rejects bad levels and rectangles with clear errors', async () => {
    const slide = await openSlide(CMU_SMALL);
    const cases: Array<[number, { left: number; top: number; width: number; height: number }, RegExp]> = [
      [1, { left: 0, top: 0, width: 1, height: 1 }, /level 1 does not exist \(stored levels are 0\.\.0\)/],
      [-1, { left: 0, top: 0, width: 1, height: 1 }, /level -1 does not exist/],
      [0, { left: -1, top: 0, width: 10, height: 10 }, /outside level 0 \(2220x2967\)/],
      [0, { left: 2215, top: 0, width: 10, height: 10 }, /\[2215, 2225\) x \[0, 10\) is outside level 0/],
      [0, { left: 0, top: 2960, width: 10, height: 10 }, /outside level 0/],
      [0, { left: 0, top: 0, width: 0, height: 10 }, /size must be positive, got 0x10/],
      [0, { left: 0.5, top: 0, width: 10, height: 10 }, /rect\.left must be an integer, got 0\.5/],
      [0, { left: 0, top: 0, width: 10, height: Number.NaN }, /rect\.height must be an integer/],
    ];
    for (const [level, rect, message] of cases) {
      await assert.rejects(slide.readRaw(level, rect), (err: unknown) => {
        assert.ok(err instanceof RangeError, `expected RangeError for ${JSON.stringify(rect)}`);
        assert.match(err.message, message);
        return true;
      });
    }
    await slide.close();
    await assert.rejects(slide.readRaw(0, { left: 0, top: 0, width: 1, height: 1 }), /readRaw called after close\(\)/);
  });
});

describe('openSlide on other files', () => {
  test('rejects non-TIFF input with a clear message', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'TCGA-XX.svs');
      await writeFile(path, '<html><head><title>Login</title></head><body>Please sign in</body></html>\n');
      await assert.rejects(openSlide(path), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^Not a TIFF\/SVS file: TCGA-XX\.svs starts with "<htm"/);
        return true;
      });
    });
  });

  test('plain tiled TIFF pyramids work: levels, mm from resolution tags, no magnification', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pyr.tiff');
      // 2000 px/mm = 0.5 µm/px; libvips writes it as 20000 px/cm.
      await sharp(CMU_SMALL, { page: 0 })
        .extract({ left: 0, top: 0, width: 2048, height: 1536 })
        .tiff({ tile: true, pyramid: true, tileWidth: 256, tileHeight: 256, xres: 2000, yres: 2000, resolutionUnit: 'cm' })
        .toFile(path);
      const slide = await openSlide(path);
      assert.equal(slide.isAperio, false);
      assert.equal(slide.mmX, 0.0005);
      assert.equal(slide.mmY, 0.0005);
      assert.equal(slide.magnification, null);
      assert.equal(slide.tileWidth, 256);
      assert.deepEqual(
        slide.levels.map((l) => [l.width, l.height, l.downsample]),
        [[2048, 1536, 1], [1024, 768, 2], [512, 384, 4], [256, 192, 8]],
      );
      const rect = { left: 100, top: 200, width: 300, height: 100 };
      const got = await slide.readRaw(2, rect);
      const ref = await sharp(path, { page: 2 }).extract(rect).raw().toBuffer();
      assert.ok(got.data.equals(ref));
      await slide.close();
    });
  });

  test('document-style default resolutions are not taken for a microscope calibration', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'default-res.tiff');
      // libvips' default resolution is 1 px/mm: 1 mm per pixel would be absurd for a slide.
      await sharp({ create: { width: 300, height: 300, channels: 3, background: 'blue' } })
        .tiff({ tile: true, tileWidth: 128, tileHeight: 128 })
        .toFile(path);
      const slide = await openSlide(path);
      assert.equal(slide.mmX, null);
      assert.equal(slide.mmY, null);
      await slide.close();
    });
  });

  test('greyscale and RGBA tiled TIFFs come back as 3-channel RGB', async () => {
    await withTempDir(async (dir) => {
      const grey = join(dir, 'grey.tiff');
      await sharp(Buffer.alloc(300 * 200, 77), { raw: { width: 300, height: 200, channels: 1 } })
        .toColourspace('b-w')
        .tiff({ tile: true, tileWidth: 128, tileHeight: 128 })
        .toFile(grey);
      const rgba = join(dir, 'rgba.tiff');
      await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
        .tiff({ tile: true, tileWidth: 128, tileHeight: 128, compression: 'lzw' })
        .toFile(rgba);
      for (const [path, pixel] of [[grey, [77, 77, 77]], [rgba, [10, 20, 30]]] as const) {
        const slide = await openSlide(path);
        const px = await slide.readRaw(0, { left: 5, top: 5, width: 4, height: 2 });
        assert.equal(px.data.length, 4 * 2 * 3);
        assert.deepEqual([...px.data.subarray(0, 3)], pixel);
        await slide.close();
      }
    });
  });
});
