import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { formatAperioDescription } from '../../src/slides/aperio-description-format.js';
import { parseAperioDescription } from '../../src/slides/aperio-description.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { readTiffStructure } from '../../src/slides/tiff-structure.js';
import { writeJpegTiff, type TiffImage, type TiffTiledImage } from '../../src/slides/tiff-writer.js';
import type { RawPixels } from '../../src/slides/types.js';
import { crop, diffStats, withTempDir } from './fixtures.js';

/** A smooth but non-trivial RGB test image (JPEG keeps it within a few grey levels). */
function gradient(width: number, height: number): RawPixels {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 255) / width;
      data[o + 1] = (y * 255) / height;
      data[o + 2] = 128 + 100 * Math.sin((x + y) / 40);
    }
  }
  return { data, width, height, channels: 3 };
}

async function jpeg(px: RawPixels, rect: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  // Tiles beyond the image edge repeat the edge pixels, so every stored tile is full-size.
  const padded = Buffer.alloc(rect.width * rect.height * 3);
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const sx = Math.min(px.width - 1, rect.left + x);
      const sy = Math.min(px.height - 1, rect.top + y);
      px.data.copy(padded, (y * rect.width + x) * 3, (sy * px.width + sx) * 3, (sy * px.width + sx) * 3 + 3);
    }
  }
  return sharp(padded, { raw: { width: rect.width, height: rect.height, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

function tiled(px: RawPixels, description: string): TiffTiledImage {
  const t = 64;
  return {
    kind: 'tiled',
    width: px.width,
    height: px.height,
    tileWidth: t,
    tileHeight: t,
    description,
    tileRow: (ty, columns) =>
      Promise.all(Array.from({ length: columns }, (_, tx) => jpeg(px, { left: tx * t, top: ty * t, width: t, height: t }))),
  };
}

describe('writeJpegTiff', () => {
  const base = gradient(300, 200);
  const half = gradient(75, 50);
  const desc = formatAperioDescription({ width: 300, height: 200, tileSize: 64, quality: 95, appMag: 20, mpp: 0.504, filename: 'x.svs' });

  test('an Aperio-layout pyramid reads back: roles, levels, MPP, AppMag and pixels', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'x.svs');
      const thumb = gradient(30, 20);
      await writeJpegTiff(
        path,
        [
          tiled(base, desc),
          { kind: 'stripped', width: 30, height: 20, description: `${desc} thumb`, jpeg: await jpeg(thumb, { left: 0, top: 0, width: 30, height: 20 }) },
          tiled(half, desc),
        ],
        { subsampling: [1, 1] },
      );
      const bytes = await readFile(path);
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'II*\0');
      const structure = await readTiffStructure(path);
      assert.deepEqual(
        structure.ifds.map((i) => [i.index, i.role, i.width, i.height, i.compression, i.photometric]),
        [
          [0, 'level', 300, 200, 7, 6],
          [1, 'thumbnail', 30, 20, 7, 6],
          [2, 'level', 75, 50, 7, 6],
        ],
      );
      const parsed = parseAperioDescription(structure.ifds[0]?.description);
      assert.ok(parsed.isAperio);
      assert.equal(parsed.mpp, 0.504);
      assert.equal(parsed.appMag, 20);

      const slide = await openSlide(path);
      try {
        assert.ok(slide.isAperio);
        assert.deepEqual(slide.levelIfds, [0, 2]);
        assert.equal(slide.mmX, 0.000504);
        assert.equal(slide.magnification, 20);
        assert.equal(slide.tileWidth, 64);
        // A region across tile boundaries and up to the right and bottom edges.
        const rect = { left: 50, top: 100, width: 250, height: 100 };
        const got = await slide.readRaw(0, rect);
        const stats = diffStats(got.data, crop(base.data, base.width, rect));
        assert.ok(stats.mean < 1.5 && stats.max < 24, `level 0: ${JSON.stringify(stats)}`);
        const small = await slide.readRaw(1, { left: 0, top: 0, width: 75, height: 50 });
        const s2 = diffStats(small.data, half.data);
        assert.ok(s2.mean < 1.5 && s2.max < 24, `level 1: ${JSON.stringify(s2)}`);
      } finally {
        await slide.close();
      }
      // The thumbnail strip decodes too (sharp pages are IFD indices).
      const t = await sharp(path, { page: 1 }).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([t.info.width, t.info.height], [30, 20]);
    });
  });

  test('BigTIFF holds the same images: same structure, same pixels', async () => {
    await withTempDir(async (dir) => {
      const classic = join(dir, 'c.svs');
      const big = join(dir, 'b.svs');
      const images = (): TiffImage[] => [tiled(base, desc), tiled(half, desc)];
      await writeJpegTiff(classic, images(), { subsampling: [1, 1] });
      await writeJpegTiff(big, images(), { subsampling: [1, 1], bigTiff: true });
      const head = await readFile(big);
      assert.deepEqual([...head.subarray(0, 8)], [0x49, 0x49, 43, 0, 8, 0, 0, 0], 'BigTIFF header');
      const [a, b] = await Promise.all([readTiffStructure(classic), readTiffStructure(big)]);
      assert.deepEqual(
        b.ifds.map((i) => [i.role, i.width, i.height, i.tileWidth, i.description]),
        a.ifds.map((i) => [i.role, i.width, i.height, i.tileWidth, i.description]),
      );
      const [sa, sb] = await Promise.all([openSlide(classic), openSlide(big)]);
      for (const level of [0, 1]) {
        const rect = level === 0 ? { left: 10, top: 20, width: 280, height: 170 } : { left: 0, top: 0, width: 75, height: 50 };
        assert.deepEqual((await sb.readRaw(level, rect)).data, (await sa.readRaw(level, rect)).data, `level ${level}`);
      }
      await Promise.all([sa.close(), sb.close()]);
    });
  });

  test('bad input is a clear error and leaves no half-written surprise', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'bad.tif');
      await assert.rejects(writeJpegTiff(path, [], { subsampling: [1, 1] }), /at least one image/);
      await assert.rejects(
        writeJpegTiff(path, [{ ...tiled(base, desc), tileWidth: 60 } as TiffImage], { subsampling: [1, 1] }),
        /multiples of 16/,
      );
      await assert.rejects(writeJpegTiff(path, [tiled(base, 'Aperio µ')], { subsampling: [1, 1] }), /7-bit ASCII/);
      const short: TiffTiledImage = { ...tiled(base, desc), tileRow: async () => [] };
      await assert.rejects(writeJpegTiff(path, [short], { subsampling: [1, 1] }), /expected 5 tiles, got 0/);
    });
  });

  test('formatAperioDescription refuses separators inside values', () => {
    assert.throws(
      () => formatAperioDescription({ width: 1, height: 1, tileSize: 16, quality: 90, appMag: 40, mpp: 0.25, filename: 'a|b' }),
      /contains \|/,
    );
  });
});
