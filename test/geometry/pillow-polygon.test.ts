import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pillowLine, pillowPolygonMask } from '../../src/geometry/pillow-polygon.js';

type V = [number, number];

/** The mask as text rows: '#' fill, 'o' outline-only pixel, '.' unset. */
function picture(pts: V[], w: number, h: number): string[] {
  const fill = pillowPolygonMask(pts, w, h, 'skipped');
  const drawn = pillowPolygonMask(pts, w, h, 'drawn');
  const rows: string[] = [];
  for (let r = 0; r < h; r++) {
    let s = '';
    for (let c = 0; c < w; c++) {
      const k = r * w + c;
      assert.ok(drawn[k]! >= fill[k]!, 'the outline only adds pixels');
      s += fill[k] ? '#' : drawn[k] ? 'o' : '.';
    }
    rows.push(s);
  }
  return rows;
}

// Every picture below was worked out by hand from Draw.c's rules (the reasoning is in the comment)
// and agrees with Pillow 9.4's ImageDraw.polygon.
describe('pillowPolygonMask: Pillow 9.4 fill and outline rules', () => {
  test('axis-aligned square: horizontal edges drawn whole, both vertical edges included', () => {
    assert.deepEqual(picture([[1, 1], [4, 1], [4, 3], [1, 3]], 6, 5), ['......', '.####.', '.####.', '.####.', '......']);
  });

  test('right triangle: hypotenuse pixels at x.5 never occur, integer intercepts are kept', () => {
    assert.deepEqual(picture([[0, 0], [6, 0], [0, 6]], 7, 7), ['#######', '######.', '#####..', '####...', '###....', '##.....', '#......']);
  });

  test('sub-pixel sliver: a whole run on its bottom row, the outline adds the rest of the top edge', () => {
    // Edges (0,2)→(7,1) and (7,2)→(0,2) (horizontal, drawn as a run); row 1 only meets the slanted
    // edge's end and the vertical edge at x = 7, so the fill has a single pixel there.
    assert.deepEqual(picture([[0, 2], [7, 1], [7, 2]], 8, 4), ['........', '....ooo#', '########', '........']);
  });

  test('crossed span ends are drawn swapped: a 1-px-wide wedge gets 2 px on its top rows', () => {
    // Row 1: intercepts 1.25 and 2 → ROUND_UP 1, ROUND_DOWN 2 → columns 1–2.
    assert.deepEqual(picture([[1, 0], [2, 4], [2, 0]], 4, 5), ['.##.', '.##.', '..#.', '..#.', '..#.']);
  });

  test('zero-area collinear polygon: Pillow fills the diagonal (2 px on the first row, corner rule)', () => {
    assert.deepEqual(picture([[0, 0], [3, 3], [6, 6]], 7, 7), ['##.....', '.#.....', '..#....', '...#...', '....#..', '.....#.', '......#']);
  });

  test('fractional vertices are truncated before drawing; the outline then covers the top and left', () => {
    assert.deepEqual(picture([[0.9, 0.9], [5.99, 1.2], [5.5, 4.7], [1.2, 4.99]], 7, 6), [
      '#oo....',
      '######.',
      'o#####.',
      '.#####.',
      '.#####.',
      '.......',
    ]);
  });

  test('self-intersecting bow-tie: even-odd spans, outline fills the crossing', () => {
    assert.deepEqual(picture([[0, 0], [6, 4], [6, 0], [0, 4]], 7, 5), ['#.....#', '##o.o##', '#######', '##o.o##', '#.....#']);
  });

  test('two-vertex "polygon": fill of the doubled edge plus Bresenham between the two points', () => {
    assert.deepEqual(picture([[0, 0], [4, 2]], 6, 4), ['###...', '.o#o..', '...##.', '......']);
  });

  test('vertices outside the canvas are clipped, not moved', () => {
    const rows = picture([[-3, -3], [9, -3], [9, 2], [-3, 2]], 4, 4);
    assert.deepEqual(rows, ['####', '####', '####', '....']);
  });

  test('empty canvases and fewer than two vertices draw nothing', () => {
    assert.equal(pillowPolygonMask([[0, 0], [3, 3], [0, 3]], 0, 5, 'drawn').length, 0);
    assert.deepEqual(pillowPolygonMask([[1, 1]], 3, 3, 'drawn'), new Uint8Array(9));
    assert.throws(() => pillowPolygonMask([[0, 0], [Number.NaN, 1], [2, 2]], 3, 3, 'drawn'), RangeError);
    assert.throws(() => pillowPolygonMask([[0, 0], [1, 1], [2, 2]], 2.5, 3, 'drawn'), /integers/);
  });
});

describe('pillowLine: Draw.c line8', () => {
  const trace = (x0: number, y0: number, x1: number, y1: number): string[] => {
    const pts: string[] = [];
    pillowLine(x0, y0, x1, y1, (x, y) => pts.push(`${x},${y}`));
    return pts;
  };
  test('end point excluded, zero-length draws nothing', () => {
    assert.deepEqual(trace(0, 0, 3, 0), ['0,0', '1,0', '2,0']);
    assert.deepEqual(trace(2, 2, 2, 2), []);
  });
  test('shallow line steps y when the error term reaches 0; diagonal takes the vertical branch', () => {
    assert.deepEqual(trace(0, 0, 4, 2), ['0,0', '1,1', '2,1', '3,2']);
    assert.deepEqual(trace(3, 3, 0, 0), ['3,3', '2,2', '1,1']);
  });
});
