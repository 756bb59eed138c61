import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pointInOrOnRing, polygonDistance, pointSegmentDistance } from '../../src/geometry/polygon-distance.js';

type V = [number, number];
const square = (x: number, y: number, s: number): V[] => [[x, y], [x + s, y], [x + s, y + s], [x, y + s]];

describe('polygonDistance (shapely semantics)', () => {
  test('separated squares: gap along one axis, and corner to corner (3-4-5)', () => {
    assert.equal(polygonDistance(square(0, 0, 10), square(13, 2, 4)), 3);
    assert.equal(polygonDistance(square(0, 0, 10), square(13, 14, 4)), 5);
    assert.equal(polygonDistance(square(13, 14, 4), square(0, 0, 10)), 5);
  });

  test('intersecting, touching and containing polygons are at distance 0', () => {
    assert.equal(polygonDistance(square(0, 0, 10), square(5, 5, 10)), 0);
    assert.equal(polygonDistance(square(0, 0, 10), square(10, 3, 4)), 0);
    assert.equal(polygonDistance(square(0, 0, 10), square(10, 10, 4)), 0);
    assert.equal(polygonDistance(square(0, 0, 10), square(3, 3, 2)), 0);
    assert.equal(polygonDistance(square(3, 3, 2), square(0, 0, 10)), 0);
  });

  test('a vertex facing the middle of an edge uses the perpendicular distance', () => {
    // Triangle apex at (5, 12) above the top edge y = 10 of the square: 2 px, the membership limit.
    assert.equal(polygonDistance(square(0, 0, 10), [[5, 12], [3, 15], [7, 15]]), 2);
    // Diagonal edge x + y = 40 vs the corner (21, 21): |42 − 40| / √2.
    const d = polygonDistance([[0, 0], [40, 0], [0, 40]], square(21, 21, 4));
    assert.ok(Math.abs(d - Math.SQRT2) < 1e-12, String(d));
  });

  test('a polygon inside the hole-free interior of a concave ring is at distance 0', () => {
    const u: V[] = [[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]];
    assert.equal(polygonDistance(u, square(2, 12, 3)), 0); // inside the left arm
    assert.equal(polygonDistance(u, square(13, 20, 3)), 3); // in the notch: 3 px from the left arm, 4 from the right
  });

  test('point location and point-segment helpers', () => {
    assert.equal(pointInOrOnRing([5, 5], square(0, 0, 10)), true);
    assert.equal(pointInOrOnRing([10, 5], square(0, 0, 10)), true);
    assert.equal(pointInOrOnRing([0, 0], square(0, 0, 10)), true);
    assert.equal(pointInOrOnRing([11, 5], square(0, 0, 10)), false);
    assert.equal(pointSegmentDistance([5, 3], [0, 0], [10, 0]), 3);
    assert.equal(pointSegmentDistance([-3, 4], [0, 0], [10, 0]), 5);
    assert.throws(() => polygonDistance([], square(0, 0, 1)), RangeError);
  });
});
