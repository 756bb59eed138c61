import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bresenhamLine, polygonOutline } from '../../src/geometry/polygon-outline.js';

function linePixels(r0: number, c0: number, r1: number, c1: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  bresenhamLine(r0, c0, r1, c1, (r, c) => out.push([r, c]));
  return out;
}

describe('bresenhamLine (skimage.draw.line variant)', () => {
  test('horizontal, vertical, reversed and diagonal lines include both ends', () => {
    assert.deepEqual(linePixels(0, 0, 0, 3), [[0, 0], [0, 1], [0, 2], [0, 3]]);
    assert.deepEqual(linePixels(0, 0, 3, 0), [[0, 0], [1, 0], [2, 0], [3, 0]]);
    assert.deepEqual(linePixels(0, 3, 0, 0), [[0, 3], [0, 2], [0, 1], [0, 0]]);
    assert.deepEqual(linePixels(0, 0, 4, 4), [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]);
    assert.deepEqual(linePixels(2, 5, 2, 5), [[2, 5]]);
  });

  test('ties step the minor axis early (d >= 0), so direction matters', () => {
    // Shallow line (0,0)→(1,2): d starts at 2·1−2 = 0, so the row steps before column 1.
    assert.deepEqual(linePixels(0, 0, 1, 2), [[0, 0], [1, 1], [1, 2]]);
    // Reversed, the tie resolves toward the start row instead: a different middle pixel.
    assert.deepEqual(linePixels(1, 2, 0, 0), [[1, 2], [0, 1], [0, 0]]);
  });

  test('every pixel is within half a pixel of the ideal line (steep and shallow)', () => {
    for (const [r0, c0, r1, c1] of [[0, 0, 7, 3], [5, 1, -4, 9], [3, 3, 3, -6], [0, 0, 11, 10]] as const) {
      const px = linePixels(r0, c0, r1, c1);
      assert.equal(px.length, Math.max(Math.abs(r1 - r0), Math.abs(c1 - c0)) + 1);
      for (const [r, c] of px) {
        if (Math.abs(c1 - c0) >= Math.abs(r1 - r0)) {
          const ideal = r0 + ((c - c0) * (r1 - r0)) / (c1 - c0 || 1);
          assert.ok(Math.abs(r - ideal) <= 0.5, `(${r},${c}) far from line`);
        } else {
          const ideal = c0 + ((r - r0) * (c1 - c0)) / (r1 - r0);
          assert.ok(Math.abs(c - ideal) <= 0.5, `(${r},${c}) far from line`);
        }
      }
    }
  });
});

describe('polygonOutline', () => {
  test('closed rectangle border, last vertex joined to the first', () => {
    const seen = new Set<string>();
    polygonOutline([[1, 1], [4, 1], [4, 3], [1, 3]], 10, 10, (r, c) => seen.add(`${r},${c}`));
    const want = new Set<string>();
    for (let c = 1; c <= 4; c++) want.add(`1,${c}`).add(`3,${c}`);
    for (let r = 1; r <= 3; r++) want.add(`${r},1`).add(`${r},4`);
    assert.deepEqual(seen, want);
  });

  test('vertices are truncated toward zero and pixels off the canvas are dropped', () => {
    const seen = new Set<string>();
    // 2.9 → 2, 5.99 → 5; the right edge at x = 5 lies outside a 5-wide canvas.
    polygonOutline([[2.9, 0.2], [5.99, 0.7], [5.5, 3.1], [2.1, 3.9]], 5, 10, (r, c) => seen.add(`${r},${c}`));
    const want = new Set<string>();
    for (let c = 2; c <= 4; c++) want.add(`0,${c}`).add(`3,${c}`);
    for (let r = 0; r <= 3; r++) want.add(`${r},2`);
    assert.deepEqual(seen, want);
  });
});
