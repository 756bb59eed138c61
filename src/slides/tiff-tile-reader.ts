/**
 * The stored bytes of one tile of a JPEG-tiled TIFF, as a complete JPEG stream: what large_image's
 * tiff source hands out unchanged when the requested encoding is the stored one. Tiles that rely
 * on shared JPEGTables get them spliced in (tables without their EOI, then the tile without its
 * SOI), which is how large_image rebuilds a standalone JPEG from such a tile.
 */
import { open } from 'node:fs/promises';
import { fromFile } from 'geotiff';

interface TileIndex {
  offsets: number[];
  counts: number[];
  tables: Buffer | null;
  columns: number;
  rows: number;
}

/** Tile indexes of recently used files and IFDs (a few KB each). */
const indexes = new Map<string, Promise<TileIndex>>();
const MAX_INDEXES = 64;

function numbers(value: unknown, name: string): number[] {
  if (value === null || typeof value !== 'object' || !('length' in value)) throw new Error(`TIFF tag ${name} is missing`);
  return Array.from(value as ArrayLike<number>, Number);
}

async function loadIndex(path: string, ifd: number): Promise<TileIndex> {
  const tiff = await fromFile(path);
  try {
    const image = await tiff.getImage(ifd);
    if (!image.isTiled) throw new Error(`IFD ${ifd} of ${path} is not tiled`);
    const fd = image.fileDirectory;
    const compression = fd.getValue('Compression');
    if (compression !== 7) throw new Error(`IFD ${ifd} of ${path} is not JPEG-compressed (Compression ${String(compression)})`);
    const tables = fd.hasTag('JPEGTables') ? Buffer.from(numbers(await fd.loadValue('JPEGTables'), 'JPEGTables')) : null;
    return {
      offsets: numbers(await fd.loadValue('TileOffsets'), 'TileOffsets'),
      counts: numbers(await fd.loadValue('TileByteCounts'), 'TileByteCounts'),
      tables,
      columns: Math.ceil(image.getWidth() / image.getTileWidth()),
      rows: Math.ceil(image.getHeight() / image.getTileHeight()),
    };
  } finally {
    await tiff.close();
  }
}

function tileIndex(path: string, ifd: number): Promise<TileIndex> {
  const key = `${ifd}:${path}`;
  let p = indexes.get(key);
  if (p === undefined) {
    if (indexes.size >= MAX_INDEXES) indexes.delete(indexes.keys().next().value as string);
    p = loadIndex(path, ifd);
    indexes.set(key, p);
    p.catch(() => indexes.delete(key));
  }
  return p;
}

/**
 * Tile (tx, ty) of IFD `ifd`, or null when the IFD has no such tile. Errors for files that are
 * not JPEG-tiled TIFFs.
 */
export async function readStoredJpegTile(path: string, ifd: number, tx: number, ty: number): Promise<Buffer | null> {
  const index = await tileIndex(path, ifd);
  if (!Number.isInteger(tx) || !Number.isInteger(ty) || tx < 0 || ty < 0 || tx >= index.columns || ty >= index.rows) return null;
  const i = ty * index.columns + tx;
  const offset = index.offsets[i];
  const count = index.counts[i];
  if (offset === undefined || count === undefined || count === 0) return null;
  const fh = await open(path, 'r');
  let tile: Buffer;
  try {
    tile = Buffer.alloc(count);
    const { bytesRead } = await fh.read(tile, 0, count, offset);
    if (bytesRead !== count) throw new Error(`${path}: tile ${tx},${ty} of IFD ${ifd} is cut short (${bytesRead} of ${count} bytes)`);
  } finally {
    await fh.close();
  }
  if (index.tables === null || index.tables.length < 4) return tile;
  return Buffer.concat([index.tables.subarray(0, index.tables.length - 2), tile.subarray(2)]);
}
