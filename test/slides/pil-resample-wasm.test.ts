import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pilAxis, pilHorizontal, pilResampleRows, pilResize, pilRowsNeeded, pilVertical, type PilKernel } from '../../src/slides/pil-resample.js';
import {
  globalWasm,
  loadPilWasm,
  pilResampleRowsFast,
  pilWasmKernels,
  pilWasmModuleBytes,
  wasmHorizontal,
  wasmResampleRows,
  wasmVertical,
  type WasmApi,
  WasmMemoryError,
} from '../../src/slides/pil-resample-wasm.js';
import { assemble, sleb, uleb } from '../../src/slides/wasm-emit.js';
import { repoRoot } from './fixtures.js';
import { mulberry32 as random } from '../../src/server/faults.js';

const kernels = loadPilWasm(globalWasm());

/** Noise, or black/white stripes (the largest overshoot a kernel's negative lobes can make). */
function image(w: number, h: number, rnd: () => number, stripes: boolean): Buffer {
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < out.length; i++) out[i] = stripes ? (((i / 3) | 0) % w) % 2 === 0 ? 255 : 0 : (rnd() * 256) | 0;
  return out;
}

function firstDifference(a: Buffer, b: Buffer): string {
  if (a.length !== b.length) return `lengths ${a.length} ≠ ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `sample ${i}: ${a[i]} ≠ ${b[i]}`;
  return 'equal';
}

describe('Pillow resize in WebAssembly SIMD: byte for byte the JavaScript passes', () => {
  test('Node 20 validates and runs the SIMD module', () => {
    assert.ok(globalWasm()?.validate(pilWasmModuleBytes()));
    assert.notEqual(kernels, null);
    assert.equal(pilWasmKernels(), pilWasmKernels(), 'loaded once per thread');
  });

  test('random images of many sizes, both kernels, enlarging and shrinking: each pass and both together', () => {
    const k = kernels!;
    const rnd = random(20261202);
    const sizes: [number, number, number, number][] = [
      [1, 1, 1, 1], [1, 1, 5, 3], [3, 2, 1, 1], [7, 5, 13, 11], [37, 29, 50, 40], [37, 29, 11, 7], [100, 9, 9, 100],
      [5, 61, 17, 6], [64, 16, 65, 17], [250, 40, 31, 5], [33, 33, 33, 20], [33, 33, 20, 33], [21, 19, 200, 3],
    ];
    let checked = 0;
    for (const [w, h, ow, oh] of sizes) {
      for (const kernel of ['cubic', 'lanczos3'] as PilKernel[]) {
        for (const stripes of [false, true]) {
          const input = image(w, h, rnd, stripes);
          const ha = pilAxis(w, ow, kernel);
          const label = `${kernel} ${w}x${h} → ${ow}x${oh}${stripes ? ' stripes' : ''}`;
          assert.equal(firstDifference(wasmHorizontal(k, ha, input, h), pilHorizontal(ha, input, h)), 'equal', `horizontal ${label}`);
          const va = pilAxis(h, oh, kernel);
          assert.equal(firstDifference(wasmVertical(k, va, input, 0, w, 0, oh), pilVertical(va, input, 0, w, 0, oh)), 'equal', `vertical ${label}`);
          const model = pilResize(w, h, ow, oh, kernel);
          const js = pilResampleRows(model, input, 0, h, 0, oh);
          assert.equal(firstDifference(wasmResampleRows(k, model, input, 0, h, 0, oh), js), 'equal', `both ${label}`);
          // A band of rows from only the input rows it needs, as the strip reader asks.
          const y0 = Math.floor(oh / 3);
          const y1 = Math.max(y0 + 1, Math.floor((2 * oh) / 3));
          const need = pilRowsNeeded(model, y0, y1);
          const slab = input.subarray(need.start * w * 3, need.end * w * 3);
          const band = wasmResampleRows(k, model, slab, need.start, need.end - need.start, y0, y1);
          assert.equal(firstDifference(band, js.subarray(y0 * ow * 3, y1 * ow * 3)), 'equal', `band ${label}`);
          checked++;
        }
      }
    }
    assert.equal(checked, sizes.length * 4);
    // The list above includes shrinks whose kernels have far more than four taps.
    assert.ok(pilAxis(250, 31, 'lanczos3').taps > 40);
  });

  test("Pillow's own output (the fixture), through the WASM path", () => {
    const fixture = JSON.parse(readFileSync(join(repoRoot, 'test/slides/pil-resize.fixture.json'), 'utf8')) as {
      input: [number, number];
      cases: { kernel: PilKernel; width: number; height: number; rgb: string }[];
    };
    const [W, H] = fixture.input;
    const input = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          input[(y * W + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 13 + Math.floor(x / 5) * Math.floor(y / 4) * 29) & 255;
        }
      }
    }
    assert.ok(fixture.cases.length > 0);
    for (const c of fixture.cases) {
      const got = wasmResampleRows(kernels!, pilResize(W, H, c.width, c.height, c.kernel), input, 0, H, 0, c.height);
      assert.equal(firstDifference(got, Buffer.from(c.rgb, 'base64')), 'equal', `${c.kernel} → ${c.width}x${c.height}`);
    }
  });

  test('the memory grows for a large call and still serves small ones afterwards', () => {
    const k = kernels!;
    const rnd = random(7);
    const big = image(1200, 300, rnd, false);
    const model = pilResize(1200, 300, 1300, 330, 'cubic');
    assert.ok(wasmResampleRows(k, model, big, 0, 300, 0, 330).equals(pilResampleRows(model, big, 0, 300, 0, 330)));
    assert.ok(k.memory.buffer.byteLength >= 1200 * 300 * 3);
    const small = image(9, 4, rnd, false);
    const m2 = pilResize(9, 4, 4, 9, 'lanczos3');
    assert.ok(wasmResampleRows(k, m2, small, 0, 4, 0, 9).equals(pilResampleRows(m2, small, 0, 4, 0, 9)));
  });
});

describe('fallback to the JavaScript passes', () => {
  test('no WebAssembly, or one that rejects SIMD: no kernels', () => {
    assert.equal(loadPilWasm(undefined), null);
    assert.equal(loadPilWasm({ validate: () => false } as unknown as WasmApi), null);
    assert.equal(loadPilWasm({ validate: () => true, Module: () => { throw new Error('no'); } } as unknown as WasmApi), null);
  });

  test('pilResampleRowsFast without kernels computes with the JavaScript passes, with kernels with WASM: the same bytes', () => {
    const input = image(40, 30, random(3), false);
    const model = pilResize(40, 30, 23, 45, 'lanczos3');
    const js = pilResampleRows(model, input, 0, 30, 0, 45);
    assert.ok(pilResampleRowsFast(model, input, 0, 30, 0, 45, null).equals(js));
    assert.ok(pilResampleRowsFast(model, input, 0, 30, 0, 45).equals(js));
  });

  test('a memory that cannot grow: WasmMemoryError from the WASM path, the JavaScript result from pilResampleRowsFast', () => {
    const input = image(40, 30, random(4), false);
    const model = pilResize(40, 30, 60, 50, 'cubic');
    const stuck = {
      memory: { buffer: new ArrayBuffer(0), grow: (): number => { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); } },
      hrow: () => assert.fail('no kernel may run without memory'),
      vrow: () => assert.fail('no kernel may run without memory'),
    };
    assert.throws(() => wasmResampleRows(stuck, model, input, 0, 30, 0, 50), (err: unknown) => err instanceof WasmMemoryError && /cannot grow/.test(err.message));
    assert.ok(pilResampleRowsFast(model, input, 0, 30, 0, 50, stuck).equals(pilResampleRows(model, input, 0, 30, 0, 50)));
  });
});

describe('wasm-emit', () => {
  test('LEB128 encodings and instruction assembly', () => {
    assert.deepEqual(uleb(0), [0]);
    assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
    assert.deepEqual(sleb(63), [0x3f]);
    assert.deepEqual(sleb(64), [0xc0, 0x00]);
    assert.deepEqual(assemble(['local.get', 1, 'i32x4.mul', 'v128.load', 0, 16]), [0x20, 1, 0xfd, 0xb5, 0x01, 0xfd, 0x00, 0, 16]);
    assert.throws(() => assemble(['i64.add']), /unknown instruction i64.add/);
    assert.throws(() => assemble(['local.get']), /expected an immediate/);
  });
});
