import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { resampleRows, resizeModel, rowsNeeded } from '../../src/slides/resample-model.js';
import type { AxisFilter, ResizeKernel } from '../../src/slides/resample-model.js';
import { CMU_SMALL, diffStats } from './fixtures.js';

const stagesOf = (m: ReturnType<typeof resizeModel>): AxisFilter[] =>
  [m.horizontal, m.vertical].flatMap((a) => [a.box, a.reduce, a.affine]).filter((f): f is AxisFilter => f !== null);

describe('resizeModel', () => {
  test('weight tables are normalised and stay inside their input', () => {
    for (const [inW, inH, outW, outH, kernel] of [
      [100, 80, 33, 26, 'lanczos3'],
      [100, 80, 250, 200, 'cubic'],
      [7, 5, 3, 2, 'lanczos3'],
      [3, 3, 40, 40, 'cubic'],
      [1000, 10, 91, 1, 'lanczos3'],
    ] as const) {
      const m = resizeModel(inW, inH, outW, outH, kernel);
      for (const f of stagesOf(m)) {
        assert.ok(f.taps <= f.inSize);
        for (let o = 0; o < f.outSize; o++) {
          const first = f.first[o] as number;
          assert.ok(first >= 0 && first + f.taps <= f.inSize, `window of output ${o}`);
          let sum = 0;
          for (let t = 0; t < f.taps; t++) sum += f.weights[o * f.taps + t] as number;
          assert.ok(Math.abs(sum - 1) < 1e-5, `weights of output ${o} sum to ${sum}`);
        }
      }
    }
  });

  test("stages follow libvips: box only from 4x, reduce when shrinking, affine on both axes when any grows", () => {
    const shrink2 = resizeModel(100, 80, 50, 80, 'lanczos3');
    assert.deepEqual([!!shrink2.horizontal.box, !!shrink2.horizontal.reduce, !!shrink2.horizontal.affine], [false, true, false]);
    assert.deepEqual([!!shrink2.vertical.box, !!shrink2.vertical.reduce, !!shrink2.vertical.affine], [false, false, false]);
    const shrink5 = resizeModel(100, 80, 20, 16, 'lanczos3');
    assert.equal(shrink5.horizontal.box?.outSize, 50, 'box by floor(5 / 2) = 2');
    const mixed = resizeModel(100, 80, 99, 81, 'lanczos3');
    assert.deepEqual([!!mixed.horizontal.reduce, !!mixed.horizontal.affine, !!mixed.vertical.affine], [true, true, true]);
    // rows needed for the first output row of a 2x vertical Lanczos: the kernel support is the margin
    const v2 = resizeModel(10, 100, 10, 50, 'lanczos3');
    const need = rowsNeeded(v2, 10, 11);
    assert.ok(need.start <= 21 - 5 && need.end >= 21 + 5, JSON.stringify(need));
  });

  test('rejects non-positive or fractional sizes, and slabs that miss needed rows', async () => {
    assert.throws(() => resizeModel(0, 10, 5, 5, 'lanczos3'), /inW must be a positive integer, got 0/);
    assert.throws(() => resizeModel(10, 10, 5.5, 5, 'cubic'), /outW must be a positive integer, got 5.5/);
    const m = resizeModel(10, 100, 10, 50, 'lanczos3');
    await assert.rejects(resampleRows(m, Buffer.alloc(10 * 3 * 5), 20, 10, 11), /need source rows \[\d+, \d+\), got \[20, 25\)/);
  });
});

describe("resizeModel agrees with sharp's resize", () => {
  let src: Buffer;
  const W = 240;
  const H = 180;
  before(async () => {
    // Real tissue with sharp edges: where a wrong phase or a missing clamp shows most.
    src = await sharp(CMU_SMALL, { page: 0 }).extract({ left: 800, top: 1200, width: W, height: H }).raw().toBuffer();
  });

  const sizes: Array<[number, number]> = [
    [120, 90], [201, 151], [60, 45], [40, 30], [29, 22], [20, 15], // shrink, incl. box pre-shrink (s ≥ 4)
    [240, 90], [100, 180], // one axis only
    [242, 181], [480, 360], [301, 500], // enlarge
    [239, 181], [100, 200], [241, 179], // one axis shrinks while the other grows
  ];
  for (const [outW, outH] of sizes) {
    test(`${W}x${H} -> ${outW}x${outH}`, async () => {
      const kernel: ResizeKernel = outW <= W ? 'lanczos3' : 'cubic';
      const ref = await sharp(src, { raw: { width: W, height: H, channels: 3 } })
        .resize(outW, outH, { fit: 'fill', kernel })
        .raw()
        .toBuffer();
      const m = resizeModel(W, H, outW, outH, kernel);
      const out = await resampleRows(m, src, 0, 0, outH);
      const { mean, max } = diffStats(out, ref);
      // libvips rounds each pass with fixed-point weights, the model from doubles: ≤ 1 per pass.
      assert.ok(max <= 3, `max ${max}`);
      assert.ok(mean < 0.25, `mean ${mean}`);
    });
  }
});
