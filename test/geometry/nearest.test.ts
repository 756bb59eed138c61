import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestIndexMap, resizeNearest } from '../../src/geometry/nearest.js';
import { mulberry32 as rng } from '../../src/server/faults.js';

/** SciPy's literal order-0 grid_mode mapping, written independently of the implementation. */
function scipyIndex(inLen: number, outLen: number, d: number): number {
  const s = inLen / outLen;
  const v = Math.floor((d + 0.5) * s - 0.5 + 0.5);
  return Math.max(0, Math.min(inLen - 1, v));
}

/** The tempting exact-looking form that multiplies first; it is wrong at ties. */
function naiveIndex(inLen: number, outLen: number, d: number): number {
  return Math.min(inLen - 1, Math.floor(((d + 0.5) * inLen) / outLen));
}

/** Returns the first mismatching output index, or -1. */
function firstMismatch(inLen: number, outLen: number): number {
  const map = nearestIndexMap(inLen, outLen);
  assert.equal(map.length, outLen);
  for (let d = 0; d < outLen; d++) if (map[d] !== scipyIndex(inLen, outLen, d)) return d;
  return -1;
}

describe('nearestIndexMap matches scikit-image/SciPy order 0', () => {
  test('the tie case in=2, out=49, d=24 maps to 0 (exact arithmetic would give 1)', () => {
    assert.equal(nearestIndexMap(2, 49)[24], 0);
    assert.equal(scipyIndex(2, 49, 24), 0);
    assert.equal(naiveIndex(2, 49, 24), 1);
  });

  test('every (in, out) pair with both in 1..256', () => {
    let naiveDiffers = 0;
    for (let inLen = 1; inLen <= 256; inLen++) {
      for (let outLen = 1; outLen <= 256; outLen++) {
        const d = firstMismatch(inLen, outLen);
        assert.equal(d, -1, `in=${inLen} out=${outLen} d=${d}`);
        for (let k = 0; k < outLen; k++) {
          if (naiveIndex(inLen, outLen, k) !== scipyIndex(inLen, outLen, k)) {
            naiveDiffers++;
            break;
          }
        }
      }
    }
    // The sweep would catch the multiply-first form: it differs on a real number of pairs.
    assert.ok(naiveDiffers > 100, `naive form differs on only ${naiveDiffers} pairs`);
  });

  test('thousands of random pairs up to 12000', () => {
    const r = rng(8);
    for (let i = 0; i < 2000; i++) {
      const inLen = 1 + Math.floor(r() * 12000);
      const outLen = 1 + Math.floor(r() * 12000);
      assert.equal(firstMismatch(inLen, outLen), -1, `in=${inLen} out=${outLen}`);
    }
  });

  test('pairs near x2, x3, x4 and /2, /3, /4 (where ties cluster)', () => {
    const r = rng(9);
    for (let i = 0; i < 2000; i++) {
      const n = 1 + Math.floor(r() * 4000);
      const k = 2 + (i % 3);
      const m = Math.max(1, n * k + Math.floor(r() * 5) - 2);
      const [inLen, outLen] = i % 2 === 0 ? [n, m] : [m, n];
      assert.equal(firstMismatch(inLen, outLen), -1, `in=${inLen} out=${outLen}`);
    }
  });

  test('the A0YE base mask (4542 wide) to the RGB width 4543 repeats the middle column', () => {
    const map = nearestIndexMap(4542, 4543);
    assert.equal(map[2271], 2271);
    assert.equal(map[2272], 2271);
    assert.equal(map[4542], 4541);
  });

  test('rejects lengths below 1 and non-integers', () => {
    assert.throws(() => nearestIndexMap(0, 5), /inLen to be an integer >= 1/);
    assert.throws(() => nearestIndexMap(5, 2.5), /outLen to be an integer >= 1/);
  });
});

describe('resizeNearest', () => {
  test('upscales a hand-built 3 x 2 image by 2 with centre alignment', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const out = resizeNearest(src, 3, 2, 6, 4);
    assert.deepEqual(
      Array.from(out),
      [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6],
    );
  });

  test('downscales by 2 picking the centre-right sample, not the top-left one', () => {
    const src = Uint8Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(Array.from(resizeNearest(src, 4, 4, 2, 2)), [5, 7, 13, 15]);
  });

  test('RGB (channels = 3) keeps each pixel’s bytes together', () => {
    // 2 x 2 RGB: pixel value encodes its position
    const src = Uint8Array.from([10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42]);
    const out = resizeNearest(src, 2, 2, 3, 1, 3);
    // x map for 2 -> 3: [0, 1, 1]; y map for 2 -> 1: [1]
    assert.deepEqual(Array.from(out), [30, 31, 32, 40, 41, 42, 40, 41, 42]);
  });

  test('random images and sizes agree with a per-pixel gather through the reference maps', () => {
    const r = rng(10);
    for (let i = 0; i < 300; i++) {
      const inW = 1 + Math.floor(r() * 40);
      const inH = 1 + Math.floor(r() * 40);
      const outW = r() < 0.2 ? inW : 1 + Math.floor(r() * 90);
      const outH = 1 + Math.floor(r() * 90);
      const ch = 1 + Math.floor(r() * 4);
      const src = Uint8Array.from({ length: inW * inH * ch }, () => Math.floor(r() * 256));
      const out = resizeNearest(src, inW, inH, outW, outH, ch);
      assert.equal(out.length, outW * outH * ch);
      for (let y = 0; y < outH; y++) {
        const sy = scipyIndex(inH, outH, y);
        for (let x = 0; x < outW; x++) {
          const sx = scipyIndex(inW, outW, x);
          for (let c = 0; c < ch; c++) {
            const got = out[(y * outW + x) * ch + c];
            const want = src[(sy * inW + sx) * ch + c];
            if (got !== want) assert.fail(`case ${i} (${inW}x${inH}->${outW}x${outH}x${ch}) at ${x},${y},${c}`);
          }
        }
      }
    }
  });

  test('rejects wrong buffer lengths, zero sizes and bad channel counts', () => {
    const src = new Uint8Array(6);
    assert.throws(() => resizeNearest(src, 3, 3, 2, 2), /expected 9 bytes for a 3 x 3 x 1 image but received 6/);
    assert.throws(() => resizeNearest(src, 3, 2, 0, 2), /outW to be an integer >= 1/);
    assert.throws(() => resizeNearest(src, 3, 2, 2, -1), /outH to be an integer >= 1/);
    assert.throws(() => resizeNearest(src, 3, 2, 2, 2, 0), /channels to be an integer >= 1/);
    assert.throws(() => resizeNearest(src, 2, 2, 2, 2, 2), /expected 8 bytes for a 2 x 2 x 2 image but received 6/);
  });
});
