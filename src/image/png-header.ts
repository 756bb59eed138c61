/**
 * A PNG's size and pixel format from its first 33 bytes (docs/imaging.md#png-header-checks), without decoding:
 * used for the mask-size rule, for resume/skip checks, and to refuse palette or 16-bit masks and
 * HTML/JSON error pages saved under a .png name before anything is decoded.
 */
import { IntegrityError } from '../errors.js';

export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample (per palette index for colour type 3). */
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  /** 0 none, 1 Adam7. */
  interlace: number;
}

/** Signature (8) + IHDR length (4) + type (4) + data (13) + CRC (4). */
export const PNG_HEADER_BYTES = 33;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bit depths the PNG spec allows for each colour type. */
const ALLOWED_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, the one PNG and zlib use); the table is built on first use, not at import. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A short, printable picture of what a non-PNG starts with, plus a guess at what it is. */
function describeStart(buf: Uint8Array): string {
  const head = buf.subarray(0, 32);
  let text = '';
  let printable = true;
  for (const b of head) {
    if (b === 0x09 || b === 0x0a || b === 0x0d) text += ' ';
    else if (b >= 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else {
      printable = false;
      break;
    }
  }
  const shown = printable
    ? `'${text.trimEnd()}'`
    : `bytes ${Array.from(buf.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  const first = text.trimStart()[0];
  const guess =
    buf[0] === 0xff && buf[1] === 0xd8
      ? ' (a JPEG)'
      : first === '<'
        ? ' (an HTML/XML page, probably an error or login page)'
        : first === '{' || first === '['
          ? ' (JSON, probably an API error)'
          : '';
  return `${shown}${guess}`;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function fail(message: string, actual: string): never {
  throw new IntegrityError(message, { expected: 'a PNG file', actual });
}

/** Read and check the PNG signature and IHDR chunk; throws IntegrityError saying what was found. */
export function readPngHeader(buf: Uint8Array): PngHeader {
  if (buf.length === 0) fail('not a PNG: empty (0 bytes)', '0 bytes');
  const n = Math.min(buf.length, SIGNATURE.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== SIGNATURE[i]) {
      const what = describeStart(buf);
      fail(`not a PNG: starts with ${what}`, what);
    }
  }
  if (buf.length < PNG_HEADER_BYTES) {
    fail(`truncated PNG header: ${buf.length} of ${PNG_HEADER_BYTES} bytes`, `${buf.length} bytes`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, PNG_HEADER_BYTES);
  const length = view.getUint32(8);
  const type = String.fromCharCode(...buf.subarray(12, 16));
  if (type !== 'IHDR') fail(`bad PNG: first chunk is ${JSON.stringify(type)}, expected "IHDR"`, `chunk ${type}`);
  if (length !== 13) fail(`bad PNG: IHDR length ${length}, expected 13`, `IHDR length ${length}`);
  const stored = view.getUint32(29);
  const computed = crc32(buf.subarray(12, 29));
  if (stored !== computed) {
    fail(`bad IHDR CRC: stored ${hex(stored)}, computed ${hex(computed)}`, `CRC ${hex(stored)}`);
  }

  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = buf[24] as number;
  const colorType = buf[25] as number;
  const [compression, filter, interlace] = [buf[26] as number, buf[27] as number, buf[28] as number];
  // The spec caps dimensions at 2^31 - 1; 0 is never valid.
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    fail(`invalid PNG size ${width} x ${height}`, `${width} x ${height}`);
  }
  const depths = ALLOWED_DEPTHS[colorType];
  if (depths === undefined) fail(`invalid PNG colour type ${colorType}`, `colour type ${colorType}`);
  if (!depths.includes(bitDepth)) {
    fail(`invalid PNG bit depth ${bitDepth} for colour type ${colorType}`, `depth ${bitDepth}, type ${colorType}`);
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    fail(
      `invalid PNG IHDR: compression ${compression}, filter ${filter}, interlace ${interlace}`,
      `compression ${compression}, filter ${filter}, interlace ${interlace}`,
    );
  }
  return { width, height, bitDepth, colorType, interlace };
}
