import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { readStoredJpegTile } from '../../src/slides/tiff-tile-reader.js';
import { writeJpegTiff } from '../../src/slides/tiff-writer.js';
import { CMU_SMALL, withTempDir } from './fixtures.js';

describe('readStoredJpegTile', () => {
  test('complete JPEG tiles come back byte for byte; outside the grid is null', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.tif');
      const tiles = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 60 * i, g: 10, b: 200 } } }).jpeg().toBuffer(),
        ),
      );
      await writeJpegTiff(
        path,
        [{ kind: 'tiled', width: 60, height: 40, tileWidth: 32, tileHeight: 32, description: 'x', tileRow: async (ty) => tiles.slice(ty * 2, ty * 2 + 2) }],
        { subsampling: [2, 2] },
      );
      assert.deepEqual(await readStoredJpegTile(path, 0, 1, 1), tiles[3]);
      assert.deepEqual(await readStoredJpegTile(path, 0, 0, 1), tiles[2]);
      assert.equal(await readStoredJpegTile(path, 0, 2, 0), null);
      assert.equal(await readStoredJpegTile(path, 0, 0, -1), null);
    });
  });

  test('tiles that share JPEGTables (Aperio) get the tables spliced in: one decodable stream', async () => {
    const tile = await readStoredJpegTile(CMU_SMALL, 0, 3, 4);
    assert.ok(tile !== null);
    assert.deepEqual([...tile.subarray(0, 2)], [0xff, 0xd8], 'SOI');
    assert.ok(tile.includes(Buffer.from([0xff, 0xdb])), 'DQT from the tables');
    assert.ok(tile.includes(Buffer.from([0xff, 0xc4])), 'DHT from the tables');
    assert.deepEqual([...tile.subarray(-2)], [0xff, 0xd9], 'EOI');
    const meta = await sharp(tile).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 240, 240]);
  });

  test('a stripped image is a clear error', async () => {
    // IFD 1 of the Aperio slide is its stripped thumbnail.
    await assert.rejects(readStoredJpegTile(CMU_SMALL, 1, 0, 0), /IFD 1 of .* is not tiled/);
  });
});
