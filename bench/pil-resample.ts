/**
 * Benchmark: Pillow's resize (src/slides/pil-resample.ts) on the JavaScript passes against the
 * WebAssembly SIMD passes (src/slides/pil-resample-wasm.ts), one thread, in ns per output pixel:
 * a 2000 x 2000 -> 2016 x 2016 bicubic enlargement (the common extract case: a level slightly
 * smaller than the output) and a 2000 x 2000 -> 1000 x 1000 Lanczos shrink (13 taps per axis).
 * Run: node --import tsx bench/pil-resample.ts [runs]. Prints the median of the runs; the two
 * engines' outputs are compared byte for byte first (the tests prove it; this keeps the bench honest).
 */
import { pilResampleRows, pilResize, type PilKernel } from '../src/slides/pil-resample.js';
import { globalWasm, loadPilWasm, wasmResampleRows } from '../src/slides/pil-resample-wasm.js';

const runs = Math.max(1, Number(process.argv[2] ?? 5) | 0);
const kernels = loadPilWasm(globalWasm());
if (kernels === null) {
  console.log('WebAssembly SIMD is not available here: nothing to compare.');
  process.exit(0);
}

function median(label: string, pixels: number, fn: () => void): number {
  const ns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ns.push(Number(process.hrtime.bigint() - t0) / pixels);
  }
  ns.sort((a, b) => a - b);
  const m = ns[Math.floor(ns.length / 2)] as number;
  console.log(`  ${label}: ${m.toFixed(1)} ns per output pixel (median of ${runs})`);
  return m;
}

const inW = 2000;
const inH = 2000;
const input = Buffer.alloc(inW * inH * 3);
// Smooth structure plus noise, like tissue; the values do not change the arithmetic's cost.
for (let i = 0; i < input.length; i++) input[i] = ((i % 6000) * 7 + ((i * 2654435761) >>> 28)) & 255;

const cases: [number, number, PilKernel][] = [[2016, 2016, 'cubic'], [1000, 1000, 'lanczos3']];
for (const [outW, outH, kernel] of cases) {
  const model = pilResize(inW, inH, outW, outH, kernel);
  const js = pilResampleRows(model, input, 0, inH, 0, outH);
  if (!wasmResampleRows(kernels, model, input, 0, inH, 0, outH).equals(js)) throw new Error(`${kernel}: WASM and JS outputs differ`);
  console.log(`${kernel} ${inW}x${inH} -> ${outW}x${outH}:`);
  const a = median('JavaScript', outW * outH, () => void pilResampleRows(model, input, 0, inH, 0, outH));
  const b = median('WASM SIMD ', outW * outH, () => void wasmResampleRows(kernels, model, input, 0, inH, 0, outH));
  console.log(`  speed-up ${(a / b).toFixed(2)}x`);
}
