/**
 * The demo's slide files: a real pyramidal, JPEG-tiled TIFF with an Aperio ImageDescription for a
 * virtual slide, built from exactly the mirrored pixels the demo DSA renders (demo-slide.ts), at
 * the stored levels the virtual slide declares, plus an Aperio-style stripped thumbnail in IFD 1.
 *
 * Speed comes from the mirrored tiling itself: every virtual slide over the same base shows the
 * same pixels at the same place, and level content repeats with period 2 × (level source size).
 * A tile is therefore keyed by (downsample, column mod period, row mod period) and encoded once
 * per process for all slides. Edge tiles are filled with the continuation of the tiling rather
 * than padding, so they share that cache too (TIFF readers crop tiles at the image edge).
 */
import sharp from 'sharp';
import { formatAperioDescription } from '../../slides/aperio-description-format.js';
import { createMirroredSlide, mirroredLevelSourceSize } from '../../slides/mirrored-slide.js';
import { writeJpegTiff, type TiffImage } from '../../slides/tiff-writer.js';
import type { RawPixels, SlideSource } from '../../slides/types.js';
import { DEMO_TILE_SIZE, type DemoSlideSpec } from './demo-slide.js';
import { BoundedBufferCache } from './bounded-buffer-cache.js';

/**
 * JPEG quality of the demo's tiles, with 4:4:4 chroma: re-encoding the demo pixels then costs a mean
 * 0.8 grey levels at level 0 and 1.6 at 4× (q90: 1.0 / 2.4; 4:2:0 about 2.5), at 0.27 / 0.56 bytes
 * per pixel, so ROIs rendered from these files stay within a grey level of the DSA's.
 */
export const DEMO_TIFF_QUALITY = 95;
/** Aperio thumbnails fit in about 1024 px. */
const THUMBNAIL_MAX = 1024;
/** The canvas every demo slide is a window of; only its size, never its pixels, exists. */
const CANVAS = 1 << 24;
/** Bound on the cached encoded tiles of one base (FIFO beyond it). */
const TILE_CACHE_BYTES = 128 << 20;

const caches = new WeakMap<RawPixels, BoundedBufferCache>();

function tileCache(base: RawPixels): BoundedBufferCache {
  let c = caches.get(base);
  if (c === undefined) {
    c = new BoundedBufferCache(TILE_CACHE_BYTES);
    caches.set(base, c);
  }
  return c;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Tiles per period of the mirrored tiling along one axis (period 2n pixels, tiles of t pixels). */
function tilePeriod(n: number, t: number): number {
  return (2 * n) / gcd(t, 2 * n);
}

/** Encode one tile's raw RGB as a complete baseline JPEG (JFIF, 4:4:4). */
export function encodeTileJpeg(px: RawPixels): Promise<Buffer> {
  return sharp(px.data, { raw: { width: px.width, height: px.height, channels: 3 } })
    .jpeg({ quality: DEMO_TIFF_QUALITY, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

/** A CANVAS-sized mirrored slide storing downsample `d` (level 1, or level 0 when d = 1), per base. */
const canvases = new WeakMap<RawPixels, Map<number, SlideSource>>();

function canvasFor(base: RawPixels, d: number): SlideSource {
  let perBase = canvases.get(base);
  if (perBase === undefined) {
    perBase = new Map();
    canvases.set(base, perBase);
  }
  let canvas = perBase.get(d);
  if (canvas === undefined) {
    canvas = createMirroredSlide(base, {
      width: CANVAS,
      height: CANVAS,
      mm: null,
      magnification: null,
      tileSize: DEMO_TILE_SIZE,
      storedDownsamples: d === 1 ? [1] : [1, d],
    });
    perBase.set(d, canvas);
  }
  return canvas;
}

/**
 * Which stored tile (tx, ty) of downsample `d` is, among all demo slides over `base`: the key of
 * its position modulo the tiling's period. Tiles with the same key hold the same pixels.
 */
export function demoTileKey(base: RawPixels, d: number, tx: number, ty: number): string {
  const source = mirroredLevelSourceSize(base, d);
  return `${d}:${tx % tilePeriod(source.width, DEMO_TILE_SIZE)}:${ty % tilePeriod(source.height, DEMO_TILE_SIZE)}`;
}

/**
 * The stored JPEG bytes of tile (tx, ty) at downsample `d` of any demo slide over `base` (the same
 * for every slide, edge tiles included): encoded once per process, then cached (FIFO, 128 MB).
 * The slide files hold exactly these bytes, and the demo DSA renders from them decoded.
 */
export function demoStoredTile(base: RawPixels, d: number, tx: number, ty: number): Promise<Buffer> {
  const t = DEMO_TILE_SIZE;
  const level = d === 1 ? 0 : 1;
  return tileCache(base).get(demoTileKey(base, d, tx, ty), async () =>
    encodeTileJpeg(await canvasFor(base, d).readRaw(level, { left: tx * t, top: ty * t, width: t, height: t })),
  );
}

function tiledLevel(base: RawPixels, spec: DemoSlideSpec, name: string, index: number): TiffImage {
  const d = spec.storedDownsamples[index] as number;
  const t = DEMO_TILE_SIZE;
  const width = Math.max(1, Math.floor(spec.sizeX / d));
  const height = Math.max(1, Math.floor(spec.sizeY / d));
  return {
    kind: 'tiled',
    width,
    height,
    tileWidth: t,
    tileHeight: t,
    newSubfileType: 0,
    description: formatAperioDescription({
      width: spec.sizeX,
      height: spec.sizeY,
      tileSize: t,
      quality: DEMO_TIFF_QUALITY,
      appMag: spec.magnification,
      mpp: spec.mm * 1000,
      filename: name,
      ...(index === 0 ? {} : { reducedTo: { width, height } }),
    }),
    tileRow: (ty, columns) => Promise.all(Array.from({ length: columns }, (_, tx) => demoStoredTile(base, d, tx, ty))),
  };
}

/**
 * The thumbnail: the mirrored tiling at the power-of-two downsample that brings the slide within
 * ~1024 px (so it costs one small read, and a handful of shrunk base copies serve every slide).
 */
async function thumbnail(base: RawPixels, spec: DemoSlideSpec, name: string): Promise<TiffImage> {
  let d = 1;
  while (Math.max(spec.sizeX, spec.sizeY) / d > THUMBNAIL_MAX) d *= 2;
  const width = Math.max(1, Math.floor(spec.sizeX / d));
  const height = Math.max(1, Math.floor(spec.sizeY / d));
  const view = createMirroredSlide(base, {
    width: CANVAS,
    height: CANVAS,
    mm: spec.mm,
    magnification: spec.magnification,
    storedDownsamples: d === 1 ? [1] : [1, d],
  });
  const px = await view.readRaw(d === 1 ? 0 : 1, { left: 0, top: 0, width, height });
  await view.close();
  return {
    kind: 'stripped',
    width,
    height,
    newSubfileType: 0,
    description: formatAperioDescription({
      width: spec.sizeX,
      height: spec.sizeY,
      tileSize: DEMO_TILE_SIZE,
      quality: DEMO_TIFF_QUALITY,
      appMag: spec.magnification,
      mpp: spec.mm * 1000,
      filename: name,
      reducedTo: { width, height },
    }),
    jpeg: await encodeTileJpeg(px),
  };
}

/**
 * Write the demo slide `name` of `spec` to `path` in Aperio SVS layout: IFD 0 the base level,
 * IFD 1 the thumbnail, IFD 2… the 4×, 16×… levels.
 */
export async function writeDemoSlideTiff(path: string, spec: DemoSlideSpec, name: string, base: RawPixels): Promise<void> {
  const levels = spec.storedDownsamples.map((_, i) => tiledLevel(base, spec, name, i));
  const images = [levels[0] as TiffImage, await thumbnail(base, spec, name), ...levels.slice(1)];
  // Classic TIFF offsets stop at 4 GiB. The demo's tiles take 0.3–0.6 bytes per pixel against 3
  // raw, so BigTIFF is only chosen where the raw RGB would pass 4 GiB (the largest slides at
  // scale 1); the writer still refuses, clearly, a classic file that would not fit.
  const raw = spec.storedDownsamples.reduce((sum, d) => sum + Math.floor(spec.sizeX / d) * Math.floor(spec.sizeY / d) * 3, 0);
  await writeJpegTiff(path, images, { subsampling: [1, 1], bigTiff: raw >= 2 ** 32 });
}
