/**
 * A tiny WebAssembly binary emitter: just enough of the format (types, functions, one exported
 * memory, i32 and 128-bit SIMD instructions) to assemble small numeric kernels in TypeScript at
 * load time, so the package ships no binary blobs and needs no toolchain. Instructions are written
 * as readable names looked up in an opcode table; the byte values are the WebAssembly 2.0 spec's.
 */

/** Value types: i32 and v128 are all the kernels use. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** Plain opcodes (one byte). */
const OPS: Record<string, number> = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  br_if: 0x0d,
  end: 0x0b,
  'local.get': 0x20,
  'local.set': 0x21,
  'local.tee': 0x22,
  'i32.load': 0x28,
  'i32.store': 0x36,
  'i32.const': 0x41,
  'i32.eqz': 0x45,
  'i32.lt_u': 0x49,
  'i32.gt_u': 0x4b,
  'i32.ge_u': 0x4f,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
};

/** 128-bit SIMD opcodes (prefix 0xfd, then the LEB128 number). */
const SIMD: Record<string, number> = {
  'v128.load': 0x00,
  'v128.load32_splat': 0x09,
  'v128.store': 0x0b,
  'i32x4.splat': 0x11,
  'i32x4.extract_lane': 0x1b,
  'v128.store8_lane': 0x58,
  'v128.store16_lane': 0x59,
  'v128.load32_zero': 0x5c,
  'i8x16.narrow_i16x8_u': 0x66,
  'i16x8.narrow_i32x4_s': 0x85,
  'i16x8.extend_low_i8x16_u': 0x89,
  'i16x8.extend_high_i8x16_u': 0x8a,
  'i32x4.extend_low_i16x8_u': 0xa9,
  'i32x4.extend_high_i16x8_u': 0xaa,
  'i32x4.shr_s': 0xac,
  'i32x4.add': 0xae,
  'i32x4.mul': 0xb5,
};

/** Memory instructions take a memarg (alignment exponent, offset); these names do. */
const MEMARG = new Set(['i32.load', 'i32.store', 'v128.load', 'v128.load32_splat', 'v128.store', 'v128.load32_zero']);
/** Instructions with one LEB128 immediate (a local, a label depth, a lane, an i32). */
/** Lane stores take a memarg and a lane index. */
const LANE_MEMARG = new Set(['v128.store8_lane', 'v128.store16_lane']);
const IMMEDIATE = new Set(['local.get', 'local.set', 'local.tee', 'br', 'br_if', 'i32x4.extract_lane']);

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * Assembles a function body from a flat list: an instruction name, followed by its immediates as
 * numbers (`'local.get', 2`, `'i32.const', -5`, `'v128.load', 0, 16` = align, offset;
 * `'block'`/`'loop'` take no type: they are always void). `v128.const` is not needed: constants
 * are splatted from i32.
 */
export function assemble(code: (string | number)[]): number[] {
  const out: number[] = [];
  let i = 0;
  const imm = (): number => {
    const v = code[i++];
    if (typeof v !== 'number') throw new Error(`wasm-emit: expected an immediate, got ${String(v)}`);
    return v;
  };
  while (i < code.length) {
    const name = code[i++];
    if (typeof name !== 'string') throw new Error(`wasm-emit: stray immediate ${name}`);
    if (name in OPS) out.push(OPS[name] as number);
    else if (name in SIMD) out.push(0xfd, ...uleb(SIMD[name] as number));
    else throw new Error(`wasm-emit: unknown instruction ${name}`);
    if (name === 'block' || name === 'loop') out.push(0x40);
    else if (name === 'i32.const') out.push(...sleb(imm()));
    else if (MEMARG.has(name)) out.push(...uleb(imm()), ...uleb(imm()));
    else if (LANE_MEMARG.has(name)) out.push(...uleb(imm()), ...uleb(imm()), imm());
    else if (IMMEDIATE.has(name)) out.push(...uleb(imm()));
  }
  return out;
}

export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  /** Extra locals after the parameters, by type. */
  locals: number[];
  code: (string | number)[];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** A module of `fns` (each exported under its name) and one memory exported as `memory`. */
export function emitModule(fns: WasmFunction[], memoryPages: number): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const funcs = fns.map((_, i) => uleb(i));
  const memory = [[0x00, ...uleb(memoryPages)]];
  const exports = [...fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]), [...name('memory'), 0x02, 0x00]];
  const bodies = fns.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const body = [...locals, ...assemble(f.code), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs)),
    ...section(5, vec(memory)),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
