/**
 * A separable model of sharp's `resize(w, h, { fit: 'fill', kernel })` (sharp 0.35.5 calls
 * libvips 8.18 `vips_resize` with the default gap of 2), as per-axis weight tables in global
 * coordinates. readRegionStrips uses it to compute every output row from exactly the source rows
 * it needs, so strips of any height join without seams, and agree with sharp's whole-image resize
 * to within 8-bit rounding.
 *
 * Measured against sharp on slide crops (test/slides/resample-model.test.ts), per axis with
 * s = in / out:
 *  - shrink: when s ≥ 4, first a box average over k = ⌊s / 2⌋ pixels (output ⌈in / k⌉, edge
 *    pixels repeated, libvips' integer rounding), then a kernel reduce by s / k (by s without the
 *    box) with the "centre" convention c = (o + 0.5)·s − 0.5 and the support stretched by s
 *    (Lanczos a = 3, or Catmull-Rom a = 2), rounded and clamped to 8 bits;
 *  - enlarge: as soon as ANY axis grows, libvips finishes with one affine transform using its
 *    bicubic (Catmull-Rom) interpolator, whatever the kernel, and the mapping c = o·s − 0.5 on BOTH
 *    axes; an axis that is unscaled (or already reduced) has s = 1 there, i.e. it is shifted by
 *    half a pixel. A libvips quirk, reproduced rather than fixed, because the whole-region path is
 *    sharp itself;
 *  - order: vertical box, vertical reduce, horizontal box + reduce, then the affine stage.
 * With the wrong phase convention the difference is 20-140 grey levels at edges; with this model
 * it is at most 3 (mostly 0-1, from libvips' fixed-point weights). Samples outside the image repeat
 * the edge pixel (libvips extends with "copy").
 */

export type ResizeKernel = 'lanczos3' | 'cubic';

/**
 * Output pixel o of this axis = Σ_t weights[o·taps + t] · input[first[o] + t], with
 * 0 ≤ first[o] and first[o] + taps ≤ inSize (edge repeats are folded into the window).
 */
export interface AxisFilter {
  readonly inSize: number;
  readonly outSize: number;
  readonly taps: number;
  readonly first: Int32Array;
  readonly weights: Float32Array;
  /** For a box stage: the box size k, which selects libvips' integer rounding (see boxRound). */
  readonly boxK: number | null;
}

/** Sparse rows: rows[o] = list of [inputIndex, weight], indices already clamped. */
type SparseRows = Array<Array<[number, number]>>;

function lanczos3(x: number): number {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

/** Catmull-Rom, i.e. Keys' cubic with a = −0.5 (libvips' "cubic" kernel and bicubic interpolator). */
function catmullRom(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

const clampIndex = (i: number, size: number): number => (i < 0 ? 0 : i >= size ? size - 1 : i);

function addTap(row: Array<[number, number]>, index: number, weight: number): void {
  const last = row[row.length - 1];
  const hit = last !== undefined && last[0] === index ? last : row.find((e) => e[0] === index);
  if (hit) hit[1] += weight;
  else row.push([index, weight]);
}

function boxRows(inSize: number, k: number): SparseRows {
  const out = Math.ceil(inSize / k);
  const rows: SparseRows = [];
  for (let o = 0; o < out; o++) {
    const row: Array<[number, number]> = [];
    for (let i = o * k; i < o * k + k; i++) addTap(row, clampIndex(i, inSize), 1 / k);
    rows.push(row);
  }
  return rows;
}

function reduceRows(inSize: number, outSize: number, kernel: ResizeKernel, s: number): SparseRows {
  const fn = kernel === 'lanczos3' ? lanczos3 : catmullRom;
  const support = (kernel === 'lanczos3' ? 3 : 2) * s;
  const rows: SparseRows = [];
  for (let o = 0; o < outSize; o++) {
    const c = (o + 0.5) * s - 0.5;
    const row: Array<[number, number]> = [];
    let sum = 0;
    for (let i = Math.floor(c - support) + 1; i <= Math.floor(c + support); i++) {
      const w = fn((i - c) / s);
      if (w === 0) continue;
      addTap(row, clampIndex(i, inSize), w);
      sum += w;
    }
    for (const e of row) e[1] /= sum;
    rows.push(row);
  }
  return rows;
}

function affineRows(inSize: number, outSize: number): SparseRows {
  const s = inSize / outSize;
  const rows: SparseRows = [];
  for (let o = 0; o < outSize; o++) {
    const c = o * s - 0.5;
    const f = Math.floor(c);
    const row: Array<[number, number]> = [];
    for (let i = f - 1; i <= f + 2; i++) {
      const w = catmullRom(i - c);
      if (w !== 0) addTap(row, clampIndex(i, inSize), w);
    }
    rows.push(row);
  }
  return rows;
}

function toAxisFilter(rows: SparseRows, inSize: number, boxK: number | null = null): AxisFilter {
  const outSize = rows.length;
  let taps = 1;
  for (const row of rows) {
    if (row.length === 0) continue;
    let lo = Infinity;
    let hi = -Infinity;
    for (const [i] of row) {
      if (i < lo) lo = i;
      if (i > hi) hi = i;
    }
    taps = Math.max(taps, hi - lo + 1);
  }
  taps = Math.min(taps, inSize);
  const first = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  rows.forEach((row, o) => {
    let lo = Infinity;
    for (const [i] of row) if (i < lo) lo = i;
    const start = Math.max(0, Math.min(Number.isFinite(lo) ? lo : 0, inSize - taps));
    first[o] = start;
    for (const [i, w] of row) {
      const at = o * taps + (i - start);
      weights[at] = (weights[at] ?? 0) + w;
    }
  });
  return { inSize, outSize, taps, first, weights, boxK };
}

/**
 * One axis as libvips processes it: an optional box shrink, an optional kernel reduce (each
 * rounded to 8 bits), and an optional affine stage shared with the other axis.
 */
export interface AxisPlan {
  readonly inSize: number;
  readonly outSize: number;
  readonly box: AxisFilter | null;
  readonly reduce: AxisFilter | null;
  readonly affine: AxisFilter | null;
}

function axisPlan(inSize: number, outSize: number, kernel: ResizeKernel, affine: boolean): AxisPlan {
  let box: AxisFilter | null = null;
  let reduce: AxisFilter | null = null;
  let size = inSize;
  if (outSize < inSize) {
    const s = inSize / outSize;
    const k = Math.floor(s / 2);
    if (k >= 2) {
      box = toAxisFilter(boxRows(inSize, k), inSize, k);
      size = box.outSize;
    }
    // The reduce after a box shrink uses the residual factor s / k, not boxSize / out
    // (measured: 1201 -> 300 matches to 1 grey level this way, 45 levels the other way).
    reduce = toAxisFilter(reduceRows(size, outSize, kernel, k >= 2 ? s / k : s), size);
    size = outSize;
  }
  return { inSize, outSize, box, reduce, affine: affine ? toAxisFilter(affineRows(size, outSize), size) : null };
}

export interface ResizeModel {
  readonly inWidth: number;
  readonly inHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
  readonly kernel: ResizeKernel;
  readonly horizontal: AxisPlan;
  readonly vertical: AxisPlan;
}

/** The stages of sharp's `resize(outW, outH, { fit: 'fill', kernel })` on an inW x inH image. */
export function resizeModel(inW: number, inH: number, outW: number, outH: number, kernel: ResizeKernel): ResizeModel {
  for (const [name, v] of [
    ['inW', inW],
    ['inH', inH],
    ['outW', outW],
    ['outH', outH],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`resizeModel: ${name} must be a positive integer, got ${v}`);
  }
  const affine = outW > inW || outH > inH;
  return {
    inWidth: inW,
    inHeight: inH,
    outWidth: outW,
    outHeight: outH,
    kernel,
    horizontal: axisPlan(inW, outW, kernel, affine),
    vertical: axisPlan(inH, outH, kernel, affine),
  };
}

/**
 * Horizontal pass over `rows` interleaved RGB rows of width f.inSize, giving rows of width
 * f.outSize, rounded to nearest and clamped to 0..255. `src` is float after an unclamped
 * vertical pass (the affine case).
 */
export function applyHorizontal(src: Uint8Array | Float32Array, rows: number, f: AxisFilter): Buffer {
  const inW = f.inSize;
  const outW = f.outSize;
  const taps = f.taps;
  const out = Buffer.allocUnsafe(rows * outW * 3);
  const { first, weights, boxK } = f;
  const toByte = boxK === null ? clampByte : (v: number) => boxRound(v, boxK);
  for (let y = 0; y < rows; y++) {
    const srcRow = y * inW * 3;
    const dstRow = y * outW * 3;
    if (taps === 4 && boxK === null) {
      // The bicubic affine stage, unrolled with the rounding inline: the hot path when enlarging.
      for (let x = 0; x < outW; x++) {
        const p = srcRow + (first[x] as number) * 3;
        const k = x * 4;
        const w0 = weights[k] as number, w1 = weights[k + 1] as number;
        const w2 = weights[k + 2] as number, w3 = weights[k + 3] as number;
        const d = dstRow + x * 3;
        let v =
          w0 * (src[p] as number) + w1 * (src[p + 3] as number) + w2 * (src[p + 6] as number) + w3 * (src[p + 9] as number);
        v = Math.round(v);
        out[d] = v < 0 ? 0 : v > 255 ? 255 : v;
        v = w0 * (src[p + 1] as number) + w1 * (src[p + 4] as number) + w2 * (src[p + 7] as number) + w3 * (src[p + 10] as number);
        v = Math.round(v);
        out[d + 1] = v < 0 ? 0 : v > 255 ? 255 : v;
        v = w0 * (src[p + 2] as number) + w1 * (src[p + 5] as number) + w2 * (src[p + 8] as number) + w3 * (src[p + 11] as number);
        v = Math.round(v);
        out[d + 2] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      continue;
    }
    for (let x = 0; x < outW; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let p = srcRow + (first[x] as number) * 3;
      const wBase = x * taps;
      for (let t = 0; t < taps; t++, p += 3) {
        const w = weights[wBase + t] as number;
        r += w * (src[p] as number);
        g += w * (src[p + 1] as number);
        b += w * (src[p + 2] as number);
      }
      const d = dstRow + x * 3;
      out[d] = toByte(r);
      out[d + 1] = toByte(g);
      out[d + 2] = toByte(b);
    }
  }
  return out;
}

/**
 * libvips' box shrink rounds its integer sum with a truncated 16-bit reciprocal,
 * ((sum + ⌊k/2⌋) · ⌊65536/k⌋) >> 16: round-half-up for k = 2 but plain floor for k = 3
 * (measured: mean difference 0.003 with this rule, 0.11 with Math.round).
 */
function boxRound(mean: number, k: number): number {
  const sum = Math.round(mean * k);
  return Math.floor(((sum + (k >> 1)) * Math.floor(65536 / k)) / 65536);
}

function clampByte(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * Vertical pass producing output rows [oStart, oEnd) of width `width` pixels from `src`, whose
 * first row is input row `srcFirstRow`.
 *
 * `clamp: true` rounds and clamps to 0..255 like libvips' uchar reducev; that clamping before the
 * horizontal pass matters next to sharp edges (Lanczos overshoots), so in the shrink case run this
 * pass first to agree with sharp. In the enlarge case libvips interpolates both axes in one
 * affine step without an intermediate clamp: pass `clamp: false` to get float rows.
 */
export function applyVertical(
  src: Uint8Array,
  width: number,
  srcFirstRow: number,
  f: AxisFilter,
  oStart: number,
  oEnd: number,
  clamp: true,
): Buffer;
export function applyVertical(
  src: Uint8Array,
  width: number,
  srcFirstRow: number,
  f: AxisFilter,
  oStart: number,
  oEnd: number,
  clamp: false,
): Float32Array;
export function applyVertical(
  src: Uint8Array,
  width: number,
  srcFirstRow: number,
  f: AxisFilter,
  oStart: number,
  oEnd: number,
  clamp: boolean,
): Buffer | Float32Array {
  const rowLen = width * 3;
  const taps = f.taps;
  const n = (oEnd - oStart) * rowLen;
  const outBytes = clamp ? Buffer.allocUnsafe(n) : null;
  const outFloat = clamp ? null : new Float32Array(n);
  const boxK = f.boxK;
  const toByte = boxK === null ? clampByte : (v: number) => boxRound(v, boxK);
  // Taps are taken 8 at a time with the loop over x innermost and the 8 weights in locals: about
  // 3x faster in V8 than one pass over the row per tap. Missing taps get weight 0 on a valid row.
  if (taps <= 4) return verticalFour(src, rowLen, srcFirstRow, f, oStart, oEnd, outBytes, outFloat, toByte);
  const groups = Math.ceil(taps / 8);
  const acc = groups > 1 ? new Float64Array(rowLen) : null;
  const w = new Float64Array(8);
  const off = new Int32Array(8);
  for (let o = oStart; o < oEnd; o++) {
    const base = (f.first[o] as number) - srcFirstRow;
    const dst = (o - oStart) * rowLen;
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < 8; j++) {
        const t = g * 8 + j;
        w[j] = t < taps ? (f.weights[o * taps + t] as number) : 0;
        off[j] = (base + (t < taps ? t : 0)) * rowLen;
      }
      const w0 = w[0] as number, w1 = w[1] as number, w2 = w[2] as number, w3 = w[3] as number;
      const w4 = w[4] as number, w5 = w[5] as number, w6 = w[6] as number, w7 = w[7] as number;
      const o0 = off[0] as number, o1 = off[1] as number, o2 = off[2] as number, o3 = off[3] as number;
      const o4 = off[4] as number, o5 = off[5] as number, o6 = off[6] as number, o7 = off[7] as number;
      const last = g === groups - 1;
      for (let x = 0; x < rowLen; x++) {
        let v =
          w0 * (src[o0 + x] as number) + w1 * (src[o1 + x] as number) + w2 * (src[o2 + x] as number) +
          w3 * (src[o3 + x] as number) + w4 * (src[o4 + x] as number) + w5 * (src[o5 + x] as number) +
          w6 * (src[o6 + x] as number) + w7 * (src[o7 + x] as number);
        if (acc !== null) {
          if (g > 0) v += acc[x] as number;
          if (!last) {
            acc[x] = v;
            continue;
          }
        }
        if (outBytes !== null) outBytes[dst + x] = toByte(v);
        else (outFloat as Float32Array)[dst + x] = v;
      }
    }
  }
  return (outBytes ?? outFloat) as Buffer | Float32Array;
}

/**
 * applyVertical for filters of at most 4 taps (the bicubic affine stage, short reduces): the same
 * sums in the same order as the 8-tap loop, whose extra taps only add zeros, at half the work.
 */
function verticalFour(
  src: Uint8Array,
  rowLen: number,
  srcFirstRow: number,
  f: AxisFilter,
  oStart: number,
  oEnd: number,
  outBytes: Buffer | null,
  outFloat: Float32Array | null,
  toByte: (v: number) => number,
): Buffer | Float32Array {
  const taps = f.taps;
  for (let o = oStart; o < oEnd; o++) {
    const base = (f.first[o] as number) - srcFirstRow;
    const dst = (o - oStart) * rowLen;
    const wt = (t: number): number => (t < taps ? (f.weights[o * taps + t] as number) : 0);
    const at = (t: number): number => (base + (t < taps ? t : 0)) * rowLen;
    const w0 = wt(0), w1 = wt(1), w2 = wt(2), w3 = wt(3);
    const o0 = at(0), o1 = at(1), o2 = at(2), o3 = at(3);
    if (outFloat !== null) {
      for (let x = 0; x < rowLen; x++) {
        outFloat[dst + x] = w0 * (src[o0 + x] as number) + w1 * (src[o1 + x] as number) + w2 * (src[o2 + x] as number) + w3 * (src[o3 + x] as number);
      }
    } else {
      const out = outBytes as Buffer;
      for (let x = 0; x < rowLen; x++) {
        out[dst + x] = toByte(w0 * (src[o0 + x] as number) + w1 * (src[o1 + x] as number) + w2 * (src[o2 + x] as number) + w3 * (src[o3 + x] as number));
      }
    }
  }
  return (outBytes ?? outFloat) as Buffer | Float32Array;
}

/** Input rows [start, end) that output rows [oStart, oEnd) of an axis filter read. */
export function inputSpan(f: AxisFilter, oStart: number, oEnd: number): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (let o = oStart; o < oEnd; o++) {
    const a = f.first[o] as number;
    if (a < start) start = a;
    if (a + f.taps > end) end = a + f.taps;
  }
  return { start, end };
}

function verticalStages(model: ResizeModel): AxisFilter[] {
  const v = model.vertical;
  return [v.box, v.reduce, v.affine].filter((f): f is AxisFilter => f !== null);
}

/** Source rows [start, end) needed for output rows [y0, y1): the filters' support is the margin. */
export function rowsNeeded(model: ResizeModel, y0: number, y1: number): { start: number; end: number } {
  let span = { start: y0, end: y1 };
  const stages = verticalStages(model);
  for (let i = stages.length - 1; i >= 0; i--) span = inputSpan(stages[i] as AxisFilter, span.start, span.end);
  return span;
}

/**
 * Shrinks `rows` rows of width `width` to `outWidth` horizontally (box + reduce stages only).
 * readRegionStrips passes sharp itself here, which runs exactly libvips' horizontal passes.
 */
export type HorizontalShrink = (data: Buffer, width: number, rows: number, outWidth: number) => Promise<Buffer>;

const asBuffer = (a: Uint8Array): Buffer => (Buffer.isBuffer(a) ? a : Buffer.from(a.buffer, a.byteOffset, a.byteLength));

/**
 * Output rows [y0, y1) of the modelled resize, from `slab`: interleaved RGB source rows of width
 * model.inWidth, the first being source row `slabFirstRow`, covering rowsNeeded(model, y0, y1).
 * Stage order and 8-bit rounding follow libvips: vertical box, vertical reduce, horizontal
 * box + reduce, then the affine stage (both axes, float in between). Rounding after the reduce,
 * before the affine, matters when one axis shrinks and the other grows (measured: 17 grey levels
 * off without it).
 */
export async function resampleRows(
  model: ResizeModel,
  slab: Uint8Array,
  slabFirstRow: number,
  y0: number,
  y1: number,
  shrinkHorizontally?: HorizontalShrink,
): Promise<Buffer> {
  const need = rowsNeeded(model, y0, y1);
  const slabRows = slab.length / (model.inWidth * 3);
  if (!Number.isInteger(slabRows) || need.start < slabFirstRow || need.end > slabFirstRow + slabRows) {
    throw new RangeError(
      `resampleRows: output rows [${y0}, ${y1}) need source rows [${need.start}, ${need.end}), ` +
        `got [${slabFirstRow}, ${slabFirstRow + slabRows})`,
    );
  }
  const v = model.vertical;
  const h = model.horizontal;
  // Output span of every vertical stage, computed backwards from [y0, y1).
  const stages = verticalStages(model);
  const spans = new Map<AxisFilter, { start: number; end: number }>();
  let span = { start: y0, end: y1 };
  for (let i = stages.length - 1; i >= 0; i--) {
    const f = stages[i] as AxisFilter;
    spans.set(f, span);
    span = inputSpan(f, span.start, span.end);
  }

  let data: Uint8Array = slab;
  let first = slabFirstRow;
  let width = model.inWidth;
  for (const f of [v.box, v.reduce]) {
    if (f === null) continue;
    const out = spans.get(f) as { start: number; end: number };
    data = applyVertical(data, width, first, f, out.start, out.end, true);
    first = out.start;
  }
  // Rows the horizontal passes work on: all of them up to the affine stage, else just [y0, y1).
  const hSpan = v.affine === null ? { start: y0, end: y1 } : inputSpan(v.affine, y0, y1);
  data = data.subarray((hSpan.start - first) * width * 3, (hSpan.end - first) * width * 3);
  first = hSpan.start;
  const rows = hSpan.end - hSpan.start;
  if (h.box !== null || h.reduce !== null) {
    if (shrinkHorizontally !== undefined) {
      data = await shrinkHorizontally(asBuffer(data), width, rows, (h.reduce ?? h.box)?.outSize ?? width);
    } else {
      if (h.box !== null) data = applyHorizontal(data, rows, h.box);
      if (h.reduce !== null) data = applyHorizontal(data, rows, h.reduce);
    }
    width = (h.reduce ?? h.box)?.outSize ?? width;
  }
  if (v.affine !== null && h.affine !== null) {
    const mid = applyVertical(data, width, first, v.affine, y0, y1, false);
    return applyHorizontal(mid, y1 - y0, h.affine);
  }
  return asBuffer(data);
}
