import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseGtCodesTable } from '../../src/geometry/gt-codes-table.js';
import { rasteriseRoi } from '../../src/geometry/rasterise.js';
import type { AnnotationElement, GtCode } from '../../src/geometry/types.js';

type V = [number, number];
const GT: GtCode[] = [
  { group: 'roi', code: 254, overlayOrder: 0, isRoi: true, isBackground: false },
  { group: 'mostly_tumor', code: 1, overlayOrder: 1, isRoi: false, isBackground: false },
  { group: 'mostly_stroma', code: 2, overlayOrder: 2, isRoi: false, isBackground: true },
  { group: 'mostly_lymphocytic_infiltrate', code: 3, overlayOrder: 1, isRoi: false, isBackground: false },
];
const poly = (group: string, pts: V[]): AnnotationElement => ({ type: 'polyline', group, points: pts.map(([x, y]) => [x, y, 0]) });
const box = (group: string, x0: number, y0: number, x1: number, y1: number): AnnotationElement =>
  poly(group, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
const at = (m: { data: Uint8Array; width: number; xmin: number; ymin: number }, x: number, y: number): number =>
  m.data[(y - m.ymin) * m.width + (x - m.xmin)] as number;

describe('rasteriseRoi outline modes', () => {
  const ROI = box('roi', 0, 0, 60, 60);
  // A bow-tie: its element canvas is 6 × 4 px at (10, 10) (int of max − min), so it is the
  // hand-checked 'bow-tie' picture of pillow-polygon.test.ts cut to 6 columns and 4 rows:
  //   #.....    fill 13 px; the outline adds the 4 'o' pixels
  //   ##o.o#
  //   ######
  //   ##o.o#
  const tumor = poly('mostly_tumor', [[10, 10], [16, 14], [16, 10], [10, 14]]);

  test("'drawn' (default) adds the 1-px outline to every polygon; 'skipped' is the fill alone", () => {
    const drawn = rasteriseRoi([ROI, tumor], { gtCodes: GT });
    assert.deepEqual(rasteriseRoi([ROI, tumor], { gtCodes: GT, outline: 'drawn' }), drawn);
    const fill = rasteriseRoi([ROI, tumor], { gtCodes: GT, outline: 'skipped' });
    const count = (m: { data: Uint8Array }): number => m.data.filter((v) => v === 1).length;
    assert.equal(count(fill), 13);
    assert.equal(count(drawn), 13 + 4);
    assert.equal(at(fill, 12, 11), 2);
    assert.equal(at(drawn, 12, 11), 1, 'outline pixel where the edges cross');
    assert.equal(at(drawn, 14, 13), 1);
    assert.equal(at(drawn, 16, 12), 2, 'column xmax is outside the element canvas');
  });

  test('the ROI support follows the mode too (the outline of a rotated ROI is part of it)', () => {
    const rotated = poly('roi', [[20, 2], [58, 20], [40, 58], [2, 40]]);
    const a = rasteriseRoi([rotated], { gtCodes: GT, outline: 'drawn' });
    const b = rasteriseRoi([rotated], { gtCodes: GT, outline: 'skipped' });
    assert.ok(a.data.filter((v) => v > 0).length > b.data.filter((v) => v > 0).length);
  });

  test('an unknown mode is a usage error', () => {
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: GT, outline: 'both' as never }), UsageError);
  });
});

describe('rasteriseRoi tie order within an overlay level', () => {
  test('17 equal-area elements are drawn in numpy quicksort order, not input order', () => {
    // Candidates of level 1 in HistomicsTK's order: the 2 tumor boxes (table row first), then the
    // 15 lymphocyte boxes. pandas' descending sort of 17 equal keys draws candidate 9 before
    // candidate 1 (tie-order.test.ts traces it), so where they overlap tumor (1) wins; a stable
    // sort would let the lymphocyte box (3) win.
    const elements: AnnotationElement[] = [box('roi', 0, 0, 400, 40)];
    const place = (k: number): number => (k === 9 ? 20 + 20 * 1 : 20 + 20 * k); // candidate 9 sits on candidate 1
    elements.push(box('mostly_tumor', place(0), 10, place(0) + 10, 20), box('mostly_tumor', place(1), 10, place(1) + 10, 20));
    for (let k = 2; k < 17; k++) elements.push(box('mostly_lymphocytic_infiltrate', place(k), 10, place(k) + 10, 20));
    const m = rasteriseRoi(elements, { gtCodes: GT });
    assert.equal(at(m, place(1) + 5, 15), 1);
    // Reordering the input within a group changes nothing for non-overlapping boxes but the
    // overlapping pair must keep its candidate positions, so only the rest is shuffled.
    const shuffled = [elements[0]!, elements[1]!, elements[2]!, ...elements.slice(3).reverse()];
    assert.equal(at(rasteriseRoi(shuffled, { gtCodes: GT }), place(1) + 5, 15), 1);
  });

  test('with 16 or fewer in a level, ties keep the GT-table-then-input order (insertion sort is stable)', () => {
    const elements: AnnotationElement[] = [box('roi', 0, 0, 100, 40), box('mostly_tumor', 20, 10, 30, 20), box('mostly_lymphocytic_infiltrate', 20, 10, 30, 20)];
    assert.equal(at(rasteriseRoi(elements, { gtCodes: GT }), 25, 15), 3);
  });
});

describe('degenerate polygons as HistomicsTK handles them', () => {
  const ROI = box('roi', 0, 0, 60, 60);
  test('[A, B, A] cannot become a shapely ring: skipped and reported; 3 distinct vertices are drawn', () => {
    const backAndForth = poly('mostly_tumor', [[10, 10], [30, 30], [10, 10]]);
    const m = rasteriseRoi([ROI, backAndForth], { gtCodes: GT });
    assert.equal(m.data.filter((v) => v === 1).length, 0);
    assert.equal(m.skipped.length, 1);
    assert.match(m.skipped[0]!, /too few for a closed ring/);
    // The same line as a 3-vertex collinear polygon is built by shapely and filled by Pillow.
    const collinear = rasteriseRoi([ROI, poly('mostly_tumor', [[10, 10], [20, 20], [30, 30]])], { gtCodes: GT });
    assert.equal(collinear.data.filter((v) => v === 1).length, 20 + 1, 'the diagonal, 2 px on its first row');
    // A closing vertex equal to the first one counts once: [A, B, C, A] is a triangle.
    const closed = rasteriseRoi([ROI, poly('mostly_tumor', [[10, 10], [20, 10], [10, 20], [10, 10]])], { gtCodes: GT });
    const open = rasteriseRoi([ROI, poly('mostly_tumor', [[10, 10], [20, 10], [10, 20]])], { gtCodes: GT });
    assert.deepEqual(closed.data, open.data);
  });
  test('a zero-height polygon draws nothing (its canvas has no rows)', () => {
    const flat = rasteriseRoi([ROI, poly('mostly_tumor', [[10, 30.2], [40, 30.7], [25, 30.9]])], { gtCodes: GT });
    assert.equal(flat.data.filter((v) => v === 1).length, 0);
  });
});

describe('library entry', () => {
  test('bcss/geometry exposes the Pillow drawing, the tie order and the GT-codes parser', async () => {
    const bcss = await import('../../src/geometry/index.js');
    for (const name of ['pillowPolygonMask', 'pillowPolygonSpans', 'pandasDescendingOrder', 'numpyArgsortQuick', 'parseGtCodesTable'] as const) {
      assert.equal(typeof bcss[name], 'function', name);
    }
  });
});

describe('parseGtCodesTable', () => {
  test('reads HistomicsTK columns by name, TSV or CSV, in row order', () => {
    const tsv = 'group\toverlay_order\tGT_code\tis_roi\tis_background_class\tcolor\nroi\t0\t254\t1\t0\trgb(0,0,0)\ntumor\t1\t1\t0\t0\tx\nstroma\t2\t2\t0\t1\ty\n';
    const rows = parseGtCodesTable(tsv, 'codes.tsv');
    assert.deepEqual(rows, [
      { group: 'roi', overlayOrder: 0, code: 254, isRoi: true, isBackground: false },
      { group: 'tumor', overlayOrder: 1, code: 1, isRoi: false, isBackground: false },
      { group: 'stroma', overlayOrder: 2, code: 2, isRoi: false, isBackground: true },
    ]);
    const csv = 'GT_code,group,is_roi,overlay_order,is_background_class\n254,roi,True,0,False\n';
    assert.deepEqual(parseGtCodesTable(csv, 'c.csv')[0], { group: 'roi', overlayOrder: 0, code: 254, isRoi: true, isBackground: false });
  });
  test('missing columns and bad values name the file and line', () => {
    assert.throws(() => parseGtCodesTable('group,GT_code\nroi,1\n', 'c.csv'), /no "overlay_order" column/);
    assert.throws(() => parseGtCodesTable('group,overlay_order,GT_code,is_roi,is_background_class\nroi,x,1,1,0\n', 'c.csv'), /c\.csv line 2: overlay_order must be a number/);
    assert.throws(() => parseGtCodesTable('group,overlay_order,GT_code,is_roi,is_background_class\nroi,0,1,maybe,0\n', 'c.csv'), /is_roi must be 1\/0/);
  });
});
