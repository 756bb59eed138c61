/**
 * Benchmark: nearest-neighbour resize of a 10000 x 9000 label mask to 5000 x 4500 (a base mask
 * brought to a 2x-downsampled RGB), and the 2x upscale. Run: node --import tsx bench/nearest.ts
 * Prints the best of a few runs; no assertions (speed belongs here, not in tests).
 */
import { resizeNearest } from '../src/geometry/nearest.js';

function best(label: string, runs: number, fn: () => void): void {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  console.log(`${label}: ${min.toFixed(1)} ms (best of ${runs})`);
}

const inW = 10000;
const inH = 9000;
const src = new Uint8Array(inW * inH);
for (let i = 0; i < src.length; i++) src[i] = (i * 2654435761) >>> 29; // label-like values 0..7

best('10000x9000 -> 5000x4500 (1 channel)', 5, () => void resizeNearest(src, inW, inH, 5000, 4500));
best('5000x4500 -> 10000x9000 (1 channel)', 3, () => {
  void resizeNearest(src.subarray(0, 5000 * 4500), 5000, 4500, inW, inH);
});
const rgb = new Uint8Array(5000 * 4500 * 3);
best('5000x4500x3 -> 2500x2250x3 (RGB)', 3, () => void resizeNearest(rgb, 5000, 4500, 2500, 2250, 3));
