/**
 * A codec for exactly one kind of PNG: 8-bit, one sample per pixel, as label masks are:
 * greyscale (colour type 0), or palette (colour type 3) whose indices are the labels.
 *
 * Why not sharp (measured in docs/benchmarks.md, "Mask PNG codecs"): for label masks zlib with
 * the run-length strategy writes 10–25 % smaller files than libvips' default at about the same
 * CPU for masks of 4 to 121 MPix (far less for S1's small masks, where libvips' cost per call
 * dominates), and decoding takes a quarter to a third of libvips' CPU. Encoding also streams: rows go
 * to the compressor in strips, so a 128-MPix mask never exists twice in memory (bcss holds the
 * decoded base mask and one strip of the output).
 *
 * Decoding handles 8-bit grey (and, if asked, palette) PNGs with any row filter, interlaced or
 * not, checking chunk CRCs and the decompressed size. Callers use label-png.ts, not this.
 */
import { once } from 'node:events';
import { constants as zc, crc32, createDeflate, deflate, deflateSync, inflate, inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import { IntegrityError } from '../errors.js';

const inflateAsync = promisify(inflate);
const deflateAsync = promisify(deflate);

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Scanline bytes handed to the compressor at once (before compression). */
const STRIP_BYTES = 4 << 20;

/** Up to this many scanline bytes, (de)compression runs on the calling thread: see its uses. */
const SYNC_BYTES = 2 << 20;

/**
 * A decoded 8-bit grey image kept as PNG scanlines: row y's pixels are
 * `data[y * stride + 1 … y * stride + 1 + width]` (the byte before each row is its filter type,
 * 0..4 after decoding). Keeping the layout saves a copy of the whole image.
 */
export interface GreyScanlines {
  data: Uint8Array;
  width: number;
  height: number;
  /** `width + 1`. */
  stride: number;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, colorType: 0 | 3): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = 8; // bit depth
  d[9] = colorType;
  // compression 0, filter method 0, no interlace: already zero
  return chunk('IHDR', d);
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 0x7fffffff) throw new RangeError(`PNG ${name} must be an integer from 1 to 2^31-1, got ${String(v)}`);
  }
}

/**
 * Writes output rows `y0 … y0 + rows − 1` into `buf`: row `y0 + r` goes to
 * `buf[r * stride + 1 … r * stride + 1 + width]` (the byte before each row is its filter type,
 * set by the encoder). Called for consecutive strips, in order, each row exactly once.
 */
export type RowFiller = (y0: number, rows: number, buf: Uint8Array, stride: number) => void;

const ZLIB_OPTIONS = { level: 6, strategy: zc.Z_RLE } as const;

/**
 * Encodes an 8-bit grey image whose rows come from `fillRow`. Rows are filtered with "None" and
 * compressed with zlib's run-length strategy (on the thread pool, off the main thread). An image
 * of up to STRIP_BYTES of scanlines is compressed in one call; a larger one streams through the
 * compressor in strips of about that size, so memory stays at one strip plus the compressed output.
 * With `palette` (RGB triples, at most 256) the file is a palette PNG whose indices are the rows.
 */
export async function encodeGreyRows(width: number, height: number, fillRow: RowFiller, palette?: Uint8Array): Promise<Buffer> {
  checkSize(width, height);
  if (palette !== undefined && (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 768)) {
    throw new RangeError(`a PNG palette holds 1 to 256 RGB triples, got ${palette.length} bytes`);
  }
  const stride = width + 1;
  const fill = (strip: Uint8Array, y0: number, rows: number): void => {
    for (let o = 0; o < rows * stride; o += stride) strip[o] = 0; // filter type None
    fillRow(y0, rows, strip, stride);
  };
  let idat: Buffer;
  if (stride * height <= SYNC_BYTES) {
    // Small (most masks): filled into a scratch buffer that is reused from mask to mask (no
    // allocation, so no garbage collection it would trigger) and compressed right here: deflating
    // ≤ 2 MiB of label rows takes about a millisecond, less than a trip through the thread pool.
    const all = scratch(stride * height);
    fill(all, 0, height);
    idat = deflateSync(all, ZLIB_OPTIONS);
  } else if (stride * height <= STRIP_BYTES) {
    const all = plainBytes(stride * height);
    fill(all, 0, height);
    idat = await deflateAsync(all, ZLIB_OPTIONS);
  } else {
    const rowsPerStrip = Math.max(1, Math.floor(STRIP_BYTES / stride));
    const deflate = createDeflate({ ...ZLIB_OPTIONS, chunkSize: 256 * 1024 });
    const out: Buffer[] = [];
    deflate.on('data', (c: Buffer) => out.push(c));
    const ended = once(deflate, 'end');
    // A failing compressor rejects `ended`; meanwhile nothing may go unhandled.
    ended.catch(() => undefined);
    for (let y0 = 0; y0 < height; y0 += rowsPerStrip) {
      const rows = Math.min(rowsPerStrip, height - y0);
      // A fresh strip each time: the compressor keeps a reference until it has consumed it.
      const strip = plainBytes(rows * stride);
      fill(strip, y0, rows);
      if (!deflate.write(strip)) await Promise.race([once(deflate, 'drain'), ended]);
    }
    deflate.end();
    await ended;
    idat = Buffer.concat(out);
  }
  const plte = palette === undefined ? [] : [chunk('PLTE', palette)];
  return Buffer.concat([SIGNATURE, ihdr(width, height, palette === undefined ? 0 : 3), ...plte, chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

let scratchBuffer: Uint8Array | null = null;

/** `n` bytes of the module's scratch buffer (valid until the next call: only for synchronous use). */
function scratch(n: number): Uint8Array {
  if (scratchBuffer === null || scratchBuffer.length < n) scratchBuffer = plainBytes(Math.max(n, 256 * 1024));
  return scratchBuffer.subarray(0, n);
}

/** Uninitialised bytes as a plain Uint8Array (not a Buffer): row fillers stay monomorphic. */
function plainBytes(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Encodes packed 8-bit grey pixels (`width × height` bytes, row-major); palette indices with `palette`. */
export function encodeGrey(pixels: Uint8Array, width: number, height: number, palette?: Uint8Array): Promise<Buffer> {
  checkSize(width, height);
  if (pixels.length !== width * height) throw new RangeError(`expected ${width * height} bytes for ${width}×${height} but received ${pixels.length}`);
  return encodeGreyRows(width, height, (y0, rows, buf, stride) => {
    for (let r = 0; r < rows; r++) buf.set(pixels.subarray((y0 + r) * width, (y0 + r + 1) * width), r * stride + 1);
  }, palette);
}

interface ParsedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  idat: Buffer;
  plte: Buffer | null;
}

/** Walks the chunks: IHDR first, CRCs right, IDATs consecutive, IEND last. */
function parseChunks(png: Uint8Array, label: string): ParsedPng {
  let plte: Buffer | null = null;
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const bad = (why: string): IntegrityError => new IntegrityError(`${label}: not a well-formed PNG (${why})`);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw bad('no PNG signature');
  let pos = 8;
  let header: Omit<ParsedPng, 'idat' | 'plte'> | null = null;
  const idat: Buffer[] = [];
  let idatDone = false;
  for (;;) {
    if (pos + 12 > buf.length) throw bad('it ends without an IEND chunk');
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + length;
    if (length > 0x7fffffff || end > buf.length) throw bad(`chunk ${JSON.stringify(type)} runs past the end of the file`);
    const data = buf.subarray(pos + 8, pos + 8 + length);
    if ((crc32(data, crc32(buf.subarray(pos + 4, pos + 8))) >>> 0) !== buf.readUInt32BE(pos + 8 + length)) {
      throw bad(`chunk ${JSON.stringify(type)} has a wrong CRC`);
    }
    if (header === null && type !== 'IHDR') throw bad('the first chunk is not IHDR');
    if (type === 'IHDR') {
      if (header !== null || length !== 13) throw bad('a second or malformed IHDR');
      header = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        bitDepth: data[8] as number,
        colorType: data[9] as number,
        interlace: data[12] as number,
      };
      if (data[10] !== 0 || data[11] !== 0) throw bad('unknown compression or filter method');
    } else if (type === 'IDAT') {
      if (idatDone) throw bad('IDAT chunks are not consecutive');
      idat.push(data);
    } else {
      if (idat.length > 0) idatDone = true;
      if (type === 'IEND') break;
      if (type === 'PLTE') plte = data;
      // Any other chunk is ancillary or irrelevant to grey pixels (PLTE is not allowed for type 0
      // but harmless); critical unknown chunks (upper-case first letter) cannot be skipped.
      if (type !== 'PLTE' && (type.charCodeAt(0) & 0x20) === 0) throw bad(`unknown critical chunk ${JSON.stringify(type)}`);
    }
    pos = end;
  }
  if (header === null) throw bad('no IHDR');
  if (idat.length === 0) throw bad('no IDAT');
  return { ...header, idat: Buffer.concat(idat), plte };
}

/** Undoes the PNG row filters in place (1 byte per pixel). */
function unfilter(data: Uint8Array, width: number, height: number, label: string): void {
  const stride = width + 1;
  for (let y = 0; y < height; y++) {
    const o = y * stride + 1;
    const up = o - stride; // previous row's first pixel (invalid for y = 0)
    const type = data[o - 1] as number;
    switch (type) {
      case 0:
        break;
      case 1:
        for (let x = 1; x < width; x++) data[o + x] = ((data[o + x] as number) + (data[o + x - 1] as number)) & 0xff;
        break;
      case 2:
        if (y > 0) for (let x = 0; x < width; x++) data[o + x] = ((data[o + x] as number) + (data[up + x] as number)) & 0xff;
        break;
      case 3:
        for (let x = 0; x < width; x++) {
          const a = x > 0 ? (data[o + x - 1] as number) : 0;
          const b = y > 0 ? (data[up + x] as number) : 0;
          data[o + x] = ((data[o + x] as number) + ((a + b) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let x = 0; x < width; x++) {
          const a = x > 0 ? (data[o + x - 1] as number) : 0;
          const b = y > 0 ? (data[up + x] as number) : 0;
          const c = x > 0 && y > 0 ? (data[up + x - 1] as number) : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          data[o + x] = ((data[o + x] as number) + pred) & 0xff;
        }
        break;
      default:
        throw new IntegrityError(`${label}: row ${y} has an unknown PNG filter type ${type}`);
    }
  }
}

/**
 * Decodes an 8-bit grey PNG into scanlines (an interlaced one is rearranged into the same
 * layout, at the cost of a second buffer). Throws IntegrityError for any other kind of PNG, for
 * a damaged one, and for one whose pixels would exceed `maxPixels` (checked before inflating).
 * With `allowPalette`, an 8-bit palette PNG decodes too: its indices, and its PLTE in `palette`.
 */
export async function decodeGreyScanlines(
  png: Uint8Array,
  label: string,
  maxPixels = Number.MAX_SAFE_INTEGER,
  allowPalette = false,
): Promise<GreyScanlines & { palette: Uint8Array | null }> {
  const p = parseChunks(png, label);
  const palette = allowPalette && p.colorType === 3;
  if (p.bitDepth !== 8 || (p.colorType !== 0 && !palette)) {
    const what = allowPalette ? '8-bit greyscale or 8-bit palette' : '8-bit greyscale';
    throw new IntegrityError(`${label}: the PNG is ${p.bitDepth}-bit colour type ${p.colorType}, not ${what}`);
  }
  if (palette && (p.plte === null || p.plte.length === 0 || p.plte.length % 3 !== 0)) {
    throw new IntegrityError(`${label}: a palette PNG without a well-formed PLTE chunk`);
  }
  if (p.interlace !== 0 && p.interlace !== 1) throw new IntegrityError(`${label}: unknown PNG interlace method ${p.interlace}`);
  checkSize(p.width, p.height);
  if (p.width * p.height > maxPixels) {
    throw new IntegrityError(`${label}: the PNG is ${p.width}×${p.height} px, more than the ${maxPixels} expected`);
  }
  const stride = p.width + 1;
  const interlaced = p.interlace === 1;
  const expected = interlaced ? adam7Bytes(p.width, p.height) : stride * p.height;
  let data: Uint8Array;
  try {
    // One byte more than expected: a longer stream is then reported as such, not cut silently.
    // One output chunk of that size: with the default 16 KiB chunks, collecting the pieces costs
    // five times the inflating itself.
    const options = { maxOutputLength: expected + 1, chunkSize: Math.max(64 * 1024, expected + 1) };
    data = expected <= SYNC_BYTES ? inflateSync(p.idat, options) : await inflateAsync(p.idat, options);
  } catch (err) {
    throw new IntegrityError(`${label}: the PNG's pixel data cannot be decompressed (${(err as Error).message})`, { cause: err });
  }
  if (data.length !== expected) {
    throw new IntegrityError(`${label}: the PNG's pixel data holds ${data.length} bytes, not the ${expected} its ${p.width}×${p.height} size needs`);
  }
  if (interlaced) data = deinterlace(data, p.width, p.height, label);
  else unfilter(data, p.width, p.height, label);
  return { data, width: p.width, height: p.height, stride, palette: palette ? new Uint8Array(p.plte as Buffer) : null };
}

/** Adam7's seven passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** A pass's size in pixels; an empty pass has no bytes at all, not even filter bytes. */
function passSize(width: number, height: number, [x0, y0, dx, dy]: (typeof ADAM7)[number]): [number, number] {
  return [Math.max(0, Math.ceil((width - x0) / dx)), Math.max(0, Math.ceil((height - y0) / dy))];
}

/** Decompressed bytes of an interlaced 8-bit one-sample image: each pass's filtered rows. */
function adam7Bytes(width: number, height: number): number {
  let n = 0;
  for (const pass of ADAM7) {
    const [pw, ph] = passSize(width, height, pass);
    if (pw > 0 && ph > 0) n += (pw + 1) * ph;
  }
  return n;
}

/** Unfilters each Adam7 pass and scatters its pixels into the non-interlaced scanline layout. */
function deinterlace(raw: Uint8Array, width: number, height: number, label: string): Uint8Array {
  const stride = width + 1;
  const out = new Uint8Array(stride * height); // filter bytes stay 0 ("None")
  let at = 0;
  for (const pass of ADAM7) {
    const [pw, ph] = passSize(width, height, pass);
    if (pw === 0 || ph === 0) continue;
    const bytes = raw.subarray(at, at + (pw + 1) * ph);
    unfilter(bytes, pw, ph, label);
    const [x0, y0, dx, dy] = pass;
    for (let py = 0; py < ph; py++) {
      const from = py * (pw + 1) + 1;
      const to = (y0 + py * dy) * stride + 1 + x0;
      for (let px = 0; px < pw; px++) out[to + px * dx] = bytes[from + px] as number;
    }
    at += (pw + 1) * ph;
  }
  return out;
}

/** Packs scanlines into `width × height` bytes. */
export function packScanlines(s: GreyScanlines): Uint8Array {
  const out = new Uint8Array(s.width * s.height);
  for (let y = 0; y < s.height; y++) out.set(s.data.subarray(y * s.stride + 1, y * s.stride + 1 + s.width), y * s.width);
  return out;
}
