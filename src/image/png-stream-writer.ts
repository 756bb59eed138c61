import { constants as zlibConstants, createDeflate, crc32 } from 'node:zlib';

export interface PngStreamInfo {
  width: number;
  height: number;
  /** 3 = RGB (colour type 2); 4 = RGBA with alpha 255 (colour type 6), as large_image sends resampled regions. */
  channels: 3 | 4;
  /** zlib level; large_image's PIL encoder uses 2. */
  compressionLevel?: number;
  /**
   * zlib strategy, default Z_RLE: on "Up"-filtered slide pixels, matches beyond the previous
   * byte are rare, so run-length matching alone deflates about twice as fast as level 2's default
   * strategy for files within 1 % of its size (the 151 demo ROIs: +0.3 %). Lossless either way.
   */
  strategy?: number;
}

/** Rows of interleaved 8-bit RGB, top to bottom. */
export interface RgbRows {
  height: number;
  data: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IDAT_TARGET = 256 * 1024;
/** The byte order of a Uint32Array word in memory (the pixel word below is assembled for it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(data, crc32(Buffer.from(type, 'latin1'))), 8 + data.length);
  return out;
}

/**
 * Filter "Up" for the rows of a strip into `out` (each row: filter byte 2, then the differences to
 * the row above; `prior` is the row above the strip). RGBA gets alpha 255, whose Up difference is
 * 0 except against the zero row above the image. RGBA pixels are assembled as one 32-bit word in a
 * scratch row and copied in (the row after the filter byte is not 4-byte aligned): one store
 * instead of four per pixel, a third of the filter's time.
 */
function upFilterStrip(data: Buffer, prior: Buffer, out: Buffer, width: number, height: number, channels: 3 | 4, imageTop: boolean): void {
  const rowIn = width * 3;
  const rowOut = 1 + width * channels;
  // Plain Uint8Array views: one element kind in the hot loops, whatever Buffer subclass came in.
  const src = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const above = new Uint8Array(prior.buffer, prior.byteOffset, prior.length);
  const dst = new Uint8Array(out.buffer, out.byteOffset, out.length);
  const scratch = channels === 4 ? new Uint32Array(width) : null;
  const scratchBytes = scratch === null ? null : new Uint8Array(scratch.buffer);
  for (let r = 0; r < height; r++) {
    const s = r * rowIn;
    const up = r === 0 ? above : src;
    const u = r === 0 ? 0 : s - rowIn;
    const base = r * rowOut;
    dst[base] = 2; // filter type Up
    if (scratch === null || scratchBytes === null) {
      for (let i = 0; i < rowIn; i++) dst[base + 1 + i] = ((src[s + i] as number) - (up[u + i] as number)) & 0xff;
      continue;
    }
    const alpha = imageTop && r === 0 ? 255 : 0;
    if (LITTLE_ENDIAN) {
      const a = alpha << 24;
      for (let x = 0, i = s, j = u; x < width; x++, i += 3, j += 3) {
        scratch[x] =
          (((src[i] as number) - (up[j] as number)) & 0xff) |
          ((((src[i + 1] as number) - (up[j + 1] as number)) & 0xff) << 8) |
          ((((src[i + 2] as number) - (up[j + 2] as number)) & 0xff) << 16) |
          a;
      }
    } else {
      for (let x = 0, i = s, j = u, d = 0; x < width; x++, i += 3, j += 3, d += 4) {
        scratchBytes[d] = ((src[i] as number) - (up[j] as number)) & 0xff;
        scratchBytes[d + 1] = ((src[i + 1] as number) - (up[j + 1] as number)) & 0xff;
        scratchBytes[d + 2] = ((src[i + 2] as number) - (up[j + 2] as number)) & 0xff;
        scratchBytes[d + 3] = alpha;
      }
    }
    dst.set(scratchBytes, base + 1);
  }
}

/**
 * A PNG encoder that never holds the whole image: IHDR, then strips of rows through filter "Up"
 * into one streaming deflate, emitted as IDAT chunks of about 256 KiB, then IEND. Used for huge
 * `tiles/region` answers, so serving a 100+ megapixel region costs a few strips of memory.
 */
export async function* pngStream(info: PngStreamInfo, strips: AsyncIterable<RgbRows>): AsyncGenerator<Buffer> {
  const { width, height, channels } = info;
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new RangeError(`pngStream: expected a positive integer size but received ${width} x ${height}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2;
  yield Buffer.concat([SIGNATURE, chunk('IHDR', ihdr)]);

  const deflate = createDeflate({ level: info.compressionLevel ?? 2, strategy: info.strategy ?? zlibConstants.Z_RLE });
  const pending: Buffer[] = [];
  let pendingLength = 0;
  deflate.on('data', (b: Buffer) => {
    pending.push(b);
    pendingLength += b.length;
  });
  const failed = new Promise<never>((_, reject) => deflate.once('error', reject));
  failed.catch(() => undefined);
  const takeIdat = (): Buffer => {
    const data = Buffer.concat(pending, pendingLength);
    pending.length = 0;
    pendingLength = 0;
    return chunk('IDAT', data);
  };

  const rowIn = width * 3;
  const rowOut = 1 + width * channels;
  // The last RGB row of the previous strip (all zero above the first row): filter Up's "prior row".
  // Within a strip the prior row is read from the strip itself, so rows are never copied.
  let prior = Buffer.alloc(rowIn);
  let rows = 0;
  try {
    for await (const strip of strips) {
      if (strip.data.length !== strip.height * rowIn) {
        throw new RangeError(`pngStream: a strip of ${strip.height} rows needs ${strip.height * rowIn} bytes, got ${strip.data.length}`);
      }
      if (rows + strip.height > height) throw new RangeError(`pngStream: more than ${height} rows`);
      const out = Buffer.allocUnsafe(strip.height * rowOut);
      upFilterStrip(strip.data, prior, out, width, strip.height, channels, rows === 0);
      if (strip.height > 0) prior = Buffer.from(strip.data.subarray((strip.height - 1) * rowIn, strip.height * rowIn));
      rows += strip.height;
      await Promise.race([new Promise<void>((resolve) => deflate.write(out, () => resolve())), failed]);
      if (pendingLength >= IDAT_TARGET) yield takeIdat();
    }
    if (rows !== height) throw new RangeError(`pngStream: expected ${height} rows but received ${rows}`);
    await Promise.race([new Promise<void>((resolve) => deflate.end(() => resolve())), failed]);
    await Promise.race([new Promise<void>((resolve) => (deflate.readableEnded ? resolve() : deflate.once('end', resolve))), failed]);
    if (pendingLength > 0) yield takeIdat();
    yield chunk('IEND', Buffer.alloc(0));
  } finally {
    deflate.destroy();
  }
}
