import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { crc32, readPngHeader, type PngHeader } from '../../src/image/png-header.js';
import { readPngHeaderFromFile } from '../../src/image/png-header-file.js';
import { IntegrityError } from '../../src/errors.js';

const W = 37;
const H = 23;
const raw = (channels: 1 | 2 | 3 | 4): Sharp =>
  sharp(Buffer.alloc(W * H * channels, 90), { raw: { width: W, height: H, channels } });

/** Real encoder output for each PNG flavour, with the header fields we expect to read. */
async function samples(): Promise<{ name: string; png: Buffer; want: Omit<PngHeader, 'width' | 'height'> }[]> {
  return [
    { name: 'grey 8-bit', png: await raw(1).toColourspace('b-w').png().toBuffer(), want: { bitDepth: 8, colorType: 0, interlace: 0 } },
    { name: 'grey+alpha', png: await raw(2).toColourspace('b-w').png().toBuffer(), want: { bitDepth: 8, colorType: 4, interlace: 0 } },
    { name: 'RGB', png: await raw(3).png().toBuffer(), want: { bitDepth: 8, colorType: 2, interlace: 0 } },
    { name: 'RGBA', png: await raw(4).png().toBuffer(), want: { bitDepth: 8, colorType: 6, interlace: 0 } },
    { name: 'palette 8-bit', png: await raw(3).png({ palette: true }).toBuffer(), want: { bitDepth: 8, colorType: 3, interlace: 0 } },
    { name: 'palette 4-bit', png: await raw(3).png({ palette: true, colours: 16 }).toBuffer(), want: { bitDepth: 4, colorType: 3, interlace: 0 } },
    { name: 'grey 16-bit', png: await raw(1).toColourspace('grey16').png().toBuffer(), want: { bitDepth: 16, colorType: 0, interlace: 0 } },
    { name: 'RGB 16-bit', png: await raw(3).toColourspace('rgb16').png().toBuffer(), want: { bitDepth: 16, colorType: 2, interlace: 0 } },
    { name: 'interlaced', png: await raw(3).png({ progressive: true }).toBuffer(), want: { bitDepth: 8, colorType: 2, interlace: 1 } },
  ];
}

/** A 33-byte header with arbitrary fields and a correct CRC (computed by zlib, not by us). */
function header(fields: { width?: number; height?: number; depth?: number; type?: number; c?: number; f?: number; i?: number }): Uint8Array {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(fields.width ?? 10, 16);
  b.writeUInt32BE(fields.height ?? 10, 20);
  b[24] = fields.depth ?? 8;
  b[25] = fields.type ?? 0;
  b[26] = fields.c ?? 0;
  b[27] = fields.f ?? 0;
  b[28] = fields.i ?? 0;
  b.writeUInt32BE(zlibCrc32(b.subarray(12, 29)), 29);
  return new Uint8Array(b);
}

function rejects(buf: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readPngHeader(buf),
    (err: unknown) => {
      assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
      assert.equal(err.kind, 'integrity');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('crc32', () => {
  test('standard check value and agreement with zlib', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    let seed = 1;
    for (let n = 0; n < 200; n++) {
      const buf = Uint8Array.from({ length: n * 7 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      assert.equal(crc32(buf), zlibCrc32(buf), `length ${buf.length}`);
    }
  });
});

describe('readPngHeader on real PNGs written by sharp', () => {
  test('size matches sharp metadata; depth, colour type and interlace are read', async () => {
    for (const { name, png, want } of await samples()) {
      const meta = await sharp(png).metadata();
      const got = readPngHeader(new Uint8Array(png));
      assert.deepEqual(got, { width: meta.width, height: meta.height, ...want }, name);
      assert.equal(got.colorType === 3, meta.isPalette, `${name}: palette flag`);
      if (got.colorType !== 3) assert.equal(got.bitDepth, meta.bitsPerSample, `${name}: bits per sample`);
      assert.equal(got.interlace === 1, meta.isProgressive, `${name}: interlace`);
    }
  });
  test('reads only the first 33 bytes: a header followed by garbage is fine', async () => {
    const png = await raw(3).png().toBuffer();
    const cut = new Uint8Array(Buffer.concat([png.subarray(0, 33), Buffer.from('garbage')]));
    assert.deepEqual(readPngHeader(cut), { width: W, height: H, bitDepth: 8, colorType: 2, interlace: 0 });
    // and a view into a larger buffer at an offset
    const big = new Uint8Array(100);
    big.set(png.subarray(0, 33), 50);
    assert.equal(readPngHeader(big.subarray(50)).width, W);
  });
  test('the largest legal size', () => {
    assert.deepEqual(readPngHeader(header({ width: 0x7fffffff, height: 1 })).width, 0x7fffffff);
  });
});

describe('readPngHeader rejects what is not a PNG, saying what it found', () => {
  test('empty buffer', () => rejects(new Uint8Array(0), /not a PNG: empty \(0 bytes\)/));
  test('an HTML page', () =>
    rejects(
      new TextEncoder().encode('<!DOCTYPE html>\n<html><head><title>Sign in</title>'),
      /not a PNG: starts with '<!DOCTYPE html> <html><head>.*HTML/,
    ));
  test('a JSON error', () =>
    rejects(new TextEncoder().encode('{"message": "Access denied for item."}'), /not a PNG: starts with '\{"message".*JSON/));
  test('a JPEG', async () => {
    const jpg = await raw(3).jpeg().toBuffer();
    rejects(new Uint8Array(jpg), /not a PNG: starts with bytes ff d8 ff .*JPEG/);
  });
  test('truncated files', async () => {
    const png = new Uint8Array(await raw(3).png().toBuffer());
    rejects(png.subarray(0, 12), /truncated PNG header: 12 of 33 bytes/);
    rejects(png.subarray(0, 8), /truncated PNG header: 8 of 33 bytes/);
    rejects(png.subarray(0, 3), /truncated PNG header: 3 of 33 bytes/);
    rejects(png.subarray(0, 32), /truncated PNG header: 32 of 33 bytes/);
  });
  test('a corrupted IHDR fails its CRC', async () => {
    const png = new Uint8Array(await raw(3).png().toBuffer());
    png[19] = (png[19] as number) ^ 0x01; // width's low byte
    rejects(png, /bad IHDR CRC: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/);
  });
  test('a first chunk that is not IHDR, or the wrong IHDR length', () => {
    const notIhdr = header({});
    notIhdr.set(new TextEncoder().encode('IDAT'), 12);
    rejects(notIhdr, /first chunk is "IDAT", expected "IHDR"/);
    const len = header({});
    len[11] = 12;
    rejects(len, /IHDR length 12, expected 13/);
  });
  test('zero width or height', () => {
    rejects(header({ width: 0 }), /invalid PNG size 0 x 10/);
    rejects(header({ height: 0 }), /invalid PNG size 10 x 0/);
    rejects(header({ width: 0x80000000 }), /invalid PNG size 2147483648 x 10/);
  });
  test('invalid colour type and depth combinations', () => {
    rejects(header({ type: 2, depth: 4 }), /bit depth 4 for colour type 2/);
    rejects(header({ type: 3, depth: 16 }), /bit depth 16 for colour type 3/);
    rejects(header({ type: 6, depth: 1 }), /bit depth 1 for colour type 6/);
    rejects(header({ type: 0, depth: 3 }), /bit depth 3 for colour type 0/);
    rejects(header({ type: 7, depth: 8 }), /invalid PNG colour type 7/);
    rejects(header({ type: 1, depth: 8 }), /invalid PNG colour type 1/);
  });
  test('unknown compression, filter or interlace methods', () => {
    rejects(header({ c: 1 }), /compression 1/);
    rejects(header({ f: 1 }), /filter 1/);
    rejects(header({ i: 2 }), /interlace 2/);
  });
});

describe('readPngHeaderFromFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bcss-png-header-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads a real PNG file', async () => {
    const p = join(dir, 'mask.png');
    await raw(1).toColourspace('b-w').png().toFile(p);
    assert.deepEqual(await readPngHeaderFromFile(p), { width: W, height: H, bitDepth: 8, colorType: 0, interlace: 0 });
  });
  test('a file holding just the 33 header bytes is enough', async () => {
    const p = join(dir, 'header-only.png');
    await writeFile(p, header({ width: 4542, height: 4594 }));
    const got = await readPngHeaderFromFile(p);
    assert.deepEqual([got.width, got.height], [4542, 4594]);
  });
  test('a truncated or HTML file is an IntegrityError carrying the path', async () => {
    const t = join(dir, 'short.png');
    await writeFile(t, header({}).subarray(0, 20));
    await assert.rejects(readPngHeaderFromFile(t), (err: unknown) => {
      assert.ok(err instanceof IntegrityError);
      assert.equal(err.path, t);
      assert.match(err.message, /short\.png: truncated PNG header: 20 of 33 bytes/);
      return true;
    });
    const h = join(dir, 'page.png');
    await writeFile(h, '<html><body>502 Bad Gateway</body></html>');
    await assert.rejects(readPngHeaderFromFile(h), /page\.png: not a PNG: starts with '<html><body>502 Bad Gateway/);
    const e = join(dir, 'empty.png');
    await writeFile(e, '');
    await assert.rejects(readPngHeaderFromFile(e), /empty \(0 bytes\)/);
  });
  test('a missing file keeps its file-system error code', async () => {
    await assert.rejects(readPngHeaderFromFile(join(dir, 'nope.png')), { code: 'ENOENT' });
  });
});
