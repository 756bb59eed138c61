import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { rasteriseRoi } from '../../src/geometry/rasterise.js';
import { prepareElements, selectRoiMembers } from '../../src/geometry/rasterise-members.js';
import { prepareGtTable } from '../../src/geometry/rasterise-table.js';
import type { AnnotationElement, GtCode } from '../../src/geometry/types.js';

type V = [number, number];

// GT table from docs/dataset.md#class-codes: ROI groups first, stroma is the background (overlay 2),
// exclude is drawn last (overlay 3), every other class at overlay 1.
const CLASS_ROWS: Array<[string, number]> = [
  ['mostly_tumor', 1], ['mostly_stroma', 2], ['mostly_lymphocytic_infiltrate', 3], ['necrosis_or_debris', 4],
  ['glandular_secretions', 5], ['mostly_blood', 6], ['exclude', 7], ['metaplasia_NOS', 8], ['mostly_fat', 9],
  ['mostly_plasma_cells', 10], ['other_immune_infiltrate', 11], ['mostly_mucoid_material', 12],
  ['normal_acinus_or_duct', 13], ['lymphatics', 14], ['undetermined', 15], ['nerve', 16], ['skin_adnexia', 17],
  ['blood_vessel', 18], ['angioinvasion', 19], ['mostly_dcis', 20], ['other', 21],
];
const GT: GtCode[] = [
  { group: 'roi', code: 254, overlayOrder: 0, isRoi: true, isBackground: false },
  { group: 'evaluation_roi', code: 253, overlayOrder: 0, isRoi: true, isBackground: false },
  ...CLASS_ROWS.map(([group, code]) => ({
    group,
    code,
    overlayOrder: group === 'mostly_stroma' ? 2 : group === 'exclude' ? 3 : 1,
    isRoi: false,
    isBackground: group === 'mostly_stroma',
  })),
];

const poly = (group: string, pts: V[], extra: Partial<AnnotationElement> = {}): AnnotationElement => ({
  type: 'polyline',
  group,
  closed: true,
  points: pts.map(([x, y]) => [x, y, 0]),
  ...extra,
});
const box = (group: string, x0: number, y0: number, x1: number, y1: number): AnnotationElement =>
  poly(group, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);

/** Slide-coordinate pixel value of a mask (0 outside it). */
function at(m: { data: Uint8Array; width: number; height: number; xmin: number; ymin: number }, x: number, y: number): number {
  const c = x - m.xmin;
  const r = y - m.ymin;
  if (c < 0 || r < 0 || c >= m.width || r >= m.height) return 0;
  return m.data[r * m.width + c] as number;
}

function histogram(data: Uint8Array): Map<number, number> {
  const h = new Map<number, number>();
  for (const v of data) h.set(v, (h.get(v) ?? 0) + 1);
  return h;
}

// ---- independent brute force for the rotated-ROI check (same rule, written the slow way) ----
function naiveInside(xp: number[], yp: number[], x: number, y: number): boolean {
  let right = 0;
  let left = 0;
  for (let i = 0; i < xp.length; i++) {
    const j = (i + xp.length - 1) % xp.length;
    const x0 = (xp[i] as number) - x;
    const y0 = (yp[i] as number) - y;
    const x1 = (xp[j] as number) - x;
    const y1 = (yp[j] as number) - y;
    if (Math.abs(x0) < 1e-12 && Math.abs(y0) < 1e-12) return true;
    const f = (x0 * y1 - x1 * y0) / (y1 - y0);
    if (y0 > 0 !== y1 > 0 && f > 0) right++;
    if (y0 < 0 !== y1 < 0 && f < 0) left++;
  }
  return right % 2 === 1 || left % 2 === 1;
}
function naiveLine(x0: number, y0: number, x1: number, y1: number, plot: (x: number, y: number) => void): void {
  const steep = Math.abs(y1 - y0) > Math.abs(x1 - x0);
  const [a0, b0, a1, b1] = steep ? [y0, x0, y1, x1] : [x0, y0, x1, y1];
  const da = Math.abs(a1 - a0);
  const db = Math.abs(b1 - b0);
  const sa = a1 - a0 > 0 ? 1 : -1;
  const sb = b1 - b0 > 0 ? 1 : -1;
  let a = a0;
  let b = b0;
  let d = 2 * db - da;
  for (let i = 0; i < da; i++) {
    if (steep) plot(b, a);
    else plot(a, b);
    while (d >= 0) {
      b += sb;
      d -= 2 * da;
    }
    a += sa;
    d += 2 * db;
  }
  plot(x1, y1);
}
/**
 * ROI support for integer corners, in slide coordinates: pixel centres inside or on the polygon,
 * plus the Bresenham boundary, both restricted to [min, max) per axis; then the end-exclusive
 * tightening crop. Returns the set of "x,y" and the crop window.
 */
function bruteForceSupport(corners: V[]): { inside: Set<string>; x0: number; y0: number; w: number; h: number } {
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const support = new Set<string>();
  for (let y = minY; y < maxY; y++) for (let x = minX; x < maxX; x++) if (naiveInside(xs, ys, x, y)) support.add(`${x},${y}`);
  corners.forEach((c, i) => {
    const d = corners[(i + 1) % corners.length] as V;
    naiveLine(c[0], c[1], d[0], d[1], (x, y) => {
      if (x >= minX && x < maxX && y >= minY && y < maxY) support.add(`${x},${y}`);
    });
  });
  let [fx, lx, fy, ly] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const k of support) {
    const [x, y] = k.split(',').map(Number) as V;
    fx = Math.min(fx, x);
    lx = Math.max(lx, x);
    fy = Math.min(fy, y);
    ly = Math.max(ly, y);
  }
  const inside = new Set([...support].filter((k) => {
    const [x, y] = k.split(',').map(Number) as V;
    return x < lx && y < ly; // [first:last) drops the last row and column
  }));
  return { inside, x0: fx, y0: fy, w: lx - fx, h: ly - fy };
}

// Corners of rectangle centre (100, 80), 120 × 60, rotated 30°, derived by hand in
// element-geometry.test.ts: (63,24), (166,84), (136,135), (33,75).
const ROTATED: AnnotationElement = { type: 'rectangle', group: 'roi', center: [100, 80, 0], width: 120, height: 60, rotation: Math.PI / 6 };
const ROTATED_CORNERS: V[] = [[63, 24], [166, 84], [136, 135], [33, 75]];

describe('rasteriseRoi: ROI geometry and size', () => {
  test('axis-aligned rectangle ROI: (ymax−ymin−1) × (xmax−xmin−1) at (xmin, ymin), all stroma', () => {
    // Vertex bbox x 50..70, y 35..45 → 9 rows × 19 columns (docs/dataset.md#roi-bounds-and-mask-size).
    const m = rasteriseRoi([{ type: 'rectangle', group: 'roi', center: [60, 40, 0], width: 20, height: 10 }], { gtCodes: GT });
    assert.deepEqual([m.width, m.height, m.xmin, m.ymin], [19, 9, 50, 35]);
    assert.deepEqual(m.data, new Uint8Array(19 * 9).fill(2));
    assert.deepEqual(m.skipped, []);
    // The same ROI as a polyline gives the same mask.
    const p = rasteriseRoi([box('roi', 50, 35, 70, 45)], { gtCodes: GT });
    assert.deepEqual(p, m);
  });

  test('float ROI vertices: raster sits at the bottom-right of its bbox slice (top/left zero pad)', () => {
    // bbox x int(0.5)=0..int(40.2)=40 but the raster is int(39.7)=39 wide → padded one column on
    // the left, so pixel [0,0] is slide x = 1. y: 0..30, raster int(30.2)=30 high → no pad.
    // Support: slide x 1..39, y 0..29; the crop drops the last of each → 38 × 29 at (1, 0).
    const m = rasteriseRoi([poly('roi', [[0.5, 0.5], [40.2, 0.5], [40.2, 30.7], [0.5, 30.7]])], { gtCodes: GT });
    assert.deepEqual([m.width, m.height, m.xmin, m.ymin], [38, 29, 1, 0]);
    assert.ok(m.data.every((v) => v === 2));
  });

  test('rotated (30°) rectangle ROI equals a brute-force inside-or-on-edge ∪ boundary rasterisation', () => {
    const m = rasteriseRoi([ROTATED], { gtCodes: GT });
    const ref = bruteForceSupport(ROTATED_CORNERS);
    assert.deepEqual([m.xmin, m.ymin, m.width, m.height], [ref.x0, ref.y0, ref.w, ref.h]);
    // Leftmost corner (33,75) and topmost (63,24) are in the support: origin (33, 24).
    assert.deepEqual([m.xmin, m.ymin], [33, 24]);
    let differing = 0;
    let nonzero = 0;
    for (let r = 0; r < m.height; r++) {
      for (let c = 0; c < m.width; c++) {
        const v = m.data[r * m.width + c] as number;
        assert.ok(v === 0 || v === 2);
        if ((v > 0) !== ref.inside.has(`${c + m.xmin},${r + m.ymin}`)) differing++;
        nonzero += v > 0 ? 1 : 0;
      }
    }
    assert.equal(differing, 0);
    // Sanity: about the rotated area (≈ 120·60) is non-zero, the rest of the bbox is 0.
    assert.ok(nonzero > 7000 && nonzero < 7600, String(nonzero));
    assert.equal(at(m, 100, 80), 2, 'centre is inside');
    assert.equal(at(m, 35, 30), 0, 'bbox corner is outside the rotated polygon');
    assert.equal(at(m, 160, 130), 0, 'opposite bbox corner is outside too');
  });
});

describe('rasteriseRoi: classes and drawing order', () => {
  const ROI = box('roi', 0, 0, 40, 40); // mask: 39 × 39 at (0, 0)

  test('edges through pixel centres are included; vertices at max fall outside the element', () => {
    // Tumor triangle (10,10),(20,10),(10,20): centres with x+y ≤ 30 inside its [10,20) × [10,20)
    // raster → per row y = 10..19: 10, 10, 9, …, 2 pixels = 64.
    const m = rasteriseRoi([ROI, poly('mostly_tumor', [[10, 10], [20, 10], [10, 20]])], { gtCodes: GT });
    assert.equal(histogram(m.data).get(1), 64);
    assert.equal(at(m, 15, 15), 1, 'centre on the hypotenuse');
    assert.equal(at(m, 19, 11), 1, 'centre on the hypotenuse');
    assert.equal(at(m, 16, 15), 2, 'just outside the hypotenuse');
    assert.equal(at(m, 20, 10), 2, 'vertex at xmax is outside the element raster');
    assert.equal(at(m, 10, 20), 2, 'vertex at ymax is outside the element raster');
  });

  test('a tissue polygon inside the ROI: [xmin,xmax) × [ymin,ymax) becomes its code', () => {
    const m = rasteriseRoi([ROI, box('mostly_tumor', 10, 10, 30, 20)], { gtCodes: GT });
    assert.deepEqual(histogram(m.data), new Map([[2, 39 * 39 - 200], [1, 200]]));
    assert.equal(at(m, 10, 10), 1);
    assert.equal(at(m, 29, 19), 1);
    assert.equal(at(m, 30, 15), 2);
    assert.equal(at(m, 15, 20), 2);
  });

  test('nested polygons at one level: larger bbox first, so the enclosed smaller one wins', () => {
    const big = box('mostly_tumor', 5, 5, 35, 35); // 30×30 = 900
    const small = box('mostly_lymphocytic_infiltrate', 15, 15, 25, 25); // 10×10 = 100
    const a = rasteriseRoi([ROI, small, big], { gtCodes: GT });
    const b = rasteriseRoi([ROI, big, small], { gtCodes: GT });
    assert.deepEqual(a, b, 'input order does not matter');
    assert.deepEqual(histogram(a.data), new Map([[2, 39 * 39 - 900], [1, 800], [3, 100]]));
    assert.equal(at(a, 20, 20), 3);
  });

  test('a hole made by overlap: stroma (level 2) drawn over tumor (level 1)', () => {
    const m = rasteriseRoi([ROI, box('mostly_stroma', 15, 15, 25, 25), box('mostly_tumor', 5, 5, 35, 35)], { gtCodes: GT });
    assert.deepEqual(histogram(m.data), new Map([[2, 39 * 39 - 800], [1, 800]]));
    assert.equal(at(m, 20, 20), 2);
  });

  test('two levels: exclude (3) wins over an enclosed smaller tumor (1)', () => {
    const m = rasteriseRoi([ROI, box('mostly_tumor', 15, 15, 25, 25), box('exclude', 5, 5, 35, 35)], { gtCodes: GT });
    assert.deepEqual(histogram(m.data), new Map([[2, 39 * 39 - 900], [7, 900]]));
  });

  test('element class from label.value when there is no group; group wins over label', () => {
    const viaLabel: AnnotationElement = { ...box('x', 10, 10, 20, 20), label: { value: 'mostly_tumor' } };
    delete viaLabel.group;
    const both = { ...box('mostly_lymphocytic_infiltrate', 25, 25, 30, 30), label: { value: 'mostly_tumor' } };
    const m = rasteriseRoi([ROI, viaLabel, both], { gtCodes: GT });
    assert.deepEqual(histogram(m.data), new Map([[2, 39 * 39 - 125], [1, 100], [3, 25]]));
  });

  test('elements sticking out of a rotated ROI are zero outside it', () => {
    const tumor = box('mostly_tumor', 90, 0, 120, 200);
    const m = rasteriseRoi([ROTATED, tumor], { gtCodes: GT });
    const ref = bruteForceSupport(ROTATED_CORNERS);
    assert.deepEqual([m.xmin, m.ymin, m.width, m.height], [ref.x0, ref.y0, ref.w, ref.h]);
    for (let r = 0; r < m.height; r++) {
      for (let c = 0; c < m.width; c++) {
        const [x, y] = [c + m.xmin, r + m.ymin];
        const inRoi = ref.inside.has(`${x},${y}`);
        const want = !inRoi ? 0 : x >= 90 && x < 120 ? 1 : 2;
        assert.equal(m.data[r * m.width + c], want, `pixel ${x},${y}`);
      }
    }
  });
});

describe('rasteriseRoi: membership, options, reporting', () => {
  const ROI = box('roi', 0, 0, 40, 40);

  test('membership: bbox IoU > 0 with inclusive +1 boxes, then polygon distance ≤ 2', () => {
    const table = prepareGtTable(GT);
    const triangle = poly('roi', [[0, 0], [40, 0], [0, 40]]);
    const elements = [
      triangle,
      box('mostly_tumor', 21, 21, 25, 25), // corner 2/√2 ≈ 1.41 px from x+y=40 → member
      box('mostly_tumor', 22, 22, 26, 26), // 4/√2 ≈ 2.83 px, bboxes overlap → not a member
      box('mostly_tumor', 40, 10, 45, 20), // touches the ROI bbox (xmin 40 ≤ 40) but 10/√2 ≈ 7 px away
      box('mostly_tumor', 500, 500, 510, 510), // far away
      box('roi', 5, 5, 8, 8), // another ROI never draws into this one
    ];
    const { prepared } = prepareElements(elements, table);
    const { members, skipped } = selectRoiMembers(prepared, prepared[0]!, table);
    assert.deepEqual(members.map((m) => m.index), [1]);
    assert.deepEqual(skipped, []);

    const square = prepareElements([ROI, box('mostly_tumor', 40, 10, 45, 20), box('mostly_tumor', 41, 10, 45, 20)], table).prepared;
    // xmin 40 overlaps the ROI's inclusive bbox [0, 40] (distance 0); xmin 41 gives IoU 0 even
    // though it is only 1 px away.
    assert.deepEqual(selectRoiMembers(square, square[0]!, table).members.map((m) => m.index), [1]);
  });

  test('unknown classes and undrawable types are reported in skipped, far-away ones are not', () => {
    const m = rasteriseRoi(
      [
        ROI,
        box('mystery_tissue', 10, 10, 20, 20),
        box('mystery_tissue', 900, 900, 910, 910),
        { type: 'point', id: 'p'.repeat(24), group: 'mostly_tumor', center: [5, 5, 0] },
        { type: 'polyline', group: 'mostly_tumor', points: [[1, 2, 0], [3, 'x', 0]] as unknown as number[][] },
        poly('mostly_tumor', [[10, 10], [30, 30]]),
      ],
      { gtCodes: GT },
    );
    assert.ok(m.data.every((v) => v === 2), 'nothing but stroma is drawn');
    assert.equal(m.skipped.length, 4, m.skipped.join('\n'));
    assert.match(m.skipped.join('\n'), /element #1: class "mystery_tissue" is not in the GT-codes table/);
    assert.match(m.skipped.join('\n'), /element p{24}: type "point" cannot be drawn/);
    assert.match(m.skipped.join('\n'), /element #4: malformed geometry/);
    assert.match(m.skipped.join('\n'), /element #5: polygon has 2 vertices/);
  });

  test('roiIndex picks among several ROIs (evaluation_roi counts as an ROI group)', () => {
    const second = box('evaluation_roi', 100, 100, 110, 120);
    const m = rasteriseRoi([ROI, second, box('mostly_tumor', 100, 100, 105, 105)], { gtCodes: GT, roiIndex: 1 });
    assert.deepEqual([m.xmin, m.ymin, m.width, m.height], [100, 100, 9, 19]);
    assert.equal(histogram(m.data).get(1), 25);
    assert.throws(() => rasteriseRoi([ROI, second], { gtCodes: GT, roiIndex: 2 }), UsageError);
  });

  test('scale: coordinates multiplied and truncated first; origin reported as int(v / scale)', () => {
    // ROI centre (100,80) 40×20 at 0.5 → centre (50,40) 20×10 → x 40..60, y 35..45 → 19 × 9.
    // Tumor (85,75)-(95.9,79) → (42,37)-(47,39): 5 × 2 = 10 px. Origin (40,35) → (80,70) in base.
    const m = rasteriseRoi(
      [
        { type: 'rectangle', group: 'roi', center: [100, 80, 0], width: 40, height: 20, rotation: 0 },
        poly('mostly_tumor', [[85, 75], [95.9, 75], [95.9, 79], [85, 79]]),
      ],
      { gtCodes: GT, scale: 0.5 },
    );
    assert.deepEqual([m.width, m.height, m.xmin, m.ymin], [19, 9, 80, 70]);
    assert.equal(histogram(m.data).get(1), 10);
    assert.equal(m.data[2 * 19 + 2], 1);
    assert.equal(m.data[2 * 19 + 7], 2);
  });

  test('deterministic: same input → identical bytes', () => {
    const scene = [ROTATED, box('mostly_tumor', 60, 40, 140, 120), box('mostly_blood', 80, 60, 100, 70), box('exclude', 120, 100, 150, 130)];
    const a = rasteriseRoi(scene, { gtCodes: GT });
    const b = rasteriseRoi(structuredClone(scene), { gtCodes: GT });
    assert.deepEqual(a, b);
    assert.deepEqual(new Set(histogram(a.data).keys()), new Set([0, 1, 2, 6, 7]));
  });

  test('bad input gets clear errors', () => {
    assert.throws(() => rasteriseRoi([box('mostly_tumor', 0, 0, 5, 5)], { gtCodes: GT }), (e: unknown) => e instanceof IntegrityError && /no ROI element/.test(e.message));
    const noBackground = GT.map((r) => ({ ...r, isBackground: false }));
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: noBackground }), (e: unknown) => e instanceof UsageError && /no background row/.test(e.message));
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: [...GT, { ...GT[3]! }] }), /appears twice/);
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: GT.map((r) => (r.group === 'mostly_tumor' ? { ...r, code: 0 } : r)) }), /code must be an integer 1–255/);
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: GT, scale: 0 }), UsageError);
    assert.throws(() => rasteriseRoi([ROI], { gtCodes: GT, roiIndex: -1 }), UsageError);
    assert.throws(() => rasteriseRoi([{ type: 'rectangle', group: 'roi', center: [5, 5, 0], width: 'x' } as unknown as AnnotationElement], { gtCodes: GT }), IntegrityError);
    assert.throws(() => rasteriseRoi([box('roi', 5, 5, 6, 6)], { gtCodes: GT }), /too few pixels/);
  });
});
