/**
 * Pillow's `Image.resize(size, LANCZOS | BICUBIC)` for 8-bit RGB, reproduced sample for sample:
 * what large_image's getRegion does to a region read from a level whose size is not the output's
 * (BICUBIC when the output is wider than the region, else LANCZOS; no reducing_gap). Checked
 * against Pillow 9.4 by scripts/check-pil-resize.py.
 *
 * Pillow's algorithm (libImaging/Resample.c), per axis with scale s = in / out:
 *  - support = filter support (3 for Lanczos, 2 for bicubic) × max(s, 1);
 *  - output o is centred at c = (o + 0.5)·s; its taps are inputs i in [trunc(c − support + 0.5),
 *    trunc(c + support + 0.5)) clipped to the image, weighted filter((i − c + 0.5) / max(s, 1)),
 *    normalised to sum 1, then rounded to fixed point with 22 fraction bits;
 *  - the horizontal pass runs first (on the rows the vertical pass needs), each sample rounded
 *    (add half, shift) and clamped to 8 bits; then the vertical pass the same way.
 * Every output row is a fixed combination of horizontally resampled input rows, so any band of
 * output rows can be computed from just the input rows it needs, with the same result as the whole
 * image: strips join without seams by construction.
 */

export type PilKernel = 'lanczos3' | 'cubic';

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Keys' cubic with a = −0.5, written as Pillow writes it (the same operations, the same rounding). */
function bicubic(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** One axis: output o = Σ_t coeffs[o·taps + t] · input[first[o] + t] for t < count[o], in fixed point. */
export interface PilAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly taps: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly coeffs: Int32Array;
}

export function pilAxis(inSize: number, outSize: number, kernel: PilKernel): PilAxis {
  if (!Number.isSafeInteger(inSize) || !Number.isSafeInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new RangeError(`pilAxis: sizes must be positive integers, got ${inSize} → ${outSize}`);
  }
  const [filter, support0] = kernel === 'lanczos3' ? [lanczos, 3] : [bicubic, 2];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = support0 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const coeffs = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  const ss = 1 / filterScale;
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(centre - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(centre + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - centre + 0.5) * ss);
      k[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum === 0 ? (k[x] as number) : (k[x] as number) / sum;
      // C's (int) truncation of ±0.5 + w·2^22: round half away from zero.
      coeffs[o * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    first[o] = xmin;
    count[o] = Math.max(0, xmax);
  }
  return { inSize, outSize, taps, first, count, coeffs };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/** Horizontal pass over `rows` rows of RGB of width h.inSize → rows of width h.outSize. */
export function pilHorizontal(h: PilAxis, src: Buffer, rows: number): Buffer {
  const inRow = h.inSize * 3;
  const outRow = h.outSize * 3;
  const out = Buffer.allocUnsafe(outRow * rows);
  // Plain Uint8Array views: one element kind in the hot loop, whatever Buffer subclass came in.
  const input = new Uint8Array(src.buffer, src.byteOffset, src.length);
  const output = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const { taps, first, count, coeffs } = h;
  for (let y = 0; y < rows; y++) {
    const base = y * inRow;
    let q = y * outRow;
    for (let o = 0; o < h.outSize; o++) {
      // Sums stay below 2^31 (255 × 2^22 × the kernel's positive lobes), so int32 arithmetic is exact.
      let r = HALF;
      let g = HALF;
      let b = HALF;
      const n = count[o] as number;
      let k = o * taps;
      let p = base + (first[o] as number) * 3;
      if (n === 4) {
        // Bicubic enlarging, the common case, unrolled.
        const w0 = coeffs[k] as number;
        const w1 = coeffs[k + 1] as number;
        const w2 = coeffs[k + 2] as number;
        const w3 = coeffs[k + 3] as number;
        r += (input[p] as number) * w0 + (input[p + 3] as number) * w1 + (input[p + 6] as number) * w2 + (input[p + 9] as number) * w3;
        g += (input[p + 1] as number) * w0 + (input[p + 4] as number) * w1 + (input[p + 7] as number) * w2 + (input[p + 10] as number) * w3;
        b += (input[p + 2] as number) * w0 + (input[p + 5] as number) * w1 + (input[p + 8] as number) * w2 + (input[p + 11] as number) * w3;
      } else for (let t = 0; t < n; t++, p += 3, k++) {
        const w = coeffs[k] as number;
        r = (r + (input[p] as number) * w) | 0;
        g = (g + (input[p + 1] as number) * w) | 0;
        b = (b + (input[p + 2] as number) * w) | 0;
      }
      r >>= PRECISION_BITS;
      g >>= PRECISION_BITS;
      b >>= PRECISION_BITS;
      output[q++] = r < 0 ? 0 : r > 255 ? 255 : r;
      output[q++] = g < 0 ? 0 : g > 255 ? 255 : g;
      output[q++] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
  return out;
}

/**
 * Vertical pass for output rows [y0, y1): `src` holds rows [srcTop, …) of width `width` (already
 * horizontally resampled), covering every row those outputs read. Each output row combines whole
 * input rows (sequential memory access), four at a time: a kernel with at most four taps (bicubic
 * enlarging, the common case) is one pass straight into the output, longer ones go through an
 * accumulator row. Missing taps of the last group have weight 0 and add nothing.
 *
 * Exactness: every partial sum stays below 2^31 (255 × 2^22 × the kernel's positive lobes), so
 * summing in doubles in groups gives the same integer as Pillow's int32 running sum.
 */
export function pilVertical(v: PilAxis, src: Buffer, srcTop: number, width: number, y0: number, y1: number): Buffer {
  const rowLen = width * 3;
  const out = Buffer.allocUnsafe(rowLen * (y1 - y0));
  const acc = new Int32Array(rowLen);
  // Plain Uint8Array views: one element kind in the hot loops, whatever Buffer subclass came in.
  const input = new Uint8Array(src.buffer, src.byteOffset, src.length);
  const output = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const off = [0, 0, 0, 0];
  const w = [0, 0, 0, 0];
  for (let o = y0; o < y1; o++) {
    const n = v.count[o] as number;
    const q = (o - y0) * rowLen;
    const firstRow = (v.first[o] as number) - srcTop;
    for (let g = 0; g < n; g += 4) {
      for (let j = 0; j < 4; j++) {
        const t = g + j;
        off[j] = t < n ? (firstRow + t) * rowLen : firstRow * rowLen;
        w[j] = t < n ? (v.coeffs[o * v.taps + t] as number) : 0;
      }
      verticalGroup(input, off, w, acc, output, q, rowLen, g === 0, g + 4 >= n);
    }
    if (n === 0) out.fill(clip8(HALF), q, q + rowLen);
  }
  return out;
}

/** One group of four weighted rows: started from HALF (first group) or the accumulator, ended into `out` (last group) or the accumulator. */
function verticalGroup(src: Uint8Array, off: number[], w: number[], acc: Int32Array, out: Uint8Array, q: number, rowLen: number, first: boolean, last: boolean): void {
  const [o0, o1, o2, o3] = off as [number, number, number, number];
  const [w0, w1, w2, w3] = w as [number, number, number, number];
  // Four loops rather than branches inside one: the hot loop stays branch-free.
  if (first && last) {
    for (let x = 0; x < rowLen; x++) {
      const s = (HALF + (src[o0 + x] as number) * w0 + (src[o1 + x] as number) * w1 + (src[o2 + x] as number) * w2 + (src[o3 + x] as number) * w3) >> PRECISION_BITS;
      out[q + x] = s < 0 ? 0 : s > 255 ? 255 : s;
    }
  } else if (first) {
    for (let x = 0; x < rowLen; x++) acc[x] = HALF + (src[o0 + x] as number) * w0 + (src[o1 + x] as number) * w1 + (src[o2 + x] as number) * w2 + (src[o3 + x] as number) * w3;
  } else if (last) {
    for (let x = 0; x < rowLen; x++) {
      const s = ((acc[x] as number) + (src[o0 + x] as number) * w0 + (src[o1 + x] as number) * w1 + (src[o2 + x] as number) * w2 + (src[o3 + x] as number) * w3) >> PRECISION_BITS;
      out[q + x] = s < 0 ? 0 : s > 255 ? 255 : s;
    }
  } else {
    for (let x = 0; x < rowLen; x++) acc[x] = (acc[x] as number) + (src[o0 + x] as number) * w0 + (src[o1 + x] as number) * w1 + (src[o2 + x] as number) * w2 + (src[o3 + x] as number) * w3;
  }
}

/** Pillow's resize of a whole model: the two axes and the kernel. */
export interface PilResize {
  readonly h: PilAxis;
  readonly v: PilAxis;
}

export function pilResize(inW: number, inH: number, outW: number, outH: number, kernel: PilKernel): PilResize {
  return { h: pilAxis(inW, outW, kernel), v: pilAxis(inH, outH, kernel) };
}

/** The input rows [start, end) that output rows [y0, y1) read. */
export function pilRowsNeeded(model: PilResize, y0: number, y1: number): { start: number; end: number } {
  let start = Infinity;
  let end = 0;
  for (let o = y0; o < y1; o++) {
    start = Math.min(start, model.v.first[o] as number);
    end = Math.max(end, (model.v.first[o] as number) + (model.v.count[o] as number));
  }
  return { start, end };
}

/**
 * Output rows [y0, y1) from `slab`, the input rows [slabTop, slabTop + slabRows) (RGB, width
 * inW), which must include pilRowsNeeded(y0, y1). An axis whose size does not change is left
 * alone, as Pillow skips its pass (its weights would be the identity anyway).
 */
export function pilResampleRows(model: PilResize, slab: Buffer, slabTop: number, slabRows: number, y0: number, y1: number): Buffer {
  const { h, v } = model;
  const wide = h.inSize === h.outSize ? slab : pilHorizontal(h, slab, slabRows);
  if (v.inSize === v.outSize) {
    const rowLen = h.outSize * 3;
    return Buffer.from(wide.subarray((y0 - slabTop) * rowLen, (y1 - slabTop) * rowLen));
  }
  return pilVertical(v, wide, slabTop, h.outSize, y0, y1);
}
