import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { numpyArgsortQuick, pandasDescendingOrder } from '../../src/geometry/tie-order.js';

describe('numpyArgsortQuick (numpy quicksort argsort, float64)', () => {
  test('17 equal keys: one partition step scrambles the ties exactly as numpy does', () => {
    // Traced by hand: median-of-three leaves the order, pivot (position 8) swapped to 15, the scan
    // swaps pairs (1,14) … (7,8), pivot back to 8, then insertion sort on [9,16] and [0,7].
    assert.deepEqual(numpyArgsortQuick(new Array(17).fill(0)), [0, 14, 13, 12, 11, 10, 9, 15, 8, 6, 5, 4, 3, 2, 1, 7, 16]);
  });
  test('16 or fewer keys: insertion sort only, so it is stable', () => {
    assert.deepEqual(numpyArgsortQuick([2, 1, 2, 1, 0, 2]), [4, 1, 3, 0, 2, 5]);
  });
  test('sorts any input (random keys, compared with a reference sort)', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const keys = Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 6));
      const order = numpyArgsortQuick(keys);
      assert.deepEqual([...order].sort((a, b) => a - b), keys.map((_, i) => i), 'a permutation');
      for (let i = 1; i < order.length; i++) assert.ok(keys[order[i - 1]!]! <= keys[order[i]!]!);
    }
  });
  test('NaN sorts last, like numpy', () => {
    assert.deepEqual(numpyArgsortQuick([Number.NaN, 1, 0]), [2, 1, 0]);
  });
});

describe('pandasDescendingOrder (sort_values(ascending=False))', () => {
  test('largest first; for small levels ties keep input order', () => {
    assert.deepEqual(pandasDescendingOrder([5, 9, 5, 1, 9]), [1, 4, 0, 2, 3]);
  });
  test('20 keys with ties: the order numpy 1.24.2 + pandas give (not a stable sort)', () => {
    const keys = [3, 1, 2, 2, 3, 1, 2, 3, 3, 1, 2, 2, 3, 1, 2, 3, 3, 2, 1, 2];
    const want = [0, 16, 4, 15, 7, 8, 12, 11, 17, 14, 10, 6, 3, 2, 19, 1, 9, 13, 5, 18];
    assert.deepEqual(pandasDescendingOrder(keys), want);
    const stable = keys.map((_, i) => i).sort((a, b) => keys[b]! - keys[a]! || a - b);
    assert.notDeepEqual(want, stable);
  });
});
