import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { decode as fastPngDecode } from 'fast-png';
import sharp from 'sharp';
import { IntegrityError } from '../../src/errors.js';
import { readPngHeader } from '../../src/image/png-header.js';
import { decodeGreyScanlines, encodeGrey, encodeGreyRows, packScanlines } from '../../src/image/grey-png.js';
import { decodeGreyPng } from '../../src/image/label-png.js';

/** Deterministic label-like pixels: runs of values 0..21 with some noise. */
function labels(w: number, h: number, seed = 1): Uint8Array {
  const out = new Uint8Array(w * h);
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (Math.floor(i / 7) + (x % 13 === 0 ? x % 5 : 0)) % 22;
  }
  return out;
}

/** An independent PNG writer for the tests: every row with the given filter type. */
function filteredPng(pixels: Uint8Array, w: number, h: number, filter: (y: number) => number, interlace = 0): Buffer {
  const stride = w + 1;
  const raw = Buffer.alloc(stride * h);
  const px = (x: number, y: number): number => (x < 0 || y < 0 ? 0 : (pixels[y * w + x] as number));
  for (let y = 0; y < h; y++) {
    const f = filter(y);
    raw[y * stride] = f;
    for (let x = 0; x < w; x++) {
      const v = px(x, y);
      const a = px(x - 1, y);
      const b = px(x, y - 1);
      const c = px(x - 1, y - 1);
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f] as number;
      raw[y * stride + 1 + x] = (v - pred) & 0xff;
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const t = Buffer.from(type, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(t)) >>> 0);
    return Buffer.concat([len, t, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[12] = interlace;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('Comment\0ancillary chunks are skipped', 'latin1')),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function sharpPixels(png: Uint8Array): Promise<Uint8Array> {
  const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

describe('grey PNG codec', () => {
  test('the encoder writes 8-bit grey PNGs that sharp and fast-png decode to the same pixels, across strips', async () => {
    // Each way the encoder and decoder work: small (on the calling thread), 2.5 MB (thread
    // pool, one piece), 5 MB (thread pool, two strips).
    for (const [w, h] of [
      [1, 1],
      [13, 9],
      [1700, 1500],
      [2500, 2000],
    ] as const) {
      const px = labels(w, h);
      const png = await encodeGrey(px, w, h);
      const own = await decodeGreyScanlines(png, 'own');
      assert.ok(own !== null);
      assert.deepEqual(packScanlines(own), px, `our decoder reads ${w}×${h}`);
      const hdr = readPngHeader(png);
      assert.deepEqual([hdr.width, hdr.height, hdr.colorType, hdr.bitDepth], [w, h, 0, 8]);
      assert.deepEqual(await sharpPixels(png), px, `sharp reads ${w}×${h}`);
      assert.deepEqual(new Uint8Array(fastPngDecode(png).data as Uint8Array), px, `fast-png reads ${w}×${h}`);
    }
  });

  test('rows come from the producer in order, each exactly once', async () => {
    const seen: number[] = [];
    // 3000 × 2000: 6 MB of scanlines, streamed in strips.
    const png = await encodeGreyRows(3000, 2000, (y0, rows, buf, stride) => {
      for (let r = 0; r < rows; r++) {
        seen.push(y0 + r);
        buf.fill((y0 + r) % 22, r * stride + 1, r * stride + 1 + 3000);
      }
    });
    assert.deepEqual(seen, Array.from({ length: 2000 }, (_, i) => i));
    const decoded = await sharpPixels(png);
    for (const y of [0, 1, 700, 1398, 1399, 1400, 1999]) assert.equal(decoded[3000 * y + 2999], y % 22, `row ${y}`);
  });

  test('the decoder undoes every row filter (None, Sub, Up, Average, Paeth, mixed)', async () => {
    const w = 37;
    const h = 23;
    const px = labels(w, h, 5).map((v, i) => (i % 11 === 0 ? 200 + (v % 50) : v)); // some large values, for wrap-around
    for (const [name, filter] of [
      ['none', () => 0],
      ['sub', () => 1],
      ['up', () => 2],
      ['average', () => 3],
      ['paeth', () => 4],
      ['mixed', (y: number) => y % 5],
    ] as const) {
      const png = filteredPng(px, w, h, filter);
      assert.deepEqual(await sharpPixels(png), px, `the test's own ${name} PNG is valid`);
      const lines = await decodeGreyScanlines(png, 'test');
      assert.ok(lines !== null);
      assert.deepEqual(packScanlines(lines), px, name);
    }
  });

  test('PNGs written by sharp with adaptive filtering decode to the same pixels', async () => {
    const w = 301;
    const h = 77;
    const px = labels(w, h, 9);
    const png = await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer();
    const decoded = await decodeGreyPng(png);
    assert.deepEqual([decoded.width, decoded.height], [w, h]);
    assert.deepEqual(decoded.data, px);
  });

  test('interlaced (Adam7) PNGs decode to the pixels sharp reads, empty passes included', async () => {
    // 1×1 and 3×2 have empty passes (no bytes at all); 9×17 and 19×11 have partial ones.
    for (const [w, h] of [
      [1, 1],
      [3, 2],
      [9, 17],
      [19, 11],
      [260, 130],
    ] as const) {
      const px = labels(w, h, 3);
      const png = await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer();
      assert.equal(readPngHeader(png).interlace, 1);
      const lines = await decodeGreyScanlines(png, 'test');
      assert.deepEqual(packScanlines(lines), px, `${w}×${h}`);
      assert.deepEqual(new Uint8Array((await decodeGreyPng(png)).data), px, `${w}×${h} packed`);
    }
  });

  test('damaged or foreign PNGs are IntegrityErrors that say what is wrong', async () => {
    const px = labels(8, 4);
    const good = filteredPng(px, 8, 4, () => 0);
    const idatAt = good.indexOf('IDAT');
    const cases: Array<[string, Buffer, RegExp]> = [
      ['no signature', Buffer.from('<html>nope</html>'), /no PNG signature/],
      ['a flipped byte', Buffer.from(good).fill(0x55, idatAt + 6, idatAt + 7), /wrong CRC/],
      ['cut short', good.subarray(0, good.length - 20), /runs past the end|without an IEND/],
      ['too many pixels', good, /more than the 16 expected/],
      ['too little pixel data', filteredPng(px, 8, 4, () => 0).fill(0, 16, 20), /CRC|cannot be decompressed|holds/],
      ['an unknown filter type', filteredPng(px, 8, 4, (y) => (y === 2 ? 7 : 0)), /unknown PNG filter type 7/],
    ];
    for (const [what, png, message] of cases) {
      await assert.rejects(decodeGreyScanlines(png, 'mask', what === 'too many pixels' ? 16 : undefined), (err: unknown) => {
        assert.ok(err instanceof IntegrityError, `${what}: ${String(err)}`);
        assert.match(err.message, message, what);
        return true;
      });
    }
    const rgb = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#123456' } }).png().toBuffer();
    await assert.rejects(decodeGreyScanlines(rgb, 'mask'), /not 8-bit greyscale/);
  });

  test('pixel data longer or shorter than the size needs is refused, not cut or padded', async () => {
    const px = labels(8, 4);
    const longer = filteredPng(labels(8, 5), 8, 5, () => 0);
    // Same pixel data, but the header says 4 rows.
    longer.writeUInt32BE(4, 20);
    const ihdr = longer.subarray(12, 29);
    longer.writeUInt32BE(crc32(ihdr) >>> 0, 29);
    await assert.rejects(decodeGreyScanlines(longer, 'mask'), /cannot be decompressed|holds/);
    const shorter = filteredPng(px, 8, 4, () => 0);
    shorter.writeUInt32BE(5, 20);
    shorter.writeUInt32BE(crc32(shorter.subarray(12, 29)) >>> 0, 29);
    await assert.rejects(decodeGreyScanlines(shorter, 'mask'), /holds 36 bytes, not the 45/);
  });
});
