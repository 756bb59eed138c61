import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  levelCount,
  planRegion,
  predictOutputSize,
  round4,
  roundHalfEven,
} from '../../src/geometry/region-size.js';
import { formatFixedHalfEven, mmPerPixel } from '../../src/geometry/naming.js';
import type { RegionPlan, RegionRequest, SlideGeometry } from '../../src/geometry/types.js';
import { UsageError } from '../../src/errors.js';
import { mulberry32 as rng } from '../../src/server/faults.js';

/**
 * Independent reference for Python's '%.<d>f': exact rational arithmetic on the double's bits,
 * half-even on exact ties. Shares nothing with the implementation (which uses toFixed).
 */
function referenceFixed(x: number, d: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  // |x| = mant * 2^e exactly
  const mant = expBits === 0 ? frac : frac | (1n << 52n);
  const e = (expBits === 0 ? 1 : expBits) - 1075;
  let num = mant * 10n ** BigInt(d);
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  let k = num / den;
  const rem2 = (num % den) * 2n;
  if (rem2 > den || (rem2 === den && k % 2n === 1n)) k += 1n;
  const t = k.toString().padStart(d + 1, '0');
  const body = d > 0 ? `${t.slice(0, t.length - d)}.${t.slice(t.length - d)}` : t;
  return (neg ? '-' : '') + body;
}

const A0SK = { left: 45749, top: 25055, right: 49789, bottom: 27991 };
const base40: Omit<SlideGeometry, 'stored'> = {
  sizeX: 120000,
  sizeY: 90000,
  levels: 10,
  magnification: 40,
  mmX: 0.000252,
  mmY: 0.000252,
};
const SVS_LEVELS = new Set([9, 7, 5, 3]);
const svs: SlideGeometry = { ...base40, stored: (k) => SVS_LEVELS.has(k) };
const full: SlideGeometry = { ...base40, stored: () => true };

function ok(plan: RegionPlan): Extract<RegionPlan, { empty: false }> {
  if (plan.empty) assert.fail(`expected a rendered region, got empty: ${plan.reason}`);
  return plan;
}

function expectSize(plan: RegionPlan, width: number, height: number): Extract<RegionPlan, { empty: false }> {
  const p = ok(plan);
  assert.deepEqual([p.width, p.height], [width, height]);
  return p;
}

describe('levelCount', () => {
  test('matches /tiles for the slides of docs/imaging.md#region-size-examples and the bundled CMU-1-Small-Region', () => {
    assert.equal(levelCount(120000, 90000, 240, 240), 10);
    assert.equal(levelCount(60000, 45000, 240, 240), 9);
    assert.equal(levelCount(2220, 2967, 240, 240), 5);
  });
  test('an exact power of two of tiles needs no extra level', () => {
    assert.equal(levelCount(240 * 256, 240, 240, 240), 9);
    assert.equal(levelCount(240 * 256 + 1, 240, 240, 240), 10);
    assert.equal(levelCount(240, 240, 240, 240), 1);
  });
  test('a slide smaller than one tile still has one level (formula alone gives 0 below half a tile)', () => {
    assert.equal(levelCount(200, 200, 240, 240), 1);
    assert.equal(levelCount(100, 100, 240, 240), 1);
    assert.equal(levelCount(1, 1, 240, 240), 1);
  });
  test('rejects non-positive sizes', () => {
    assert.throws(() => levelCount(0, 100, 240, 240), /positive sizeX/);
    assert.throws(() => levelCount(100, 100, 240, Number.NaN), /positive tileHeight/);
  });
});

describe('roundHalfEven', () => {
  test('exact halves go to the even neighbour, like Python round()', () => {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [-0.5, 0],
      [-1.5, -2],
      [-2.5, -2],
      [45749.5, 45750],
      [45748.5, 45748],
    ];
    for (const [x, want] of cases) assert.equal(roundHalfEven(x), want, `round(${x})`);
    assert.ok(Object.is(roundHalfEven(-0.4), 0), 'no negative zero');
  });
  test('values just off a half are not ties', () => {
    assert.equal(roundHalfEven(0.49999999999999994), 0);
    assert.equal(roundHalfEven(2.5000000000000004), 3);
    assert.equal(roundHalfEven(-2.5000000000000004), -3);
    assert.equal(roundHalfEven(1e300), 1e300);
  });
  test('rejects non-finite input', () => {
    assert.throws(() => roundHalfEven(Number.POSITIVE_INFINITY), RangeError);
  });
});

describe('round4 / formatFixedHalfEven (Python round(x, 4) and %.Nf)', () => {
  test('exact binary ties go to even where toFixed goes away from zero', () => {
    assert.equal((0.03125).toFixed(4), '0.0313'); // the JS behaviour we must not copy
    assert.equal(round4(0.03125), 0.0312);
    assert.equal(round4(0.09375), 0.0938);
    assert.equal(round4(-0.03125), -0.0312);
    assert.equal(round4(1.40625), 1.4062);
    assert.equal(formatFixedHalfEven(0.125, 2), '0.12');
    assert.equal(formatFixedHalfEven(20.125, 2), '20.12');
    assert.equal(formatFixedHalfEven(0.375, 2), '0.38');
    assert.equal(formatFixedHalfEven(2.5, 0), '2');
  });
  test('decimal "ties" that are not exact in binary round by their true value', () => {
    assert.equal(round4(0.00005), 0.0001); // the double is a hair above 0.00005
    assert.equal(formatFixedHalfEven(2.675, 2), '2.67'); // the double is below 2.675
    assert.equal(formatFixedHalfEven(0.001 * 0.25, 4), '0.0003'); // the BCSS script's %.4f trap
    assert.equal(formatFixedHalfEven(0.001 * 0.23, 4), '0.0002');
    assert.equal(round4(Math.log(1.008) / Math.log(2)), 0.0115);
  });
  test('agrees with an exact-arithmetic reference on random values, ties and near-ties', () => {
    const r = rng(4);
    const view = new DataView(new ArrayBuffer(8));
    const nudge = (x: number, ulps: number): number => {
      view.setFloat64(0, x);
      view.setBigInt64(0, view.getBigInt64(0) + BigInt(ulps));
      return view.getFloat64(0);
    };
    for (let i = 0; i < 20000; i++) {
      const kind = i % 4;
      let x: number;
      if (kind === 0) x = (r() - 0.5) * 10 ** Math.floor(r() * 12 - 6);
      else if (kind === 1) x = (2 * Math.floor(r() * 1e6) + 1) / 32; // exact 4-decimal ties
      else if (kind === 2) x = nudge((2 * Math.floor(r() * 1e6) + 1) / 32, r() < 0.5 ? 1 : -1);
      else x = Math.log(r() * 4 + 0.01) / Math.log(2);
      if (r() < 0.3) x = -x;
      const d = kind === 1 || kind === 2 ? 4 : Math.floor(r() * 7);
      assert.equal(formatFixedHalfEven(x, d), referenceFixed(x, d), `x=${x} d=${d}`);
      if (d === 4) assert.equal(round4(x), Number(referenceFixed(x, 4)), `round4(${x})`);
    }
  });
  test('huge values and bad arguments', () => {
    assert.equal(formatFixedHalfEven(1e21, 2), '1000000000000000000000.00');
    assert.equal(round4(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.throws(() => formatFixedHalfEven(Number.NaN, 4), RangeError);
    assert.throws(() => formatFixedHalfEven(1, 21), RangeError);
  });
});

describe('planRegion: docs/imaging.md#region-size-examples, 40x slide 120000 x 90000, region of TCGA-A1-A0SK', () => {
  const at = (req: RegionRequest): RegionRequest => ({ ...A0SK, ...req });
  const region9 = { ...A0SK };

  test('#1 no scale: 4040 x 2936 read at level 9 without resize', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({})), 4040, 2936);
      assert.equal(p.readLevel, 9);
      assert.deepEqual(p.readBounds, region9);
      assert.deepEqual(p.bounds, region9);
      assert.equal(p.level, 9);
    }
  });
  test('#2 mm 0.00025: 4072 x 2959, level 9.0115, read at 9 (enlarge)', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({ mmX: 0.00025, mmY: 0.00025 })), 4072, 2959);
      assert.equal(p.level, 9.0115);
      assert.equal(p.readLevel, 9);
      assert.deepEqual(p.readBounds, region9);
    }
  });
  test('#3 mm 0.0003 (what the script sends for MPP 0.25): 3393 x 2466 from level 9', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({ mmX: 0.0003, mmY: 0.0003 })), 3393, 2466);
      assert.equal(p.level, 9 - 0.2515);
      assert.equal(p.readLevel, 9);
    }
  });
  test('#4 mm equal to the scan: 4040 x 2936, level 9', () => {
    const p = expectSize(planRegion(svs, at({ mmX: 0.000252, mmY: 0.000252 })), 4040, 2936);
    assert.equal(p.readLevel, 9);
  });
  test('#5 mm_x only: same as #2', () => {
    const p = expectSize(planRegion(svs, at({ mmX: 0.00025 })), 4072, 2959);
    assert.equal(p.readLevel, 9);
  });
  test('#6 magnification 20: 2020 x 1468; SVS reads level 9, full reads level 8 at (22874,12527)-(24894,13995)', () => {
    const s = expectSize(planRegion(svs, at({ magnification: 20 })), 2020, 1468);
    assert.equal(s.level, 8);
    assert.equal(s.readLevel, 9);
    assert.deepEqual(s.readBounds, region9);
    const f = expectSize(planRegion(full, at({ magnification: 20 })), 2020, 1468);
    assert.equal(f.readLevel, 8);
    assert.deepEqual(f.readBounds, { left: 22874, top: 12527, right: 24894, bottom: 13995 });
  });
  test('#7 magnification 10: 1010 x 734 from level 7 at (11437,6263)-(12447,6997)', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({ magnification: 10 })), 1010, 734);
      assert.equal(p.readLevel, 7);
      assert.deepEqual(p.readBounds, { left: 11437, top: 6263, right: 12447, bottom: 6997 });
      // read size equals output: no resize
      assert.equal(p.readBounds.right - p.readBounds.left, p.width);
      assert.equal(p.readBounds.bottom - p.readBounds.top, p.height);
    }
  });
  test('#8 magnification 40.5: 4090 x 2972 from level 9', () => {
    const p = expectSize(planRegion(svs, at({ magnification: 40.5 })), 4090, 2972);
    assert.equal(p.level, 9.0179);
    assert.equal(p.readLevel, 9);
  });
  test('#9 mm 0.0005: 2036 x 1479 from level 9', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({ mmX: 0.0005, mmY: 0.0005 })), 2036, 1479);
      assert.equal(p.readLevel, 9);
    }
  });
  test('#10 magnification 20 exact: empty on SVS storage, 2020 x 1468 from level 8 on full storage', () => {
    const s = planRegion(svs, at({ magnification: 20, exact: true }));
    assert.equal(s.empty, true);
    const f = expectSize(planRegion(full, at({ magnification: 20, exact: true })), 2020, 1468);
    assert.equal(f.readLevel, 8);
  });
  test('#11 mm 0.00025 exact: empty on both storages', () => {
    for (const slide of [svs, full]) {
      const p = planRegion(slide, at({ mmX: 0.00025, mmY: 0.00025, exact: true }));
      assert.equal(p.empty, true);
      if (p.empty) assert.match(p.reason, /exact/);
    }
  });
  test('#12 width 1000: 1000 x 726 from level 7 (1010 x 734)', () => {
    for (const slide of [svs, full]) {
      const p = expectSize(planRegion(slide, at({ width: 1000 })), 1000, 726);
      assert.equal(p.readLevel, 7);
      assert.deepEqual(p.readBounds, { left: 11437, top: 6263, right: 12447, bottom: 6997 });
    }
  });
  test('#13 width 1000 height 500: 688 x 500 from level 7', () => {
    const p = expectSize(planRegion(svs, at({ width: 1000, height: 500 })), 688, 500);
    assert.equal(p.readLevel, 7);
  });
  test('#14 mm request on a slide without mm/magnification: base size from level 9', () => {
    const unknown: SlideGeometry = { ...base40, magnification: null, mmX: null, mmY: null };
    const p = expectSize(planRegion(unknown, at({ mmX: 0.00025, mmY: 0.00025 })), 4040, 2936);
    assert.equal(p.readLevel, 9);
    assert.equal(p.level, 9);
  });
  test('#15 right == left: empty', () => {
    const p = planRegion(svs, { ...A0SK, right: A0SK.left });
    assert.equal(p.empty, true);
  });
  test('#16 4999 x 4999 at mm 0.00025: 5039 x 5039, where the naive floor(4999 x 1.008) is 5038', () => {
    const p = expectSize(
      planRegion(svs, { left: 1000, top: 1000, right: 5999, bottom: 5999, mmX: 0.00025, mmY: 0.00025 }),
      5039,
      5039,
    );
    assert.equal(p.readLevel, 9);
    assert.equal(Math.floor((4999 * 0.000252) / 0.00025), 5038);
  });
});

describe('planRegion: docs/imaging.md#region-size-examples 20x slide 60000 x 45000, region (10000,20000)-(12000,21500)', () => {
  const slide20: SlideGeometry = {
    sizeX: 60000,
    sizeY: 45000,
    levels: levelCount(60000, 45000, 240, 240),
    magnification: 20,
    mmX: 0.000504,
    mmY: 0.000504,
    stored: (k) => k === 8 || k === 6 || k === 4 || k === 2,
  };
  const region = { left: 10000, top: 20000, right: 12000, bottom: 21500 };
  test('slide has 9 levels', () => assert.equal(slide20.levels, 9));
  test('none: 2000 x 1500', () => {
    const p = expectSize(planRegion(slide20, region), 2000, 1500);
    assert.equal(p.readLevel, 8);
  });
  test('mm 0.00025: 4032 x 3024 (ratio 1.0115, enlarged, no clamp)', () => {
    const p = expectSize(planRegion(slide20, { ...region, mmX: 0.00025, mmY: 0.00025 }), 4032, 3024);
    assert.equal(p.level, 8 + 1.0115);
    assert.equal(p.readLevel, 8);
  });
  test("mm 0.0003 (the script's 0.25): 3360 x 2520 (ratio 0.7485)", () => {
    const p = expectSize(planRegion(slide20, { ...region, mmX: 0.0003, mmY: 0.0003 }), 3360, 2520);
    assert.equal(p.level, 8 + 0.7485);
  });
  test('magnification 40: 4000 x 3000 (exactly x2)', () => {
    const p = expectSize(planRegion(slide20, { ...region, magnification: 40 }), 4000, 3000);
    assert.equal(p.level, 9);
  });
  test('mm 0.00025 with encoding=PNG: same 4032 x 3024, and it is resampled (so RGBA)', () => {
    const p = expectSize(planRegion(slide20, { ...region, mmX: 0.00025, mmY: 0.00025 }), 4032, 3024);
    assert.notEqual(p.readBounds.right - p.readBounds.left, p.width);
  });
});

describe('planRegion: exact, bounds and sizing rules', () => {
  test('exact: full-resolution request renders, out-of-pyramid levels and mixed ratios are empty', () => {
    expectSize(planRegion(svs, { ...A0SK, magnification: 40, exact: true }), 4040, 2936);
    assert.equal(planRegion(full, { ...A0SK, magnification: 80, exact: true }).empty, true); // level 10 > 9
    assert.equal(planRegion(full, { ...A0SK, magnification: 40 / 1024, exact: true }).empty, true); // level -1
    assert.equal(planRegion(full, { ...A0SK, mmX: 0.000504, mmY: 0.000126, exact: true }).empty, true); // -1 vs +1
    const f = expectSize(planRegion(full, { ...A0SK, magnification: 10, mmX: 0.001008, exact: true }), 1010, 734);
    assert.equal(f.readLevel, 7);
    // without exact, the same mixed request averages the two log2 ratios: (-1 + 1) / 2 = 0
    expectSize(planRegion(full, { ...A0SK, mmX: 0.000504, mmY: 0.000126 }), 4040, 2936);
  });
  test('enlarging past full resolution is not clamped', () => {
    const p = expectSize(planRegion(svs, { ...A0SK, magnification: 80 }), 8080, 5872);
    assert.equal(p.level, 10);
    assert.equal(p.readLevel, 9);
  });
  test('zero-area regions are empty in either axis, also when clamped away', () => {
    assert.equal(planRegion(svs, { ...A0SK, bottom: A0SK.top }).empty, true);
    assert.equal(planRegion(svs, { left: 130000, right: 140000 }).empty, true);
    assert.equal(planRegion(svs, { ...A0SK, left: 50000 }).empty, true); // right < left clamps to left
  });
  test('a side that floors to 0 px is usually empty, but _calculateWidthHeight can keep it at 1 px', () => {
    // Values checked against a literal CPython port of large_image; note the asymmetry.
    assert.equal(planRegion(svs, { left: 0, top: 0, right: 1, bottom: 100, magnification: 20 }).empty, true);
    assert.equal(planRegion(svs, { left: 0, top: 0, right: 100, bottom: 1, magnification: 20 }).empty, true);
    assert.equal(planRegion(svs, { left: 0, top: 0, right: 1, bottom: 100, mmX: 0.0005, mmY: 0.0005 }).empty, true);
    expectSize(planRegion(svs, { left: 0, top: 0, right: 100, bottom: 1, mmX: 0.0005, mmY: 0.0005 }), 50, 1);
    expectSize(planRegion(svs, { left: 0, top: 0, right: 2675, bottom: 1, magnification: 16.2 }), 1083, 1);
  });
  test('negative coordinates count from the right/bottom edge', () => {
    const p = ok(planRegion(svs, { left: -4040, top: -2936 }));
    assert.deepEqual(p.bounds, { left: 115960, top: 87064, right: 120000, bottom: 90000 });
    const q = ok(planRegion(svs, { left: -5000, right: -1000, top: 10, bottom: -89000 }));
    assert.deepEqual(q.bounds, { left: 115000, top: 10, right: 119000, bottom: 1000 });
  });
  test('regionWidth/regionHeight fill in a missing edge', () => {
    const a = ok(planRegion(svs, { right: 5000, regionWidth: 1000, bottom: 700, regionHeight: 200 }));
    assert.deepEqual(a.bounds, { left: 4000, top: 500, right: 5000, bottom: 700 });
    const b = ok(planRegion(svs, { left: 100, regionWidth: 50, top: 30, regionHeight: 20 }));
    assert.deepEqual(b.bounds, { left: 100, top: 30, right: 150, bottom: 50 });
    const c = ok(planRegion(svs, { regionWidth: 64, regionHeight: 32 }));
    assert.deepEqual(c.bounds, { left: 0, top: 0, right: 64, bottom: 32 });
    const d = ok(planRegion(svs, { right: -1000, regionWidth: 500, top: 0, bottom: 10 }));
    assert.deepEqual(d.bounds, { left: 118500, top: 0, right: 119000, bottom: 10 });
    // both edges given: regionWidth is ignored
    const e = ok(planRegion(svs, { left: 10, right: 20, regionWidth: 1000, top: 0, bottom: 10 }));
    assert.deepEqual(e.bounds, { left: 10, top: 0, right: 20, bottom: 10 });
  });
  test('fractional edges round half to even before clamping', () => {
    const p = ok(planRegion(svs, { left: 10.5, right: 20.5, top: 11.5, bottom: 21.5 }));
    assert.deepEqual(p.bounds, { left: 10, top: 12, right: 20, bottom: 22 });
    const q = ok(planRegion(svs, { left: 10.500001, right: 20.49, top: 0, bottom: 1 }));
    assert.deepEqual([q.bounds.left, q.bounds.right], [11, 20]);
  });
  test('edges clamp to the slide', () => {
    const p = ok(planRegion(svs, { left: -200000, top: -1e9, right: 1e9, bottom: 95000 }));
    assert.deepEqual(p.bounds, { left: 0, top: 0, right: 120000, bottom: 90000 });
    assert.deepEqual([p.width, p.height], [120000, 90000]);
  });
  test('height only: width becomes 16 x height', () => {
    const p = expectSize(planRegion(svs, { ...A0SK, height: 500 }), 688, 500);
    assert.equal(p.readLevel, 7);
  });
  test('the 16x rule caps very tall/narrow regions', () => {
    // 10 x 10000 with width=100: height may only reach 1600, so width shrinks to 1
    expectSize(planRegion(svs, { left: 0, top: 0, right: 10, bottom: 10000, width: 100 }), 1, 1600);
    expectSize(planRegion(svs, { left: 0, top: 0, right: 10000, bottom: 10, height: 100 }), 1600, 1);
  });
  test('width/height override magnification and mm', () => {
    const p = expectSize(planRegion(svs, { ...A0SK, width: 1000, mmX: 0.00025, magnification: 5, exact: true }), 1000, 726);
    assert.equal(p.level, 9);
  });
  test('width 0 counts as missing (Python truthiness); 0 x 0 is empty; 0 alone is refused', () => {
    expectSize(planRegion(svs, { ...A0SK, width: 0, height: 500 }), 688, 500);
    assert.equal(planRegion(svs, { ...A0SK, width: 0, height: 0 }).empty, true);
    assert.throws(() => planRegion(svs, { ...A0SK, width: 0 }), /width=0 needs a height/);
  });
  test('magnification and mm together average their log2 ratios', () => {
    // log2(20/40) = -1 and log2(0.000252/0.000252) = 0 -> level 8.5 -> scale 2^0.5
    const p = expectSize(planRegion(svs, { ...A0SK, magnification: 20, mmX: 0.000252 }), 2856, 2076);
    assert.equal(p.level, 8.5);
    assert.equal(p.width, Math.floor(4040 / 2 ** 0.5));
  });
  test('the default storage is full resolution only', () => {
    const p = ok(planRegion(base40, { ...A0SK, magnification: 10 }));
    assert.equal(p.readLevel, 9);
    assert.deepEqual(p.readBounds, { ...A0SK });
  });
  test('read bounds keep at least one pixel at coarse levels', () => {
    const p = ok(planRegion(full, { left: 5, top: 5, right: 6, bottom: 6, width: 1, height: 1 }));
    assert.equal(p.readLevel, 9);
    // 1 x 4 base px shrunk to 1 x 1 reads level 7, where both edges truncate to 250: right = left + 1
    const q = expectSize(planRegion(full, { left: 1000, top: 1000, right: 1001, bottom: 1004, width: 1, height: 1 }), 1, 1);
    assert.equal(q.readLevel, 7);
    assert.deepEqual(q.readBounds, { left: 250, top: 250, right: 251, bottom: 251 });
  });
  test('rejects bad input with clear errors', () => {
    assert.throws(() => planRegion(svs, { left: Number.NaN }), /finite left/);
    assert.throws(() => planRegion(svs, { width: -1 }), /non-negative integer width/);
    assert.throws(() => planRegion(svs, { height: 1.5 }), /non-negative integer height/);
    assert.throws(() => planRegion(svs, { mmX: -0.00025 }), /non-negative mmX/);
    assert.throws(() => planRegion({ ...base40, levels: 0 }, {}), /level count/);
    assert.throws(() => planRegion({ ...base40, sizeX: 0 }, {}), /slide size/);
    assert.throws(() => planRegion({ ...base40, mmX: Number.NaN }, {}), /slide mmX/);
  });
});

describe('planRegion: property over random regions (docs/imaging.md#region-size)', () => {
  test('for mm/magnification requests the size is floor(rw/scale) x floor(rh/scale)', () => {
    const r = rng(20190601);
    let checked = 0;
    for (let i = 0; i < 5000; i++) {
      const sizeX = 1000 + Math.floor(r() * 150000);
      const sizeY = 1000 + Math.floor(r() * 150000);
      const levels = levelCount(sizeX, sizeY, 240, 240);
      const top = levels - 1;
      const M = [20, 40, 10 + r() * 50][Math.floor(r() * 3)] as number;
      const MX = [0.000252, 0.000504, 0.0001 + r() * 0.001][Math.floor(r() * 3)] as number;
      const MY = r() < 0.5 ? MX : 0.0001 + r() * 0.001;
      const left = Math.floor(r() * sizeX);
      const topPx = Math.floor(r() * sizeY);
      const rw = 1 + Math.floor(r() * Math.min(sizeX - left, 20000));
      const rh = 1 + Math.floor(r() * Math.min(sizeY - topPx, 20000));
      const req: RegionRequest = { left, top: topPx, right: left + rw, bottom: topPx + rh };
      const ratios: number[] = [];
      const kind = r();
      if (kind < 0.4) {
        req.mmX = req.mmY = 0.00005 + r() * 0.003;
        ratios.push(MX / req.mmX, MY / req.mmY);
      } else if (kind < 0.7) {
        req.magnification = 0.5 + r() * 100;
        ratios.push(req.magnification / M);
      } else {
        req.mmX = 0.00005 + r() * 0.003;
        req.mmY = 0.00005 + r() * 0.003;
        ratios.push(MX / req.mmX, MY / req.mmY);
      }
      // Step 2 written out independently (toFixed is exact here: random values are never binary ties).
      const logs = ratios.map((x) => Number((Math.log(x) / Math.log(2)).toFixed(4)));
      const level = top + Number((logs.reduce((a, b) => a + b, 0) / logs.length).toFixed(4));
      const scale = level === top ? 1 : 2 ** (top - level);
      const ew = Math.floor(rw / scale);
      const eh = Math.floor(rh / scale);
      // A side that floors to 0 is either empty or kept at 1 px by _calculateWidthHeight's max(1, ...).
      if (ew === 0 || eh === 0) continue;
      const p = planRegion({ sizeX, sizeY, levels, magnification: M, mmX: MX, mmY: MY }, req);
      assert.ok(!p.empty, `case ${i} empty`);
      assert.deepEqual([p.width, p.height], [ew, eh], `case ${i}: ${JSON.stringify({ rw, rh, scale, req })}`);
      checked++;
    }
    assert.ok(checked > 4500, `only ${checked} cases checked`);
  });
});

describe('predictOutputSize', () => {
  const rect = { ...A0SK };
  test('mpp, magnification and base resolutions', () => {
    assert.deepEqual(predictOutputSize(svs, rect, { kind: 'mpp', mpp: 0.25 }), { width: 4072, height: 2959 });
    assert.deepEqual(predictOutputSize(svs, rect, { kind: 'mpp', mpp: 0.3 }), { width: 3393, height: 2466 });
    assert.deepEqual(predictOutputSize(svs, rect, { kind: 'mag', magnification: 20 }), { width: 2020, height: 1468 });
    assert.deepEqual(predictOutputSize(svs, rect, { kind: 'base' }), { width: 4040, height: 2936 });
  });
  test('uses mm_x = mm_y = mmPerPixel(mpp), the value bcss sends', () => {
    for (const mpp of [0.23, 0.25, 0.2, 0.5, 0.2523, 0.12]) {
      const mm = mmPerPixel(mpp);
      const viaPlan = ok(planRegion(svs, { ...rect, mmX: mm, mmY: mm }));
      assert.deepEqual(predictOutputSize(svs, rect, { kind: 'mpp', mpp }), {
        width: viaPlan.width,
        height: viaPlan.height,
      });
    }
  });
  test('an empty plan is a UsageError that names the region and the reason', () => {
    assert.throws(
      () => predictOutputSize(svs, { ...rect, right: rect.left }, { kind: 'mpp', mpp: 0.25 }),
      (err: unknown) =>
        err instanceof UsageError && /45749/.test(err.message) && /nothing to render/.test(err.message),
    );
  });
  test('rejects non-positive mpp and magnification', () => {
    assert.throws(() => predictOutputSize(svs, rect, { kind: 'mpp', mpp: 0 }), /positive mpp/);
    assert.throws(() => predictOutputSize(svs, rect, { kind: 'mag', magnification: -20 }), /positive mag/);
  });
});
