/**
 * A writer for pyramidal, JPEG-compressed TIFF files (classic or BigTIFF) laid out like Aperio SVS
 * (base level tiled, then a stripped thumbnail, then the reduced levels). The caller supplies the
 * compressed tiles (complete baseline JPEG streams, one per tile) and the descriptions; this module
 * only knows TIFF structure: where the bytes go and which tags point at them.
 *
 * Layout: 8-byte header, then every image's data in order, then all IFDs at the end, and finally
 * the header's first-IFD offset is patched. Only offsets and byte counts stay in memory, so a
 * slide of any size streams through in tile-row chunks.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** A tiled image: `tile(tx, ty)` returns a complete JPEG of tileWidth × tileHeight pixels. */
export interface TiffTiledImage {
  kind: 'tiled';
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  description: string;
  newSubfileType?: number;
  /** The tiles of one row, in column order (so a caller can encode a row in parallel). */
  tileRow(ty: number, columns: number): Promise<Buffer[]>;
}

/** A stripped image stored as one strip: a complete JPEG of width × height pixels. */
export interface TiffStrippedImage {
  kind: 'stripped';
  width: number;
  height: number;
  description: string;
  newSubfileType?: number;
  jpeg: Buffer;
}

export type TiffImage = TiffTiledImage | TiffStrippedImage;

export interface JpegTiffOptions {
  /** YCbCrSubSampling of every JPEG given (must match the streams): [1, 1] for 4:4:4, [2, 2] for 4:2:0. */
  subsampling: readonly [number, number];
  /** Write BigTIFF (64-bit offsets, for files beyond 4 GiB); default classic TIFF. */
  bigTiff?: boolean;
}

/** What differs between classic TIFF and BigTIFF: header, entry and offset sizes. */
interface Layout {
  big: boolean;
  /** Bytes of the entry count, of one entry, of an inline value, of the next-IFD pointer. */
  countSize: number;
  entrySize: number;
  inline: number;
  maxOffset: number;
}

const CLASSIC: Layout = { big: false, countSize: 2, entrySize: 12, inline: 4, maxOffset: 0xffffffff };
const BIG: Layout = { big: true, countSize: 8, entrySize: 20, inline: 8, maxOffset: Number.MAX_SAFE_INTEGER };

const SHORT = 3;
const LONG = 4;
const ASCII = 2;
/** BigTIFF's 64-bit unsigned integer, for offsets and byte counts. */
const LONG8 = 16;

interface Entry {
  tag: number;
  type: typeof SHORT | typeof LONG | typeof ASCII | typeof LONG8;
  values: number[] | Buffer;
}

/** Where one image's data landed: tile or strip offsets and byte counts. */
interface Placed {
  image: TiffImage;
  offsets: number[];
  counts: number[];
}

function valueBytes(e: Entry): Buffer {
  if (Buffer.isBuffer(e.values)) return e.values;
  const size = e.type === SHORT ? 2 : e.type === LONG8 ? 8 : 4;
  const buf = Buffer.alloc(e.values.length * size);
  e.values.forEach((v, i) => {
    if (size === 2) buf.writeUInt16LE(v, i * 2);
    else if (size === 8) buf.writeBigUInt64LE(BigInt(v), i * 8);
    else buf.writeUInt32LE(v, i * 4);
  });
  return buf;
}

function entriesFor(p: Placed, options: JpegTiffOptions): Entry[] {
  const { image } = p;
  const offsetType = options.bigTiff === true ? LONG8 : LONG;
  const ascii = Buffer.from(`${image.description}\0`, 'latin1');
  const common: Entry[] = [
    { tag: 254, type: LONG, values: [image.newSubfileType ?? 0] },
    { tag: 256, type: LONG, values: [image.width] },
    { tag: 257, type: LONG, values: [image.height] },
    { tag: 258, type: SHORT, values: [8, 8, 8] },
    { tag: 259, type: SHORT, values: [7] }, // JPEG ("new style", TIFF Technical Note 2)
    { tag: 262, type: SHORT, values: [6] }, // YCbCr: the streams are JFIF, colour-converted by the decoder
    { tag: 270, type: ASCII, values: ascii },
    { tag: 277, type: SHORT, values: [3] },
    { tag: 284, type: SHORT, values: [1] },
    { tag: 530, type: SHORT, values: [options.subsampling[0], options.subsampling[1]] },
  ];
  if (image.kind === 'tiled') {
    common.push(
      { tag: 322, type: LONG, values: [image.tileWidth] },
      { tag: 323, type: LONG, values: [image.tileHeight] },
      { tag: 324, type: offsetType, values: p.offsets },
      { tag: 325, type: offsetType, values: p.counts },
    );
  } else {
    common.push(
      { tag: 273, type: offsetType, values: p.offsets },
      { tag: 278, type: LONG, values: [image.height] },
      { tag: 279, type: offsetType, values: p.counts },
    );
  }
  return common.sort((a, b) => a.tag - b.tag);
}

/** Write an unsigned count or offset of the layout's width (2/4 or 8 bytes). */
function writeUnsigned(buf: Buffer, value: number, at: number, width: number): void {
  if (width === 8) buf.writeBigUInt64LE(BigInt(value), at);
  else if (width === 4) buf.writeUInt32LE(value, at);
  else buf.writeUInt16LE(value, at);
}

/** Encode one IFD that starts at `at`: entries, next-IFD pointer, then the out-of-line values. */
function encodeIfd(entries: readonly Entry[], at: number, next: number, l: Layout): Buffer {
  const pointer = l.big ? 8 : 4;
  const head = l.countSize + entries.length * l.entrySize + pointer;
  const outOfLine: Buffer[] = [];
  let extra = head;
  const dir = Buffer.alloc(head);
  writeUnsigned(dir, entries.length, 0, l.countSize);
  entries.forEach((e, i) => {
    const bytes = valueBytes(e);
    const o = l.countSize + i * l.entrySize;
    dir.writeUInt16LE(e.tag, o);
    dir.writeUInt16LE(e.type, o + 2);
    writeUnsigned(dir, e.values.length, o + 4, pointer);
    const valueAt = o + 4 + pointer;
    if (bytes.length <= l.inline) {
      bytes.copy(dir, valueAt);
    } else {
      const pos = at + extra;
      if (pos > l.maxOffset) throw new RangeError(`TIFF tag ${e.tag} lies beyond 4 GiB; a classic TIFF cannot hold it`);
      writeUnsigned(dir, pos, valueAt, pointer);
      const padded = bytes.length % 2 === 1 ? Buffer.concat([bytes, Buffer.alloc(1)]) : bytes; // word alignment
      outOfLine.push(padded);
      extra += padded.length;
    }
  });
  writeUnsigned(dir, next, head - pointer, pointer);
  return Buffer.concat([dir, ...outOfLine]);
}

/** Sequential writes through a 1 MiB buffer, tracking the file position. */
class Sink {
  position = 0;
  private chunks: Buffer[] = [];
  private pending = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly maxOffset: number,
  ) {}

  async write(buf: Buffer): Promise<number> {
    const at = this.position;
    if (at + buf.length > this.maxOffset) {
      throw new RangeError(
        `the TIFF would exceed 4 GiB (${at + buf.length} bytes); classic TIFF offsets cannot reach that far (write BigTIFF instead)`,
      );
    }
    this.chunks.push(buf);
    this.pending += buf.length;
    this.position += buf.length;
    if (this.pending >= 1 << 20) await this.flush();
    return at;
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.pending = 0;
    await this.fh.write(data, 0, data.length, this.position - data.length);
  }
}

function checkImage(image: TiffImage, index: number): void {
  const dims = image.kind === 'tiled' ? [image.width, image.height, image.tileWidth, image.tileHeight] : [image.width, image.height];
  if (!dims.every((v) => Number.isSafeInteger(v) && v >= 1 && v <= 0xffffffff)) {
    throw new RangeError(`TIFF image ${index}: sizes must be positive integers, got ${dims.join(', ')}`);
  }
  if (image.kind === 'tiled' && (image.tileWidth % 16 !== 0 || image.tileHeight % 16 !== 0)) {
    throw new RangeError(`TIFF image ${index}: tile sizes must be multiples of 16 (TIFF 6.0), got ${image.tileWidth}x${image.tileHeight}`);
  }
  // TIFF ASCII: 7-bit, and NUL would end the value early.
  if ([...image.description].some((c) => c.charCodeAt(0) === 0 || c.charCodeAt(0) > 0x7f)) {
    throw new RangeError(`TIFF image ${index}: the description must be 7-bit ASCII without NUL`);
  }
}

async function placeImage(sink: Sink, image: TiffImage): Promise<Placed> {
  if (image.kind === 'stripped') {
    const at = await sink.write(image.jpeg);
    return { image, offsets: [at], counts: [image.jpeg.length] };
  }
  const columns = Math.ceil(image.width / image.tileWidth);
  const rows = Math.ceil(image.height / image.tileHeight);
  const offsets: number[] = [];
  const counts: number[] = [];
  for (let ty = 0; ty < rows; ty++) {
    const tiles = await image.tileRow(ty, columns);
    if (tiles.length !== columns) throw new Error(`tile row ${ty}: expected ${columns} tiles, got ${tiles.length}`);
    for (const tile of tiles) {
      offsets.push(await sink.write(tile));
      counts.push(tile.length);
    }
  }
  return { image, offsets, counts };
}

/**
 * Write `images` (in IFD order) to `path` as a little-endian classic TIFF (or BigTIFF) and fsync it.
 * The file is created or truncated; callers wanting atomicity write to a temp name and rename.
 */
export async function writeJpegTiff(path: string, images: readonly TiffImage[], options: JpegTiffOptions): Promise<void> {
  if (images.length === 0) throw new RangeError('writeJpegTiff: at least one image is needed');
  images.forEach(checkImage);
  const layout = options.bigTiff === true ? BIG : CLASSIC;
  const fh = await open(path, 'w');
  try {
    const sink = new Sink(fh, layout.maxOffset);
    // II, 42, first-IFD offset (patched last); BigTIFF: II, 43, offset size 8, 0, offset (8 bytes).
    const header = layout.big ? Buffer.from([0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) : Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
    await sink.write(header);
    const placed: Placed[] = [];
    for (const image of images) placed.push(await placeImage(sink, image));
    if (sink.position % 2 === 1) await sink.write(Buffer.alloc(1));

    // IFD sizes do not depend on where they sit, so lay them out first, then encode for real.
    const entries = placed.map((p) => entriesFor(p, options));
    const sizes = entries.map((e) => encodeIfd(e, 0, 0, layout).length);
    const starts: number[] = [];
    let at = sink.position;
    for (const size of sizes) {
      starts.push(at);
      at += size;
    }
    for (let i = 0; i < entries.length; i++) {
      await sink.write(encodeIfd(entries[i] as Entry[], starts[i] as number, starts[i + 1] ?? 0, layout));
    }
    await sink.flush();
    const first = Buffer.alloc(layout.big ? 8 : 4);
    writeUnsigned(first, starts[0] as number, 0, first.length);
    await fh.write(first, 0, first.length, layout.big ? 8 : 4);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
