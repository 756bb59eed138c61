import { createDeflate, crc32 } from 'node:zlib';

export interface PngStreamInfo {
  width: number;
  height: number;
  /** 3 = RGB (colour type 2); 4 = RGBA with alpha 255 (colour type 6), as large_image sends resampled regions. */
  channels: 3 | 4;
  /** zlib level; large_image's PIL encoder uses 2. */
  compressionLevel?: number;
}

/** Rows of interleaved 8-bit RGB, top to bottom. */
export interface RgbRows {
  height: number;
  data: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IDAT_TARGET = 256 * 1024;

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(data, crc32(Buffer.from(type, 'latin1'))), 8 + data.length);
  return out;
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

  const deflate = createDeflate({ level: info.compressionLevel ?? 2 });
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
  let prev = Buffer.alloc(width * channels); // the row above the first is all zero
  let cur = Buffer.alloc(width * channels);
  let rows = 0;
  try {
    for await (const strip of strips) {
      if (strip.data.length !== strip.height * rowIn) {
        throw new RangeError(`pngStream: a strip of ${strip.height} rows needs ${strip.height * rowIn} bytes, got ${strip.data.length}`);
      }
      if (rows + strip.height > height) throw new RangeError(`pngStream: more than ${height} rows`);
      const out = Buffer.alloc(strip.height * rowOut);
      for (let r = 0; r < strip.height; r++) {
        const src = r * rowIn;
        if (channels === 3) {
          strip.data.copy(cur, 0, src, src + rowIn);
        } else {
          for (let x = 0, s = src, d = 0; x < width; x++, s += 3, d += 4) {
            cur[d] = strip.data[s] as number;
            cur[d + 1] = strip.data[s + 1] as number;
            cur[d + 2] = strip.data[s + 2] as number;
            cur[d + 3] = 255;
          }
        }
        const base = r * rowOut;
        out[base] = 2; // filter type Up
        for (let i = 0; i < cur.length; i++) out[base + 1 + i] = ((cur[i] as number) - (prev[i] as number)) & 0xff;
        [prev, cur] = [cur, prev];
      }
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
