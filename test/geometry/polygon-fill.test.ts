import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fillPolygon, polygonFillSpans } from '../../src/geometry/polygon-fill.js';
import { mulberry32 } from '../../src/server/faults.js';

type V = [number, number];

/**
 * The reference rule written independently of the implementation, the slow way: for every pixel
 * in skimage's scan range, O'Rourke's crossing test exactly as in skimage/_shared/geometry.pyx
 * (vertex within 1e-12 → in; left/right crossing parities differ → on an edge → in; odd → in).
 */
function naiveInside(xp: number[], yp: number[], x: number, y: number): boolean {
  const n = xp.length;
  let right = 0;
  let left = 0;
  let x1 = (xp[n - 1] as number) - x;
  let y1 = (yp[n - 1] as number) - y;
  for (let i = 0; i < n; i++) {
    const x0 = (xp[i] as number) - x;
    const y0 = (yp[i] as number) - y;
    if (-1e-12 < x0 && x0 < 1e-12 && -1e-12 < y0 && y0 < 1e-12) return true;
    if (y0 > 0 !== y1 > 0 && (x0 * y1 - x1 * y0) / (y1 - y0) > 0) right++;
    if (y0 < 0 !== y1 < 0 && (x0 * y1 - x1 * y0) / (y1 - y0) < 0) left++;
    x1 = x0;
    y1 = y0;
  }
  return (right & 1) !== (left & 1) || (right & 1) === 1;
}

function naiveFill(vs: V[], width: number, height: number): Uint8Array {
  const xp = vs.map((v) => v[0]);
  const yp = vs.map((v) => v[1]);
  const out = new Uint8Array(width * height);
  const minr = Math.trunc(Math.max(0, Math.min(...yp)));
  const maxr = Math.min(height - 1, Math.ceil(Math.max(...yp)));
  const minc = Math.trunc(Math.max(0, Math.min(...xp)));
  const maxc = Math.min(width - 1, Math.ceil(Math.max(...xp)));
  for (let r = minr; r <= maxr; r++) {
    for (let c = minc; c <= maxc; c++) if (naiveInside(xp, yp, c, r)) out[r * width + c] = 1;
  }
  return out;
}

/** skimage.draw.line, written out again for the union check (row/col, both ends included). */
function naiveLine(r0: number, c0: number, r1: number, c1: number, plot: (r: number, c: number) => void): void {
  const dxAbs = Math.abs(c1 - c0);
  const dyAbs = Math.abs(r1 - r0);
  const steep = dyAbs > dxAbs;
  let major = steep ? r0 : c0;
  let minor = steep ? c0 : r0;
  const majorStep = steep ? (r1 - r0 > 0 ? 1 : -1) : c1 - c0 > 0 ? 1 : -1;
  const minorStep = steep ? (c1 - c0 > 0 ? 1 : -1) : r1 - r0 > 0 ? 1 : -1;
  const dMajor = Math.max(dxAbs, dyAbs);
  const dMinor = Math.min(dxAbs, dyAbs);
  let d = 2 * dMinor - dMajor;
  for (let i = 0; i < dMajor; i++) {
    if (steep) plot(major, minor);
    else plot(minor, major);
    while (d >= 0) {
      minor += minorStep;
      d -= 2 * dMajor;
    }
    major += majorStep;
    d += 2 * dMinor;
  }
  plot(r1, c1);
}

function randomPolygon(rand: () => number, kind: number, size: number): V[] {
  const n = 3 + Math.floor(rand() * 10);
  const coord = (): number => {
    const v = -6 + rand() * (size + 12); // some vertices fall outside the canvas
    if (kind === 0) return Math.round(v);
    if (kind === 1) return Math.round(v) + 0.5;
    return v;
  };
  // Random order: most of these self-intersect, which exercises the parity rule.
  return Array.from({ length: n }, () => [coord(), coord()] as V);
}

function fromRows(rows: number[][]): Uint8Array {
  return Uint8Array.from(rows.flat());
}

describe('polygonFillSpans / fillPolygon (skimage.draw.polygon semantics)', () => {
  // Expected images below are the expectations of scikit-image's own tests for draw.polygon
  // (skimage/draw/tests/test_draw.py); vertices there are (row, col), here [x=col, y=row].
  test('axis-aligned rectangle includes its edge pixels: rows/cols 1..4', () => {
    const got = fillPolygon([[1, 1], [1, 4], [4, 4], [4, 1], [1, 1]], 10, 10, { outline: false });
    const want = new Uint8Array(100);
    for (let r = 1; r <= 4; r++) for (let c = 1; c <= 4; c++) want[r * 10 + c] = 1;
    assert.deepEqual(got, want);
  });

  test('diamond (rectangle_angular) matches skimage', () => {
    const rc = [[0, 3], [4, 7], [7, 4], [3, 0], [0, 3]];
    const got = fillPolygon(rc.map(([r, c]) => [c, r] as V), 10, 10, { outline: false });
    const want = fromRows([
      [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
      [0, 0, 1, 1, 1, 0, 0, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 1, 1, 0, 0],
      [0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
      [0, 0, 0, 1, 1, 1, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    assert.deepEqual(got, want);
  });

  test('parallelogram matches skimage', () => {
    const rc = [[1, 1], [5, 1], [7, 6], [3, 6], [1, 1]];
    const got = fillPolygon(rc.map(([r, c]) => [c, r] as V), 10, 10, { outline: false });
    const want = fromRows([
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0, 0, 0, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
      [0, 1, 1, 1, 1, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    assert.deepEqual(got, want);
  });

  test('polygon exceeding the canvas is clipped to it (rows 1..9 full)', () => {
    const rc = [[1, -1], [100, -1], [100, 100], [1, 100], [1, 1]];
    const got = fillPolygon(rc.map(([r, c]) => [c, r] as V), 10, 10, { outline: false });
    const want = new Uint8Array(100).fill(1, 10);
    assert.deepEqual(got, want);
  });

  test('an edge through pixel centres includes them: triangle x+y<=10 on a 10x10 canvas', () => {
    // Centres with x+y = 10 lie exactly on the hypotenuse and count as inside; x = 10 or y = 10
    // is off the canvas. Per column x: min(10, 11 − x) pixels → 10+10+9+…+2 = 64.
    const got = fillPolygon([[0, 0], [10, 0], [0, 10]], 10, 10, { outline: false });
    let count = 0;
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        assert.equal(got[y * 10 + x], x + y <= 10 ? 1 : 0, `pixel x=${x} y=${y}`);
        count += got[y * 10 + x] as number;
      }
    }
    assert.equal(count, 64);
    // The Bresenham outline of this triangle runs along the same centres: nothing is added.
    assert.deepEqual(fillPolygon([[0, 0], [10, 0], [0, 10]], 10, 10), got);
  });

  test('matches the naive O(bbox × vertices) port on 400 random polygons (integer, half-integer, float)', () => {
    const rand = mulberry32(20240611);
    let differing = 0;
    let filled = 0;
    let withOutlineDiff = 0;
    for (let k = 0; k < 400; k++) {
      const size = 12 + Math.floor(rand() * 30);
      const width = size + Math.floor(rand() * 5);
      const height = size;
      const poly = randomPolygon(rand, k % 3, size);
      const fast = fillPolygon(poly, width, height, { outline: false });
      const slow = naiveFill(poly, width, height);
      for (let i = 0; i < fast.length; i++) {
        if (fast[i] !== slow[i]) differing++;
        filled += slow[i] as number;
      }
      // Fill ∪ outline against naive fill ∪ naive Bresenham over truncated vertices.
      const both = fillPolygon(poly, width, height);
      const ref = slow.slice();
      for (let i = 0; i < poly.length; i++) {
        const a = poly[i] as V;
        const b = poly[(i + 1) % poly.length] as V;
        naiveLine(Math.trunc(a[1]), Math.trunc(a[0]), Math.trunc(b[1]), Math.trunc(b[0]), (r, c) => {
          if (r >= 0 && r < height && c >= 0 && c < width) ref[r * width + c] = 1;
        });
      }
      for (let i = 0; i < both.length; i++) if (both[i] !== ref[i]) withOutlineDiff++;
    }
    assert.ok(filled > 20000, `random polygons should cover many pixels, got ${filled}`);
    assert.equal(differing, 0);
    assert.equal(withOutlineDiff, 0);
  });

  test('degenerate input: points exactly on pixel centres, zero-area and single-vertex polygons', () => {
    const cases: V[][] = [
      [[3, 3]],
      [[2, 2], [6, 2]],
      [[1, 1], [5, 5], [3, 3]],
      [[2, 2], [2, 2], [2, 2]],
      [[0, 0], [6, 0], [6, 6], [0, 6], [3, 3]],
    ];
    for (const poly of cases) {
      assert.deepEqual(fillPolygon(poly, 8, 8, { outline: false }), naiveFill(poly, 8, 8), JSON.stringify(poly));
    }
  });

  test('large many-vertex polygon: sampled rows equal the naive test', () => {
    // A 301-vertex wobbly star of radius ~1500 px; compare 15 rows against the per-pixel rule.
    const rand = mulberry32(7);
    const poly: V[] = [];
    for (let i = 0; i < 301; i++) {
      const t = (2 * Math.PI * i) / 301;
      const rad = 1200 + rand() * 300;
      poly.push([1600 + rad * Math.cos(t), 1600 + rad * Math.sin(t)]);
    }
    const width = 3200;
    const rows = new Map<number, Array<[number, number]>>();
    polygonFillSpans(poly, width, 3200, (r, a, b) => {
      const list = rows.get(r) ?? [];
      list.push([a, b]);
      rows.set(r, list);
    });
    const xp = poly.map((v) => v[0]);
    const yp = poly.map((v) => v[1]);
    for (let s = 0; s < 15; s++) {
      const r = 100 + Math.floor(rand() * 3000);
      const got = new Uint8Array(width);
      for (const [a, b] of rows.get(r) ?? []) got.fill(1, a, b);
      const want = new Uint8Array(width);
      for (let c = 0; c < width; c++) if (naiveInside(xp, yp, c, r)) want[c] = 1;
      assert.deepEqual(got, want, `row ${r}`);
    }
  });

  test('spans come in ascending rows and do not overlap within a row', () => {
    const rand = mulberry32(99);
    for (let k = 0; k < 50; k++) {
      const poly = randomPolygon(rand, 2, 40);
      let lastRow = -1;
      let lastEnd = -Infinity;
      polygonFillSpans(poly, 40, 40, (r, a, b) => {
        assert.ok(r >= lastRow);
        if (r !== lastRow) lastEnd = -Infinity;
        assert.ok(a < b && a >= 0 && b <= 40);
        // Vertex pixels may repeat as single-pixel spans; true spans must be disjoint.
        if (b - a > 1) assert.ok(a >= lastEnd, `overlap in row ${r}`);
        lastEnd = Math.max(lastEnd, b);
        lastRow = r;
      });
    }
  });

  test('rejects non-finite vertices and bad canvas sizes', () => {
    assert.throws(() => fillPolygon([[0, 0], [Number.NaN, 1], [2, 2]], 5, 5), RangeError);
    assert.throws(() => fillPolygon([[0, 0], [Infinity, 1], [2, 2]], 5, 5), /not finite/);
    assert.throws(() => fillPolygon([[0, 0], [1, 1], [2, 0]], 2.5, 5), /integers/);
    assert.deepEqual(fillPolygon([], 3, 3), new Uint8Array(9));
  });
});
