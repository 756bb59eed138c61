/**
 * One large_image tile (`tiles/zxy/{z}/{x}/{y}`): the stored JPEG tile when the slide has a TIFF
 * whose level and tile grid are exactly that tile's (large_image's tiff source hands those out
 * unchanged), otherwise rendered from the slide's pixels like large_image's openslide source:
 * the covering area read from the coarsest stored level still at least as fine as the tile, resized with
 * Lanczos 3, the part beyond the image left black (OpenSlide's transparent pixels as JPEG), and
 * encoded as JPEG quality 95, 4:4:4 (large_image's defaults), or PNG when asked.
 */
import sharp from 'sharp';
import type { SlideGeometry } from '../../geometry/types.js';
import { openSlide } from '../../slides/open-slide.js';
import { storedLevelIndex } from '../../slides/slide-geometry.js';
import { readStoredJpegTile } from '../../slides/tiff-tile-reader.js';
import type { SlideSource } from '../../slides/types.js';
import type { ServedSlideImage } from '../dataset-types.js';

export interface TileAddress {
  z: number;
  x: number;
  y: number;
}

/** Where a tile lies: corners in base pixels and the level's scale (a power of two ≥ 1). */
export function tileCorners(g: SlideGeometry, tile: { width: number; height: number }, a: TileAddress): { x0: number; y0: number; x1: number; y1: number; scale: number } {
  const scale = 2 ** (g.levels - 1 - a.z);
  const x0 = a.x * tile.width * scale;
  const y0 = a.y * tile.height * scale;
  return { x0, y0, x1: Math.min(x0 + tile.width * scale, g.sizeX), y1: Math.min(y0 + tile.height * scale, g.sizeY), scale };
}

/** large_image's `_xyzInRange` message for an address outside the pyramid, or null. */
export function tileRangeError(g: SlideGeometry, tile: { width: number; height: number }, a: TileAddress): string | null {
  if (a.z < 0 || a.z >= g.levels) return 'z layer does not exist';
  const { x0, y0 } = tileCorners(g, tile, a);
  if (!(x0 >= 0 && x0 < g.sizeX)) return 'x is outside layer';
  if (!(y0 >= 0 && y0 < g.sizeY)) return 'y is outside layer';
  return null;
}

interface TiffLevels {
  width: number;
  tileWidth: number;
  tileHeight: number;
  levels: SlideSource['levels'];
  levelIfds: readonly number[];
}

const tiffLevels = new Map<string, Promise<TiffLevels>>();

function levelsOf(path: string): Promise<TiffLevels> {
  let p = tiffLevels.get(path);
  if (p === undefined) {
    if (tiffLevels.size >= 256) tiffLevels.delete(tiffLevels.keys().next().value as string);
    p = openSlide(path).then(async (s) => {
      await s.close();
      return { width: s.width, tileWidth: s.tileWidth, tileHeight: s.tileHeight, levels: s.levels, levelIfds: s.levelIfds };
    });
    tiffLevels.set(path, p);
    p.catch(() => tiffLevels.delete(path));
  }
  return p;
}

/** The stored JPEG of this tile, when the slide's TIFF stores this level on this tile grid. */
export async function storedTile(slide: ServedSlideImage, a: TileAddress): Promise<Buffer | null> {
  if (slide.storedTiff === undefined) return null;
  const path = await slide.storedTiff();
  const t = await levelsOf(path);
  if (t.tileWidth !== slide.tileWidth || t.tileHeight !== slide.tileHeight) return null;
  const index = storedLevelIndex(t, slide.geometry.levels, a.z);
  const ifd = t.levelIfds[index];
  if (index < 0 || ifd === undefined) return null;
  return readStoredJpegTile(path, ifd, a.x, a.y);
}

/** The coarsest stored level whose downsample does not exceed `scale` (with 1 % rounding slack). */
function readLevel(source: SlideSource, scale: number): number {
  let best = 0;
  source.levels.forEach((l, i) => {
    if (l.downsample <= scale * 1.01 && l.downsample > (source.levels[best]?.downsample ?? 1)) best = i;
  });
  return best;
}

/** Render the tile from the slide's pixels (see the module comment). */
export async function renderTile(
  source: SlideSource,
  g: SlideGeometry,
  tile: { width: number; height: number },
  a: TileAddress,
  encoding: 'JPEG' | 'PNG' = 'JPEG',
): Promise<Buffer> {
  const { x0, y0, x1, y1, scale } = tileCorners(g, tile, a);
  const li = readLevel(source, scale);
  const level = source.levels[li] as SlideSource['levels'][number];
  const fx = source.width / level.width;
  const fy = source.height / level.height;
  const left = Math.min(level.width - 1, Math.floor(x0 / fx));
  const top = Math.min(level.height - 1, Math.floor(y0 / fy));
  const right = Math.max(left + 1, Math.min(level.width, Math.ceil(x1 / fx)));
  const bottom = Math.max(top + 1, Math.min(level.height, Math.ceil(y1 / fy)));
  const px = await source.readRaw(li, { left, top, width: right - left, height: bottom - top });
  const contentW = Math.max(1, Math.min(tile.width, Math.ceil((x1 - x0) / scale)));
  const contentH = Math.max(1, Math.min(tile.height, Math.ceil((y1 - y0) / scale)));
  const image = sharp(px.data, { raw: { width: px.width, height: px.height, channels: 3 } })
    .resize(contentW, contentH, { fit: 'fill', kernel: 'lanczos3' })
    .extend({ right: tile.width - contentW, bottom: tile.height - contentH, background: { r: 0, g: 0, b: 0 } });
  return (encoding === 'PNG' ? image.png() : image.jpeg({ quality: 95, chromaSubsampling: '4:4:4' })).toBuffer();
}
