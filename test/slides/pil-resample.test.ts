import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pilAxis, pilResampleRows, pilResize, pilRowsNeeded, type PilKernel } from '../../src/slides/pil-resample.js';
import { POOL_MIN_PIXELS, pilResampleRowsParallel, resamplePoolSize } from '../../src/slides/resample-pool.js';
import { repoRoot } from './fixtures.js';

/** Pillow's results (scripts/make-pil-resize-fixture.py), the reference large_image resizes with. */
interface Fixture {
  pillow: string;
  input: [number, number];
  cases: { kernel: PilKernel; width: number; height: number; rgb: string }[];
}
const fixture = JSON.parse(readFileSync(join(repoRoot, 'test/slides/pil-resize.fixture.json'), 'utf8')) as Fixture;
const [W, H] = fixture.input;

/** The fixture script's input pattern, computed the same way. */
function pattern(): Buffer {
  const out = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        out[(y * W + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 13 + Math.floor(x / 5) * Math.floor(y / 4) * 29) & 255;
      }
    }
  }
  return out;
}

describe(`Pillow's resize, sample for sample (reference: Pillow ${fixture.pillow})`, () => {
  const input = pattern();
  for (const c of fixture.cases) {
    test(`${c.kernel} ${W}x${H} → ${c.width}x${c.height}: the whole image and any strips equal Pillow's`, () => {
      const expected = Buffer.from(c.rgb, 'base64');
      const model = pilResize(W, H, c.width, c.height, c.kernel);
      const whole = pilResampleRows(model, input, 0, H, 0, c.height);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) if (whole[i] !== expected[i]) differing++;
      assert.equal(differing, 0, `${differing} of ${expected.length} samples differ from Pillow's`);
      // Bands of 1 and 4 output rows, each from only the input rows it needs.
      for (const band of [1, 4]) {
        const parts: Buffer[] = [];
        for (let y0 = 0; y0 < c.height; y0 += band) {
          const y1 = Math.min(c.height, y0 + band);
          const need = pilRowsNeeded(model, y0, y1);
          const slab = input.subarray(need.start * W * 3, need.end * W * 3);
          parts.push(pilResampleRows(model, slab, need.start, need.end - need.start, y0, y1));
        }
        assert.ok(Buffer.concat(parts).equals(expected), `${band}-row bands equal the whole image`);
      }
    });
  }

  test('the axis weights: Lanczos support widens with the shrink factor, windows stay inside the image', () => {
    const shrink = pilAxis(100, 25, 'lanczos3');
    assert.equal(shrink.taps, 2 * 12 + 1);
    const enlarge = pilAxis(25, 100, 'cubic');
    assert.equal(enlarge.taps, 2 * 2 + 1);
    for (const a of [shrink, enlarge]) {
      for (let o = 0; o < a.outSize; o++) {
        const first = a.first[o] as number;
        const count = a.count[o] as number;
        assert.ok(first >= 0 && first + count <= a.inSize && count >= 1);
        let sum = 0;
        for (let t = 0; t < count; t++) sum += a.coeffs[o * a.taps + t] as number;
        // Each weight is rounded to 22 fraction bits on its own: the sum is 1 to within a unit per tap.
        assert.ok(Math.abs(sum - (1 << 22)) <= count, `weights of output ${o} sum to ${sum}`);
      }
    }
    assert.throws(() => pilAxis(0, 3, 'cubic'), /positive integers/);
  });
});

describe('Pillow resize on worker threads', () => {
  test('a large resize is cut into bands on the pool and equals the one-thread resize; the pool stays up', async () => {
    const [w, h, W, H] = [900, 700, 907, 706];
    const input = Buffer.alloc(w * h * 3);
    for (let i = 0; i < input.length; i++) input[i] = (i * 37 + (i >> 11) * 7) & 255;
    assert.ok(W * H >= POOL_MIN_PIXELS, 'large enough for the pool');
    const size = { inW: w, inH: h, outW: W, outH: H, kernel: 'cubic' as const };
    const inline = pilResampleRows(pilResize(w, h, W, H, 'cubic'), input, 0, h, 0, H);
    assert.ok((await pilResampleRowsParallel(size, input, 0, h, 0, H)).equals(inline));
    // A band from a slab, as readRegionStrips asks.
    const need = pilRowsNeeded(pilResize(w, h, W, H, 'cubic'), 300, 650);
    const slab = input.subarray(need.start * w * 3, need.end * w * 3);
    const band = await pilResampleRowsParallel(size, slab, need.start, need.end - need.start, 300, 650);
    assert.ok(band.equals(inline.subarray(300 * W * 3, 650 * W * 3)));
    // Had a worker failed, the pool would be off (size 0) and the answers computed inline.
    const cores = availableParallelism();
    assert.equal(resamplePoolSize(), cores > 1 ? Math.min(4, cores) : 0);
  });
});
