/**
 * The two passes of pil-resample.ts (Pillow's fixed-point resize) in WebAssembly 128-bit SIMD,
 * with the same integer arithmetic, so the output is byte for byte the JavaScript one's (and
 * Pillow's). The module is assembled here at load time (wasm-emit.ts); where WebAssembly or SIMD
 * is missing, pilResampleRowsFast falls back to the JavaScript passes, which stay the reference.
 *
 * Exactness: the JavaScript passes rely on every partial sum staying within int32 (255 × 2^22 ×
 * the kernel's positive lobes < 2^31); under that bound i32 lane arithmetic (wrapping mul/add,
 * arithmetic shift) computes the same integers. The clamp to [0, 255] is a saturating narrow
 * i32 → i16 (the shifted sums are far inside i16) then a saturating unsigned narrow i16 → u8.
 *
 * Memory: the input rows are copied into one WebAssembly.Memory, both passes run there (the
 * intermediate rows never leave it) and the output rows are copied out. The memory grows to the
 * largest call seen and is kept for the next one (per thread: each worker has its own module).
 */
import { pilHorizontal, pilResampleRows, pilVertical, type PilAxis, type PilResize } from './pil-resample.js';
import { I32, V128, emitModule, type WasmFunction } from './wasm-emit.js';

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const PAGE = 65536;
/** Kernels read and write up to 15 bytes past a row's end (whole vectors): every region gets this slack. */
const SLACK = 16;

/**
 * Tap t of a pixel in both rows: w (local 15) = weight t at k (local 10), splatted; accA (12) +=
 * the pixel at pA (8) + 3·t widened to i32x4 × w; accB (13) the same at pB (11).
 */
function hTap(t: number): (string | number)[] {
  const acc = (a: number, p: number): (string | number)[] => [
    'local.get', a,
    'local.get', p, 'v128.load32_zero', 0, 3 * t, 'i16x8.extend_low_i8x16_u', 'i32x4.extend_low_i16x8_u',
    'local.get', 15, 'i32x4.mul', 'i32x4.add', 'local.set', a,
  ];
  return ['local.get', 10, 'v128.load32_splat', 2, 4 * t, 'local.set', 15, ...acc(12, 8), ...acc(13, 11)];
}

/** Rounds, shifts and clamps accumulator `a` to bytes and stores its r, g, b at local `dst` (3 bytes exactly). */
function hStore(a: number, dst: number): (string | number)[] {
  return [
    'local.get', a, 'i32.const', PRECISION_BITS, 'i32x4.shr_s', 'local.tee', a, 'local.get', a, 'i16x8.narrow_i32x4_s',
    'local.tee', a, 'local.get', a, 'i8x16.narrow_i16x8_u', 'local.set', a,
    'local.get', dst, 'local.get', a, 'v128.store16_lane', 0, 0, 0,
    'local.get', dst, 'local.get', a, 'v128.store8_lane', 0, 2, 2,
  ];
}

/**
 * hrow(srcA, srcB, dstA, dstB, ftab, fend, ctab, tapsBytes): two rows of the horizontal pass
 * (the same row twice for an odd one out), which share each weight load and the loop overhead.
 * For each output pixel, ftab holds (byte offset of its first tap in a row, taps × 3) and ctab its
 * weights (a row of `taps` int32 per pixel). A pixel is one i32x4 (r, g, b, next r): each tap
 * loads 4 bytes, widens them to i32 and adds them times the splatted weight; the lane past b is
 * never stored. Input rows may be read up to a byte past their end (the memory has slack there).
 */
const HROW: WasmFunction = {
  name: 'hrow',
  params: [I32, I32, I32, I32, I32, I32, I32, I32],
  results: [],
  // 8 pA, 9 end, 10 k, 11 pB: i32; 12 accA, 13 accB, 14 half, 15 w: v128.
  locals: [I32, I32, I32, I32, V128, V128, V128, V128],
  code: [
    'i32.const', HALF, 'i32x4.splat', 'local.set', 14,
    'block', 'loop',
    'local.get', 4, 'local.get', 5, 'i32.ge_u', 'br_if', 1,
    'local.get', 0, 'local.get', 4, 'i32.load', 2, 0, 'i32.add', 'local.tee', 8,
    'local.get', 4, 'i32.load', 2, 4, 'i32.add', 'local.set', 9,
    'local.get', 1, 'local.get', 4, 'i32.load', 2, 0, 'i32.add', 'local.set', 11,
    'local.get', 6, 'local.set', 10,
    'local.get', 14, 'local.set', 12,
    'local.get', 14, 'local.set', 13,
    // Four taps per turn while four are left (bicubic enlarging has exactly four), then one by one.
    'block', 'loop',
    'local.get', 8, 'i32.const', 12, 'i32.add', 'local.get', 9, 'i32.gt_u', 'br_if', 1,
    ...hTap(0), ...hTap(1), ...hTap(2), ...hTap(3),
    'local.get', 8, 'i32.const', 12, 'i32.add', 'local.set', 8,
    'local.get', 11, 'i32.const', 12, 'i32.add', 'local.set', 11,
    'local.get', 10, 'i32.const', 16, 'i32.add', 'local.set', 10,
    'br', 0,
    'end', 'end',
    'block', 'loop',
    'local.get', 8, 'local.get', 9, 'i32.ge_u', 'br_if', 1,
    ...hTap(0),
    'local.get', 8, 'i32.const', 3, 'i32.add', 'local.set', 8,
    'local.get', 11, 'i32.const', 3, 'i32.add', 'local.set', 11,
    'local.get', 10, 'i32.const', 4, 'i32.add', 'local.set', 10,
    'br', 0,
    'end', 'end',
    ...hStore(12, 2), ...hStore(13, 3),
    'local.get', 2, 'i32.const', 3, 'i32.add', 'local.set', 2,
    'local.get', 3, 'i32.const', 3, 'i32.add', 'local.set', 3,
    'local.get', 4, 'i32.const', 8, 'i32.add', 'local.set', 4,
    'local.get', 6, 'local.get', 7, 'i32.add', 'local.set', 6,
    'br', 0,
    'end', 'end',
  ],
};

/** acc (local a) += widened lane group of v (local half, extend op) × w (local 11). */
function vAccumulate(a: number, half: number, extend: string): (string | number)[] {
  return ['local.get', a, 'local.get', half, extend, 'local.get', 11, 'i32x4.mul', 'i32x4.add', 'local.set', a];
}

/** The rounded, shifted, narrowed sums of accumulators a and b as one i16x8. */
function vNarrow(a: number, b: number): (string | number)[] {
  return ['local.get', a, 'i32.const', PRECISION_BITS, 'i32x4.shr_s', 'local.get', b, 'i32.const', PRECISION_BITS, 'i32x4.shr_s', 'i16x8.narrow_i32x4_s'];
}

/**
 * vrow(tab, tend, dst, len): one output row of the vertical pass. tab holds (address of an input
 * row, weight) per tap; the row is done 16 bytes at a time, with four i32x4 accumulators kept in
 * locals over all taps, so any tap count costs no memory traffic beyond the loads.
 */
const VROW: WasmFunction = {
  name: 'vrow',
  params: [I32, I32, I32, I32],
  results: [],
  // 4 x, 5 p: i32; 6–9 accumulators, 10 v, 11 w, 12 lo, 13 hi, 14 half: v128.
  locals: [I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128],
  code: [
    'i32.const', HALF, 'i32x4.splat', 'local.set', 14,
    'i32.const', 0, 'local.set', 4,
    'block', 'loop',
    'local.get', 4, 'local.get', 3, 'i32.ge_u', 'br_if', 1,
    'local.get', 14, 'local.set', 6, 'local.get', 14, 'local.set', 7,
    'local.get', 14, 'local.set', 8, 'local.get', 14, 'local.set', 9,
    'local.get', 0, 'local.set', 5,
    'block', 'loop',
    'local.get', 5, 'local.get', 1, 'i32.ge_u', 'br_if', 1,
    'local.get', 5, 'v128.load32_splat', 2, 4, 'local.set', 11,
    'local.get', 5, 'i32.load', 2, 0, 'local.get', 4, 'i32.add', 'v128.load', 0, 0, 'local.tee', 10,
    'i16x8.extend_low_i8x16_u', 'local.set', 12,
    'local.get', 10, 'i16x8.extend_high_i8x16_u', 'local.set', 13,
    ...vAccumulate(6, 12, 'i32x4.extend_low_i16x8_u'),
    ...vAccumulate(7, 12, 'i32x4.extend_high_i16x8_u'),
    ...vAccumulate(8, 13, 'i32x4.extend_low_i16x8_u'),
    ...vAccumulate(9, 13, 'i32x4.extend_high_i16x8_u'),
    'local.get', 5, 'i32.const', 8, 'i32.add', 'local.set', 5,
    'br', 0,
    'end', 'end',
    'local.get', 2, 'local.get', 4, 'i32.add',
    ...vNarrow(6, 7), ...vNarrow(8, 9), 'i8x16.narrow_i16x8_u',
    'v128.store', 0, 0,
    'local.get', 4, 'i32.const', 16, 'i32.add', 'local.set', 4,
    'br', 0,
    'end', 'end',
  ],
};

/**
 * The parts of the WebAssembly JS API used here, typed locally: the project compiles without the
 * DOM library, and @types/node does not declare WebAssembly.
 */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The WebAssembly global of this runtime, if it has one. */
export function globalWasm(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

export interface Kernels {
  memory: WasmMemory;
  hrow: (srcA: number, srcB: number, dstA: number, dstB: number, ftab: number, fend: number, ctab: number, tapsBytes: number) => void;
  vrow: (tab: number, tend: number, dst: number, len: number) => void;
}

/** The module's bytes, assembled anew on each call (pilWasmKernels calls it once per thread). */
export function pilWasmModuleBytes(): Uint8Array {
  return emitModule([HROW, VROW], 1);
}

/**
 * The kernels, or null where `wa` (the WebAssembly global, a parameter so tests can take it
 * away) is missing, rejects the SIMD module or fails to instantiate it.
 */
export function loadPilWasm(wa: WasmApi | undefined): Kernels | null {
  try {
    if (wa === undefined || typeof wa.validate !== 'function') return null;
    const bytes = pilWasmModuleBytes();
    if (!wa.validate(bytes)) return null;
    const instance = new wa.Instance(new wa.Module(bytes), {});
    const e = instance.exports as unknown as Kernels;
    return { memory: e.memory, hrow: e.hrow, vrow: e.vrow };
  } catch {
    return null;
  }
}

let cached: Kernels | null | undefined;

/** This thread's kernels (loaded on first use), or null: then the JavaScript passes are used. */
export function pilWasmKernels(): Kernels | null {
  if (cached === undefined) cached = loadPilWasm(globalWasm());
  return cached;
}

/** The module's memory could not grow to a call's size (the runtime's limit, or the host's memory). */
export class WasmMemoryError extends Error {
  constructor(bytes: number, cause: unknown) {
    super(`pil-resample-wasm: cannot grow WebAssembly memory to ${bytes} bytes`, { cause });
  }
}

/** Bump allocation of 16-byte aligned regions in the module's memory, grown once before use. */
class Arena {
  private top = 0;
  constructor(private readonly k: Kernels) {}
  take(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil((bytes + SLACK) / 16) * 16;
    return at;
  }
  /** Grows the memory to hold everything taken; returns a byte view of it (valid until the next grow). */
  commit(): Uint8Array {
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) {
      try {
        this.k.memory.grow(Math.ceil((this.top - have) / PAGE));
      } catch (err) {
        throw new WasmMemoryError(this.top, err);
      }
    }
    return new Uint8Array(this.k.memory.buffer);
  }
}

/** Takes the horizontal pass's tables (first taps, weights) for axis h. */
function takeHTables(arena: Arena, h: PilAxis): { ftab: number; ctab: number } {
  return { ftab: arena.take(h.outSize * 8), ctab: arena.take(h.coeffs.length * 4) };
}

/** Fills the tables and runs the horizontal pass over `rows` rows at src → dst, all in memory. */
function runHorizontal(k: Kernels, h: PilAxis, tables: { ftab: number; ctab: number }, src: number, dst: number, rows: number): void {
  const { ftab, ctab } = tables;
  const f = new Int32Array(k.memory.buffer, ftab, h.outSize * 2);
  for (let o = 0; o < h.outSize; o++) {
    f[2 * o] = (h.first[o] as number) * 3;
    f[2 * o + 1] = (h.count[o] as number) * 3;
  }
  new Int32Array(k.memory.buffer, ctab, h.coeffs.length).set(h.coeffs);
  const inRow = h.inSize * 3;
  const outRow = h.outSize * 3;
  for (let y = 0; y < rows; y += 2) {
    const b = Math.min(y + 1, rows - 1);
    k.hrow(src + y * inRow, src + b * inRow, dst + y * outRow, dst + b * outRow, ftab, ftab + h.outSize * 8, ctab, h.taps * 4);
  }
}

/** Runs the vertical pass for output rows [y0, y1) from rows [srcTop, …) at src → dst, all in memory. */
function runVertical(k: Kernels, v: PilAxis, tab: number, src: number, srcTop: number, width: number, y0: number, y1: number, dst: number): void {
  const rowLen = width * 3;
  const t = new Int32Array(k.memory.buffer, tab, v.taps * 2);
  // Rows are written in order: each row's overshoot past its end is overwritten by the next row.
  for (let o = y0; o < y1; o++) {
    const n = v.count[o] as number;
    const firstRow = src + ((v.first[o] as number) - srcTop) * rowLen;
    for (let j = 0; j < n; j++) {
      t[2 * j] = firstRow + j * rowLen;
      t[2 * j + 1] = v.coeffs[o * v.taps + j] as number;
    }
    k.vrow(tab, tab + n * 8, dst + (o - y0) * rowLen, rowLen);
  }
}

function copyOut(mem: Uint8Array, at: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  out.set(mem.subarray(at, at + bytes));
  return out;
}

/** pilHorizontal with the WASM kernels (same arguments, same bytes). */
export function wasmHorizontal(k: Kernels, h: PilAxis, src: Buffer, rows: number): Buffer {
  const arena = new Arena(k);
  const inBytes = h.inSize * 3 * rows;
  const outBytes = h.outSize * 3 * rows;
  const s = arena.take(inBytes);
  const d = arena.take(outBytes);
  const tables = takeHTables(arena, h);
  arena.commit().set(src.subarray(0, inBytes), s);
  runHorizontal(k, h, tables, s, d, rows);
  return copyOut(new Uint8Array(k.memory.buffer), d, outBytes);
}

/** pilVertical with the WASM kernels (same arguments, same bytes). */
export function wasmVertical(k: Kernels, v: PilAxis, src: Buffer, srcTop: number, width: number, y0: number, y1: number): Buffer {
  const arena = new Arena(k);
  const rowLen = width * 3;
  const s = arena.take(src.length);
  const d = arena.take(rowLen * (y1 - y0));
  const tab = arena.take(v.taps * 8);
  arena.commit().set(src, s);
  runVertical(k, v, tab, s, srcTop, width, y0, y1, d);
  return copyOut(new Uint8Array(k.memory.buffer), d, rowLen * (y1 - y0));
}

/** pilResampleRows with the WASM kernels: both passes in the module's memory. */
export function wasmResampleRows(k: Kernels, model: PilResize, slab: Buffer, slabTop: number, slabRows: number, y0: number, y1: number): Buffer {
  const { h, v } = model;
  const arena = new Arena(k);
  const inBytes = h.inSize * 3 * slabRows;
  const wideRow = h.outSize * 3;
  const outBytes = wideRow * (y1 - y0);
  const s = arena.take(inBytes);
  const hSame = h.inSize === h.outSize;
  const wide = hSame ? s : arena.take(wideRow * slabRows);
  const tables = hSame ? null : takeHTables(arena, h);
  const vSame = v.inSize === v.outSize;
  const d = vSame ? 0 : arena.take(outBytes);
  const vtab = vSame ? 0 : arena.take(v.taps * 8);
  arena.commit().set(slab.subarray(0, inBytes), s);
  if (tables !== null) runHorizontal(k, h, tables, s, wide, slabRows);
  // An axis whose size does not change is skipped, as in pilResampleRows (and Pillow).
  if (vSame) return copyOut(new Uint8Array(k.memory.buffer), wide + (y0 - slabTop) * wideRow, outBytes);
  runVertical(k, v, vtab, wide, slabTop, h.outSize, y0, y1, d);
  return copyOut(new Uint8Array(k.memory.buffer), d, outBytes);
}

/**
 * pilResampleRows on the WASM kernels where they load, else (or when the module's memory cannot
 * grow to the call's size) on the JavaScript passes; `k` is a parameter so tests can exercise the
 * fallback.
 */
export function pilResampleRowsFast(
  model: PilResize, slab: Buffer, slabTop: number, slabRows: number, y0: number, y1: number,
  k: Kernels | null = pilWasmKernels(),
): Buffer {
  if (k !== null) {
    try {
      return wasmResampleRows(k, model, slab, slabTop, slabRows, y0, y1);
    } catch (err) {
      // Too large for the module's memory: the JavaScript passes give the same bytes in the heap.
      if (!(err instanceof WasmMemoryError)) throw err;
    }
  }
  return pilResampleRows(model, slab, slabTop, slabRows, y0, y1);
}

/** The JavaScript passes, re-exported for comparisons against these. */
export { pilHorizontal, pilVertical };
