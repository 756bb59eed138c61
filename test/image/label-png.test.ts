// The image room's label-mask API: grey and palette PNGs in and out as class codes, checked
// against independent readers and writers (sharp, fast-png), and bad input refused clearly.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decode as fastPngDecode, encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import { IntegrityError } from '../../src/errors.js';
import { decodeGreyPng, decodeGreyRows, encodeGreyPng, pngKind, readGreyPng, readPngHeader } from '../../src/image/index.js';

/** Label-like pixels: large uniform runs of codes 0..21. */
function labels(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = (Math.floor(x / 5) + 3 * Math.floor(y / 4)) % 22;
  return out;
}

const PALETTE = Uint8Array.from({ length: 22 * 3 }, (_, i) => (i * 37) % 256);

/** A palette PNG written by fast-png: an independent writer. */
function fastPngPalette(px: Uint8Array, w: number, h: number): Uint8Array {
  const palette = Array.from({ length: 22 }, (_, i) => [PALETTE[3 * i], PALETTE[3 * i + 1], PALETTE[3 * i + 2]] as [number, number, number]);
  return fastPngEncode({ width: w, height: h, data: px, depth: 8, channels: 1, palette });
}

async function rejectsIntegrity(p: Promise<unknown>, message: RegExp, what: string): Promise<IntegrityError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof IntegrityError, `${what}: an IntegrityError, got ${String(caught)}`);
  assert.match(caught.message, message, what);
  return caught;
}

describe('label PNG API: round trips', () => {
  test('grey: encodeGreyPng → decodeGreyPng gives the same pixels, and sharp and fast-png agree', async () => {
    for (const [w, h] of [
      [1, 1],
      [31, 7],
      [2100, 1100], // more than the codec's in-thread size: the thread-pool path
    ] as const) {
      const px = labels(w, h);
      const png = await encodeGreyPng(px, w, h);
      const hdr = readPngHeader(png);
      assert.deepEqual([hdr.width, hdr.height, hdr.bitDepth, hdr.colorType], [w, h, 8, 0], `${w}×${h} header`);
      const back = await decodeGreyPng(png);
      assert.deepEqual([back.width, back.height, back.palette], [w, h, null]);
      assert.deepEqual(back.data, px, `${w}×${h} round trip`);
      const viaSharp = await sharp(png).extractChannel(0).raw().toBuffer();
      assert.deepEqual(new Uint8Array(viaSharp), px, `${w}×${h} sharp`);
      assert.deepEqual(new Uint8Array(fastPngDecode(png).data as Uint8Array), px, `${w}×${h} fast-png`);
    }
  });

  test('palette: written with a PLTE, read back as indices (not colours), by us and by fast-png', async () => {
    const px = labels(40, 9);
    const png = await encodeGreyPng(px, 40, 9, PALETTE);
    assert.equal(readPngHeader(png).colorType, 3);
    const back = await decodeGreyPng(png, { palette: true });
    assert.deepEqual(back.data, px);
    assert.deepEqual(back.palette, PALETTE);
    const other = fastPngDecode(png);
    assert.deepEqual(new Uint8Array(other.data as Uint8Array), px, 'fast-png reads the indices');
    assert.deepEqual(other.palette?.[3], [PALETTE[9], PALETTE[10], PALETTE[11]], 'fast-png reads the palette');
  });

  test('palette PNGs from another writer decode to their indices', async () => {
    const px = labels(23, 17);
    const back = await decodeGreyPng(fastPngPalette(px, 23, 17), { palette: true });
    assert.deepEqual(back.data, px);
    assert.equal(back.palette?.length, 22 * 3);
  });

  test('decodeGreyRows keeps the decoder layout: pixel (x, y) at offset + y·stride + x', async () => {
    const px = labels(12, 5);
    const rows = await decodeGreyRows(await encodeGreyPng(px, 12, 5));
    for (let y = 0; y < 5; y++) for (let x = 0; x < 12; x++) assert.equal(rows.data[rows.offset + y * rows.stride + x], px[y * 12 + x]);
  });

  test('interlaced grey and palette PNGs decode: grey to the same pixels, palette to indices whose colours sharp shows', async () => {
    const px = labels(19, 11);
    const grey = await sharp(Buffer.from(px), { raw: { width: 19, height: 11, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer();
    assert.equal(readPngHeader(grey).interlace, 1);
    assert.deepEqual((await decodeGreyPng(grey)).data, px);
    // libvips picks the indices of its palette PNGs; what must hold is index → PLTE colour = what sharp decodes.
    const rgb = Uint8Array.from({ length: 21 * 13 * 3 }, (_, i) => [0, 200, 40, 255, 90][Math.floor(i / 3 / 7 + (i % 3)) % 5] as number);
    const palette = await sharp(Buffer.from(rgb), { raw: { width: 21, height: 13, channels: 3 } }).png({ palette: true, progressive: true, dither: 0 }).toBuffer();
    assert.deepEqual([readPngHeader(palette).colorType, readPngHeader(palette).interlace], [3, 1]);
    const decoded = await decodeGreyPng(palette, { palette: true });
    const shown = new Uint8Array(await sharp(palette).removeAlpha().raw().toBuffer());
    const plte = decoded.palette as Uint8Array;
    for (let i = 0; i < 21 * 13; i++) {
      const k = decoded.data[i] as number;
      assert.deepEqual([plte[3 * k], plte[3 * k + 1], plte[3 * k + 2]], [shown[3 * i], shown[3 * i + 1], shown[3 * i + 2]], `pixel ${i}`);
    }
  });

  test('readGreyPng reads a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-label-png-'));
    try {
      const px = labels(9, 6);
      await writeFile(join(dir, 'm.png'), await encodeGreyPng(px, 9, 6));
      const got = await readGreyPng(join(dir, 'm.png'));
      assert.deepEqual([got.width, got.height], [9, 6]);
      assert.deepEqual(got.data, px);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('label PNG API: bad input gets a clear error', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bcss-label-png-bad-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('colour, 16-bit and (unless asked for) palette PNGs are refused, naming what they are', async () => {
    const rgb = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#102030' } }).png().toBuffer();
    const grey16 = fastPngEncode({ width: 4, height: 3, data: new Uint16Array(12), depth: 16, channels: 1 });
    const palette = fastPngPalette(labels(4, 3), 4, 3);
    const e1 = await rejectsIntegrity(decodeGreyPng(rgb, { label: 'm.png' }), /^m\.png: a label mask must be an 8-bit greyscale PNG, found 8-bit RGB$/, 'RGB');
    assert.deepEqual([e1.expected, e1.actual], ['8-bit greyscale', '8-bit RGB']);
    await rejectsIntegrity(decodeGreyPng(grey16, { palette: true }), /8-bit greyscale \(or 8-bit palette\) PNG, found 16-bit greyscale/, '16-bit');
    await rejectsIntegrity(decodeGreyPng(palette), /found 8-bit palette/, 'palette without the option');
    assert.equal(pngKind({ bitDepth: 4, colorType: 9 }), '4-bit colour type 9');
  });

  test('not a PNG, a damaged one, and one larger than allowed', async () => {
    const good = await encodeGreyPng(labels(8, 8), 8, 8);
    await rejectsIntegrity(decodeGreyPng(Buffer.from('<html>Service unavailable</html>'), { label: 'mask' }), /^mask: .*HTML/, 'HTML page');
    const flipped = Buffer.from(good);
    const idat = flipped.indexOf('IDAT');
    flipped[idat + 6] = (flipped[idat + 6] as number) ^ 0xff;
    await rejectsIntegrity(decodeGreyPng(flipped, { label: 'mask' }), /^mask: .*wrong CRC/, 'flipped byte');
    await rejectsIntegrity(decodeGreyPng(good.subarray(0, good.length - 16), { label: 'mask' }), /IEND|past the end/, 'truncated');
    await rejectsIntegrity(decodeGreyPng(good, { label: 'mask', maxPixels: 63 }), /8×8 px, more than the 63 expected/, 'too large');
  });

  test('a plain PNG relabelled as interlaced is refused: its data does not fit the Adam7 passes', async () => {
    const png = Buffer.from(await encodeGreyPng(labels(10, 10), 10, 10));
    png[28] = 1;
    const { crc32 } = await import('node:zlib');
    png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
    await rejectsIntegrity(decodeGreyPng(png, { label: 'p.png' }), /^p\.png: the PNG's pixel data (holds 110 bytes, not the 120|cannot be decompressed)/, 'relabelled');
  });

  test('readGreyPng puts the path in the message and on the error; a missing file stays ENOENT', async () => {
    const path = join(dir, 'colour.png');
    await writeFile(path, await sharp({ create: { width: 2, height: 2, channels: 3, background: '#ffffff' } }).png().toBuffer());
    const err = await rejectsIntegrity(readGreyPng(path), new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a label mask must be`), 'colour file');
    assert.equal(err.path, path);
    await assert.rejects(readGreyPng(join(dir, 'missing.png')), { code: 'ENOENT' });
  });

  test('encoding refuses sizes and palettes that no PNG can hold', async () => {
    await assert.rejects(encodeGreyPng(new Uint8Array(6), 3, 3), /expected 9 bytes for 3×3 but received 6/);
    await assert.rejects(encodeGreyPng(new Uint8Array(0), 0, 5), /width must be an integer from 1/);
    await assert.rejects(encodeGreyPng(new Uint8Array(4), 2, 2, new Uint8Array(4)), /1 to 256 RGB triples, got 4 bytes/);
    await assert.rejects(encodeGreyPng(new Uint8Array(4), 2, 2, new Uint8Array(771)), /1 to 256 RGB triples/);
  });
});
