import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { histomicsElementOrder } from '../../src/geometry/python-set-order.js';

describe('histomicsElementOrder (CPython set iteration order)', () => {
  test('hand-traced: 9 and 17 share slot 1 of an 8-slot table, so 17 moves to slot 6', () => {
    // 8 slots are too few for linear probing (1 + 9 > mask 7): the next slot is
    // (5·1 + 1 + (17 >> 5)) & 7 = 6. Slots 1, 3, 6 hold 9, 3, 17; CPython 3.11 prints the same.
    assert.deepEqual(histomicsElementOrder(0, [0, 3, 9, 17], [0]), [0, 9, 3, 17]);
  });
  test('small indices below the table size come out ascending', () => {
    assert.deepEqual(histomicsElementOrder(5, Array.from({ length: 40 }, (_, i) => i), [5, 38]), [
      5, ...Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 5 && i !== 38),
    ]);
  });
  test('rejects indices that are not small non-negative integers', () => {
    assert.throws(() => histomicsElementOrder(0, [0, -1], []), RangeError);
  });
});
