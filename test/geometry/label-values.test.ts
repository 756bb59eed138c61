import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anyAbove, contiguousMax, disallowedValues } from '../../src/geometry/label-values.js';

/** The obvious definition, one byte at a time: the reference the fast paths must equal. */
function naive(pixels: Uint8Array, allowed: Iterable<number>): number[] {
  const ok = new Set(allowed);
  return [...new Set(pixels)].filter((v) => !ok.has(v)).sort((a, b) => a - b);
}

/** Deterministic bytes (xorshift), mostly small labels with a few large ones when `spiky`. */
function labels(n: number, seed: number, spiky: boolean): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = spiky && x % 97 === 0 ? 22 + (x % 234) : x % 22;
  }
  return out;
}

const CODES = Array.from({ length: 22 }, (_, i) => i);

describe('label value checks', () => {
  test('equal the byte-wise definition for every length, alignment and value placement', () => {
    const backing = labels(300, 7, false);
    for (let offset = 0; offset < 4; offset++) {
      for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 257]) {
        const view = backing.subarray(offset, offset + n);
        assert.deepEqual(disallowedValues(view, CODES), naive(view, CODES), `offset ${offset}, length ${n}`);
        // One bad value at each position in turn, including the unaligned head and tail.
        for (let i = 0; i < n; i++) {
          for (const bad of [22, 31, 127, 128, 200, 255]) {
            const copy = Uint8Array.from(view);
            copy[i] = bad;
            const shifted = new Uint8Array(n + offset).subarray(offset);
            shifted.set(copy);
            assert.deepEqual(disallowedValues(shifted, CODES), naive(shifted, CODES), `offset ${offset}, length ${n}, ${bad} at ${i}`);
            assert.equal(anyAbove(shifted, 21), true);
          }
        }
      }
    }
  });

  test('random images with and without stray values', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const img = labels(1000 + seed, seed, seed % 2 === 0);
      assert.deepEqual(disallowedValues(img, CODES), naive(img, CODES), `seed ${seed}`);
    }
  });

  test('code sets that are not 0..max use the exact scan', () => {
    const img = Uint8Array.from([0, 1, 2, 3, 5, 200]);
    assert.deepEqual(disallowedValues(img, [0, 1, 2, 5]), [3, 200]);
    assert.deepEqual(disallowedValues(img, [1, 2, 3, 5, 200]), [0]);
    assert.deepEqual(disallowedValues(img, [...Array(256).keys()]), []);
    assert.deepEqual(disallowedValues(img, []), [0, 1, 2, 3, 5, 200]);
  });

  test('anyAbove refuses a bound the word trick cannot handle', () => {
    assert.throws(() => anyAbove(new Uint8Array(4), 127), RangeError);
    assert.throws(() => anyAbove(new Uint8Array(4), -1), RangeError);
    assert.equal(anyAbove(Uint8Array.from([126, 126, 126, 126, 126]), 126), false);
    assert.equal(anyAbove(Uint8Array.from([0, 0, 0, 0, 127]), 126), true);
  });
});

describe('contiguousMax', () => {
  test('is max only for exactly 0..max', () => {
    assert.equal(contiguousMax(CODES), 21);
    assert.equal(contiguousMax([0]), 0);
    assert.equal(contiguousMax([2, 1, 0, 1]), 2);
    assert.equal(contiguousMax([0, 1, 3]), null);
    assert.equal(contiguousMax([1, 2]), null);
    assert.equal(contiguousMax([]), null);
  });
});
