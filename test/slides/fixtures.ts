// Shared paths and helpers for the slides tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
export { mulberry32 as prng } from '../../src/server/faults.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The real Aperio slide that ships with the package, in data/slides/. */
export const CMU_SMALL = resolve(repoRoot, 'data/slides/CMU-1-Small-Region.svs');

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'bcss-slides-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mean and max absolute difference of two equally long byte buffers. */
export function diffStats(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    sum += d;
    if (d > max) max = d;
  }
  return { mean: a.length === 0 ? 0 : sum / a.length, max };
}

/** Crop rows/columns out of an interleaved RGB buffer. */
export function crop(
  data: Uint8Array,
  width: number,
  rect: { left: number; top: number; width: number; height: number },
): Buffer {
  const out = Buffer.alloc(rect.width * rect.height * 3);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.top + y) * width + rect.left) * 3;
    out.set(data.subarray(from, from + rect.width * 3), y * rect.width * 3);
  }
  return out;
}
