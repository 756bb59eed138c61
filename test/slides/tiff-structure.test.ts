import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { UsageError } from '../../src/errors.js';
import { classifyIfds, readTiffStructure } from '../../src/slides/tiff-structure.js';
import type { IfdInfo } from '../../src/slides/tiff-structure.js';
import { CMU_SMALL, withTempDir } from './fixtures.js';

/** Overwrite the SHORT value of `tag` in IFD `ifdIndex` of a classic little-endian TIFF. */
function patchShortTag(tiff: Buffer, ifdIndex: number, tag: number, value: number): void {
  assert.equal(tiff.toString('latin1', 0, 2), 'II');
  let offset = tiff.readUInt32LE(4);
  for (let i = 0; i < ifdIndex; i++) offset = tiff.readUInt32LE(offset + 2 + tiff.readUInt16LE(offset) * 12);
  const count = tiff.readUInt16LE(offset);
  for (let e = 0; e < count; e++) {
    const at = offset + 2 + e * 12;
    if (tiff.readUInt16LE(at) === tag) {
      assert.equal(tiff.readUInt16LE(at + 2), 3, 'expected a SHORT tag');
      tiff.writeUInt16LE(value, at + 8);
      return;
    }
  }
  throw new Error(`tag ${tag} not found in IFD ${ifdIndex}`);
}

describe('readTiffStructure', () => {
  test('classifies the IFDs of the bundled Aperio slide (docs/imaging.md#the-bundled-slide)', async () => {
    const s = await readTiffStructure(CMU_SMALL);
    assert.deepEqual(
      s.ifds.map((i) => i.role),
      ['level', 'thumbnail', 'label', 'macro'],
    );
    const [level0] = s.levels;
    assert.equal(s.levels.length, 1);
    assert.deepEqual(
      level0 && [level0.index, level0.width, level0.height, level0.tiled, level0.tileWidth, level0.tileHeight],
      [0, 2220, 2967, true, 240, 240],
    );
    assert.equal(level0?.compression, 7);
    assert.equal(level0?.photometric, 2);
    assert.deepEqual(s.thumbnail && [s.thumbnail.index, s.thumbnail.width, s.thumbnail.height, s.thumbnail.tiled], [1, 574, 768, false]);
    assert.equal(s.thumbnail?.newSubfileType, 0, 'the thumbnail is found by position, not NewSubfileType');
    assert.deepEqual(s.label && [s.label.index, s.label.width, s.label.height, s.label.compression, s.label.newSubfileType], [2, 387, 463, 5, 1]);
    assert.deepEqual(s.macro && [s.macro.index, s.macro.width, s.macro.height, s.macro.compression, s.macro.newSubfileType], [3, 1280, 431, 7, 9]);
    assert.match(s.ifds[0]?.description ?? '', /^Aperio Image Library/);
    assert.match(s.macro?.description ?? '', /macro 1280x431$/);
  });

  test('classification uses every signal: tiled first, then NewSubfileType or the description word', () => {
    const base: IfdInfo = {
      index: 0, width: 100, height: 100, tiled: true, tileWidth: 16, tileHeight: 16, compression: 7,
      photometric: 2, newSubfileType: 0, samplesPerPixel: 3, bitsPerSample: [8, 8, 8], description: null,
      xResolution: null, yResolution: null, resolutionUnit: null,
    };
    const stripped = { ...base, tiled: false, tileWidth: null, tileHeight: null };
    const roles = classifyIfds([
      base,
      { ...stripped, index: 1 },
      { ...base, index: 2, newSubfileType: 1 }, // libvips marks reduced pyramid levels with 1
      { ...stripped, index: 3, description: 'Aperio Image Library v1\nlabel 10x10' },
      { ...stripped, index: 4, newSubfileType: 9 },
      { ...stripped, index: 5, newSubfileType: 1 },
      { ...stripped, index: 6, description: 'x\r\nmacro 10x10' },
      { ...stripped, index: 7 },
    ]).map((i) => i.role);
    assert.deepEqual(roles, ['level', 'thumbnail', 'level', 'label', 'macro', 'label', 'macro', 'other']);
  });

  test('lists the levels of a libvips pyramid finest first', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'pyr.tiff');
      await sharp({ create: { width: 1000, height: 700, channels: 3, background: { r: 200, g: 100, b: 50 } } })
        .tiff({ tile: true, pyramid: true, tileWidth: 256, tileHeight: 256 })
        .toFile(path);
      const s = await readTiffStructure(path);
      assert.deepEqual(
        s.levels.map((l) => [l.width, l.height, l.tileWidth]),
        [[1000, 700, 256], [500, 350, 256], [250, 175, 256]],
      );
      assert.equal(s.thumbnail, null);
    });
  });

  test('rejects JPEG 2000 pyramids with a clear message', async () => {
    await withTempDir(async (dir) => {
      for (const code of [33003, 33005]) {
        const bytes = await readFile(CMU_SMALL);
        patchShortTag(bytes, 0, 259, code);
        const path = join(dir, `j2k-${code}.svs`);
        await writeFile(path, bytes);
        await assert.rejects(readTiffStructure(path), (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.match(err.message, new RegExp(`^JPEG 2000 SVS is not supported: j2k-${code}\\.svs IFD 0 uses Compression ${code}`));
          return true;
        });
      }
    });
  });

  test('rejects non-TIFF content (an HTML error page) and empty files', async () => {
    await withTempDir(async (dir) => {
      const html = join(dir, 'slide.svs');
      await writeFile(html, '<!DOCTYPE html><html><body>502 Bad Gateway</body></html>');
      await assert.rejects(readTiffStructure(html), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^Not a TIFF\/SVS file: slide\.svs starts with "<!DO"/);
        assert.match(err.hint ?? '', /HTML error page/);
        return true;
      });
      const empty = join(dir, 'empty.svs');
      await writeFile(empty, '');
      await assert.rejects(readTiffStructure(empty), /Not a TIFF\/SVS file: empty\.svs starts with "" \(0 bytes read\)/);
    });
  });

  test('rejects a TIFF without any tiled image', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'stripped.tiff');
      await sharp({ create: { width: 64, height: 48, channels: 3, background: 'red' } }).tiff().toFile(path);
      await assert.rejects(readTiffStructure(path), /Not a tiled whole-slide image: stripped\.tiff has 1 image directory and none is tiled/);
    });
  });
});
