/**
 * What the demo DSA renders from: the stored tiles of the demo slide file, decoded. A real DSA
 * renders from the very SVS file that GDC serves (the same JPEG tiles), so the demo DSA reads the
 * same JPEG bytes its slide files hold at each stored level (demoStoredTile), and a region
 * rendered locally from the served file (`bcss extract`) starts from identical pixels.
 *
 * The slide file itself is not needed: every tile is a function of (downsample, position modulo
 * the mirrored tiling's period), encoded once per process and shared with the TIFF writer, so the
 * DSA answers the same pixels whether or not the file has been made (or, beyond the demo's pixel
 * budget, will ever be made). Decoded tiles are cached too, bounded in bytes.
 */
import sharp from 'sharp';
import type { RawPixels, SlideSource, StoredLevel } from '../../slides/types.js';
import { validateReadRect, type Rect } from '../../slides/validate-rect.js';
import { demoStoredTile, demoTileKey } from './demo-slide-tiff.js';
import type { ServedSlideImage } from '../dataset-types.js';
import { DEMO_TILE_SIZE, demoSlideGeometry, type DemoSlideSpec } from './demo-slide.js';
import { BoundedBufferCache } from './bounded-buffer-cache.js';

/** Bound on the decoded tiles kept per process (FIFO beyond it): ~380 tiles of 240 × 240 RGB. */
export const DECODED_TILE_CACHE_BYTES = 64 << 20;

const decodedCaches = new WeakMap<RawPixels, BoundedBufferCache>();

function decodedCache(base: RawPixels): BoundedBufferCache {
  let c = decodedCaches.get(base);
  if (c === undefined) {
    c = new BoundedBufferCache(DECODED_TILE_CACHE_BYTES);
    decodedCaches.set(base, c);
  }
  return c;
}

const T = DEMO_TILE_SIZE;

/** Decode one stored tile to T × T interleaved RGB (libjpeg, as libtiff decodes it in the file). */
async function decodeTile(jpeg: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  if (info.width !== T || info.height !== T || info.channels !== 3) {
    throw new Error(`demo tile decoded to ${info.width}x${info.height}x${info.channels}, expected ${T}x${T}x3`);
  }
  return data;
}

/** Tile (tx, ty) of downsample `d`, decoded, shared by every demo slide over `base`. */
export function demoDecodedTile(base: RawPixels, d: number, tx: number, ty: number): Promise<Buffer> {
  return decodedCache(base).get(demoTileKey(base, d, tx, ty), async () => decodeTile(await demoStoredTile(base, d, tx, ty)));
}

/** Copy the part of decoded tile (tx, ty) inside `rect` into `out` (rect-sized RGB). */
function blit(tile: Buffer, tx: number, ty: number, rect: Rect, out: Buffer): void {
  const x0 = Math.max(rect.left, tx * T);
  const x1 = Math.min(rect.left + rect.width, (tx + 1) * T);
  const y0 = Math.max(rect.top, ty * T);
  const y1 = Math.min(rect.top + rect.height, (ty + 1) * T);
  const rowLen = rect.width * 3;
  for (let y = y0; y < y1; y++) {
    const from = ((y - ty * T) * T + (x0 - tx * T)) * 3;
    tile.copy(out, (y - rect.top) * rowLen + (x0 - rect.left) * 3, from, from + (x1 - x0) * 3);
  }
}

/**
 * A SlideSource with the demo slide's size, resolution and stored levels (sizes floored like the
 * file's IFDs), whose pixels are the file's tiles decoded. Reads fetch one tile row at a time
 * (tiles of a row decode in parallel on libvips' threads), so a read holds its output plus one row.
 */
export function createDemoTileSlide(base: RawPixels, spec: DemoSlideSpec): SlideSource {
  const levels: StoredLevel[] = spec.storedDownsamples.map((d) => {
    const w = Math.max(1, Math.floor(spec.sizeX / d));
    const h = Math.max(1, Math.floor(spec.sizeY / d));
    return { width: w, height: h, downsample: spec.sizeX / w };
  });
  let closed = false;
  return {
    width: spec.sizeX,
    height: spec.sizeY,
    tileWidth: T,
    tileHeight: T,
    mmX: spec.mm,
    mmY: spec.mm,
    magnification: spec.magnification,
    levels,
    async readRaw(levelIndex: number, rect: Rect): Promise<RawPixels> {
      if (closed) throw new Error('demo tile slide: readRaw called after close()');
      validateReadRect(levels, levelIndex, rect, 'demo tile slide readRaw');
      const d = spec.storedDownsamples[levelIndex] as number;
      const out = Buffer.allocUnsafe(rect.width * rect.height * 3);
      const tx0 = Math.floor(rect.left / T);
      const tx1 = Math.floor((rect.left + rect.width - 1) / T);
      for (let ty = Math.floor(rect.top / T); ty <= Math.floor((rect.top + rect.height - 1) / T); ty++) {
        const row = Array.from({ length: tx1 - tx0 + 1 }, (_, i) => demoDecodedTile(base, d, tx0 + i, ty));
        (await Promise.all(row)).forEach((tile, i) => blit(tile, tx0 + i, ty, rect, out));
      }
      return { data: out, width: rect.width, height: rect.height, channels: 3 };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}

/**
 * The served slide image of a demo slide: large_image's geometry at once, and on `open()` the
 * file's tiles decoded. This holds whether or not the slide has a file (stand-in bytes beyond the
 * pixel budget): the DSA's pixels depend on the seed, scale and ROI only, never on the budget.
 */
export function demoTileSlideImage(spec: DemoSlideSpec, base: () => Promise<RawPixels>): ServedSlideImage {
  return {
    tileWidth: T,
    tileHeight: T,
    geometry: demoSlideGeometry(spec),
    open: async () => createDemoTileSlide(await base(), spec),
  };
}
