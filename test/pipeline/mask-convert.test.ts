import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { IntegrityError } from '../../src/errors.js';
import { resizeNearest } from '../../src/geometry/nearest.js';
import { readPngHeader } from '../../src/image/png-header.js';
import { nearestIndexMap } from '../../src/geometry/nearest.js';
import { decodeGreyPng, encodeGreyPng } from '../../src/image/label-png.js';
import { classifyBaseMaskSize, convertMask, mapRuns } from '../../src/pipeline/mask-convert.js';

const CODES = Array.from({ length: 22 }, (_, i) => i);
// An ROI 13 × 9 px at base: the figshare mask is 12 × 8 (docs/dataset.md#roi-bounds-and-mask-size).
const ROI = { name: 'TCGA-A1-A0SK-DX1', xmin: 100, ymin: 200, xmax: 113, ymax: 209 };

/** Deterministic label pattern with every code 0..21 present. */
function labels(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + Math.floor(i / w)) % 22;
  return out;
}

describe('base mask size rule', () => {
  test('(W−1)×(H−1) is the expected convention, W×H the half-open one, anything else is refused', () => {
    assert.equal(classifyBaseMaskSize(ROI, 12, 8), 'minus-one');
    assert.equal(classifyBaseMaskSize(ROI, 13, 9), 'half-open');
    assert.equal(classifyBaseMaskSize(ROI, 12, 9), null);
    assert.equal(classifyBaseMaskSize(ROI, 6, 4), null);
  });

  test('a wrong size fails with both sizes in the message, before decoding', async () => {
    const png = await encodeGreyPng(labels(6, 4), 6, 4);
    await assert.rejects(convertMask({ png, roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }), (err: unknown) => {
      assert.ok(err instanceof IntegrityError);
      assert.match(err.message, /6×4/);
      assert.match(err.message, /12×8/);
      return true;
    });
  });
});

describe('mapRuns', () => {
  test('describes a nearest map exactly as copy and repeat runs', () => {
    for (const [inLen, outLen] of [
      [12, 13],
      [12, 27],
      [900, 1803],
      [13, 5],
      [7, 7],
      [1, 9],
    ] as const) {
      const xs = nearestIndexMap(inLen, outLen);
      const runs = mapRuns(xs, outLen);
      const rebuilt: number[] = [];
      for (let k = 0; k < runs.length; k += 4) {
        const [kind, at, from, len] = [runs[k]!, runs[k + 1]!, runs[k + 2]!, runs[k + 3]!];
        assert.equal(at, rebuilt.length, 'runs are contiguous');
        for (let j = 0; j < len; j++) rebuilt.push(kind === 0 ? from + j : from);
      }
      assert.deepEqual(rebuilt, [...xs], `${inLen} → ${outLen}`);
    }
    // The identity is one copy run; an exact doubling, repeat runs of two.
    assert.deepEqual([...mapRuns(nearestIndexMap(7, 7), 7)], [0, 0, 0, 7]);
    assert.deepEqual([...mapRuns(nearestIndexMap(2, 4), 4)], [1, 0, 0, 2, 1, 2, 1, 2]);
  });
});

describe('convertMask', () => {
  test('resize mode equals resizeNearest of the base mask exactly, as 8-bit grey PNG', async () => {
    const base = labels(12, 8);
    const png = await encodeGreyPng(base, 12, 8);
    for (const target of [
      { width: 13, height: 9 },
      { width: 27, height: 17 },
      { width: 5, height: 3 },
    ]) {
      const out = await convertMask({ png, roi: ROI, target, align: 'resize', classCodes: CODES });
      assert.deepEqual(out.base, { width: 12, height: 8, convention: 'minus-one' });
      const h = readPngHeader(out.png);
      assert.deepEqual([h.width, h.height, h.colorType, h.bitDepth], [target.width, target.height, 0, 8]);
      const decoded = await decodeGreyPng(out.png);
      assert.deepEqual(new Uint8Array(decoded.data), resizeNearest(base, 12, 8, target.width, target.height));
    }
  });

  test('pad mode appends a zero row and column, then resizes', async () => {
    const base = labels(12, 8);
    const png = await encodeGreyPng(base, 12, 8);
    const atBase = await decodeGreyPng((await convertMask({ png, roi: ROI, target: { width: 13, height: 9 }, align: 'pad', classCodes: CODES })).png);
    assert.equal(atBase.width, 13);
    for (let y = 0; y < 9; y++) {
      for (let x = 0; x < 13; x++) {
        const want = y < 8 && x < 12 ? base[y * 12 + x] : 0;
        assert.equal(atBase.data[y * 13 + x], want, `pixel ${x},${y}`);
      }
    }
    const scaled = await decodeGreyPng((await convertMask({ png, roi: ROI, target: { width: 26, height: 18 }, align: 'pad', classCodes: CODES })).png);
    assert.deepEqual(new Uint8Array(scaled.data), resizeNearest(new Uint8Array(atBase.data), 13, 9, 26, 18));
  });

  test('a half-open (W×H) base mask is accepted and not padded', async () => {
    const base = labels(13, 9);
    const png = await encodeGreyPng(base, 13, 9);
    const out = await convertMask({ png, roi: ROI, target: { width: 13, height: 9 }, align: 'pad', classCodes: CODES });
    assert.equal(out.base.convention, 'half-open');
    assert.deepEqual(new Uint8Array((await decodeGreyPng(out.png)).data), base);
  });

  test('large masks (several strips), in both modes and with codes that are not 0..max, equal the reference maps', async () => {
    // 20x slide at 0.25 um/px: the base mask is upscaled about twice; sharp decodes independently.
    const big = { name: 'TCGA-A1-A0SK-DX1', xmin: 0, ymin: 0, xmax: 901, ymax: 601 };
    const base = labels(900, 600);
    const png = await sharp(Buffer.from(base), { raw: { width: 900, height: 600, channels: 1 } }).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer();
    const target = { width: 2403, height: 1801 }; // 4.3 MB of scanlines: more than one strip
    const sharpGrey = async (p: Uint8Array): Promise<Uint8Array> => new Uint8Array(await sharp(p).extractChannel(0).raw().toBuffer());
    const resized = await convertMask({ png, roi: big, target, align: 'resize', classCodes: CODES });
    assert.deepEqual(await sharpGrey(resized.png), resizeNearest(base, 900, 600, target.width, target.height));
    const padded = new Uint8Array(901 * 601);
    for (let y = 0; y < 600; y++) padded.set(base.subarray(y * 900, (y + 1) * 900), y * 901);
    const pad = await convertMask({ png, roi: big, target, align: 'pad', classCodes: [...CODES].reverse() });
    assert.deepEqual(await sharpGrey(pad.png), resizeNearest(padded, 901, 601, target.width, target.height));
    // A code set without 0..3 checks every pixel exactly (and finds the zeros).
    await assert.rejects(convertMask({ png, roi: big, target, align: 'resize', classCodes: CODES.slice(4) }), /values 0, 1, 2, 3 are not class codes/);
  });

  test('values outside the class codes are refused', async () => {
    const base = labels(12, 8);
    base[5] = 22;
    base[6] = 255;
    const png = await encodeGreyPng(base, 12, 8);
    await assert.rejects(convertMask({ png, roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }), /values 22, 255 are not class codes/);
  });

  test('palette, 16-bit and colour masks are refused without being decoded as labels', async () => {
    const palette = encode({
      width: 12,
      height: 8,
      data: labels(12, 8),
      channels: 1,
      depth: 8,
      palette: Array.from({ length: 22 }, (_, i) => [i * 10, 0, 0]),
    });
    assert.equal(readPngHeader(palette).colorType, 3);
    await assert.rejects(convertMask({ png: palette, roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }), /palette/);
    const sixteen = encode({ width: 12, height: 8, data: new Uint16Array(96), channels: 1, depth: 16 });
    await assert.rejects(convertMask({ png: sixteen, roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }), /16-bit/);
    const rgb = encode({ width: 12, height: 8, data: new Uint8Array(96 * 3), channels: 3, depth: 8 });
    await assert.rejects(convertMask({ png: rgb, roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }), /RGB/);
  });

  test('an HTML page or a truncated PNG is an IntegrityError', async () => {
    await assert.rejects(
      convertMask({ png: Buffer.from('<html>no</html>'), roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }),
      IntegrityError,
    );
    const good = await encodeGreyPng(labels(12, 8), 12, 8);
    await assert.rejects(
      convertMask({ png: good.subarray(0, good.length - 20), roi: ROI, target: { width: 13, height: 9 }, align: 'resize', classCodes: CODES }),
      IntegrityError,
    );
  });
});
