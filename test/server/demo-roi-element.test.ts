import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rectangleCorners } from '../../src/geometry/element-geometry.js';
import { seededRandom } from '../../src/server/demo/deterministic-ids.js';
import { polygonRoi, rotatedRectangleRoi, truncatedVertexBounds, type RoiBounds } from '../../src/server/demo/roi-element.js';

function randomBounds(rng: () => number): RoiBounds {
  const xmin = Math.floor(rng() * 120_000);
  const ymin = Math.floor(rng() * 90_000);
  const w = 2 + Math.floor(rng() * (rng() < 0.3 ? 60 : 12_000));
  const h = 2 + Math.floor(rng() * (rng() < 0.3 ? 60 : 12_000));
  return { xmin, ymin, xmax: xmin + w, ymax: ymin + h };
}

describe('demo ROI elements', () => {
  test('rotated rectangles: truncated corners span exactly the bounds, in both rotation senses', () => {
    const rng = seededRandom('test', 'rect');
    let built = 0;
    for (let i = 0; i < 2000; i++) {
      const b = randomBounds(rng);
      const el = rotatedRectangleRoi(b, rng);
      if (el === null) continue;
      built++;
      assert.equal(el.type, 'rectangle');
      assert.notEqual(el.rotation, 0);
      assert.ok((el.width ?? 0) % 2 === 0 && (el.height ?? 0) % 2 === 0);
      // Recompute independently with the rasteriser's own port of HistomicsTK.
      const [cx = 0, cy = 0] = el.center ?? [];
      for (const sign of [1, -1]) {
        const corners = rectangleCorners(cx, cy, el.width ?? 0, el.height ?? 0, sign * (el.rotation ?? 0));
        const xs = corners.map((c) => c[0]);
        const ys = corners.map((c) => c[1]);
        assert.deepEqual(
          { xmin: Math.min(...xs), ymin: Math.min(...ys), xmax: Math.max(...xs), ymax: Math.max(...ys) },
          b,
          `bounds ${JSON.stringify(b)} sign ${sign}`,
        );
      }
    }
    assert.ok(built > 0);
  });

  test('a rotated rectangle is found for every box with aspect ratio up to 4', () => {
    const rng = seededRandom('test', 'aspect');
    for (let i = 0; i < 2000; i++) {
      const w = 4 + Math.floor(rng() * 12_000);
      const h = Math.max(4, Math.min(4 * w, Math.round(w * (0.25 + rng() * 3.75))));
      if (Math.max(w, h) > 4 * Math.min(w, h)) continue;
      const b = { xmin: 500, ymin: 700, xmax: 500 + w, ymax: 700 + h };
      assert.ok(rotatedRectangleRoi(b, rng) !== null, `no rectangle for ${w}x${h}`);
    }
  });

  test('boxes too thin for a rotated rectangle get null (the caller falls back to a polygon)', () => {
    assert.equal(rotatedRectangleRoi({ xmin: 10, ymin: 10, xmax: 12, ymax: 5000 }, seededRandom('thin')), null);
  });

  test('polygons: integer vertices inside the box, one on each side, no repeated neighbours', () => {
    const rng = seededRandom('test', 'poly');
    for (let i = 0; i < 2000; i++) {
      const b = randomBounds(rng);
      const el = polygonRoi(b, rng);
      assert.equal(el.type, 'polyline');
      assert.deepEqual(truncatedVertexBounds(el), b);
      const pts = el.points ?? [];
      assert.ok(pts.length >= 3);
      for (const [x = NaN, y = NaN, z] of pts) {
        assert.ok(Number.isInteger(x) && Number.isInteger(y) && z === 0);
      }
      for (let k = 1; k < pts.length; k++) assert.notDeepEqual(pts[k], pts[k - 1]);
    }
  });
});
