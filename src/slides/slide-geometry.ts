/**
 * The large_image view of a slide (docs/protocols.md#tiles-metadata, docs/imaging.md#region-size): `levels` from the tile size, and
 * which of those power-of-two levels the file physically stores.
 */
import { levelCount } from '../geometry/region-size.js';
import type { SlideGeometry } from '../geometry/types.js';
import type { SlideSource, StoredLevel } from './types.js';

/**
 * When does a stored level count as large_image level k (downsample D = 2^(L−1−k))?
 * Stored level sizes are rounded by the writer (Aperio floors: a 46001-px-wide base at 16x is
 * 2875 px, a downsample of 16.0003; libvips rounds), so a stored downsample is almost never
 * exactly 2^n. Rule: the level's width is within ±1 px of W / D (exact for floor, round and ceil
 * at every level size, however small), or its downsample is within 2 % of D (writers that pad a
 * level by a few pixels). Neighbouring large_image levels are a factor 2 apart, so any tolerance
 * below sqrt(2) − 1 (41 %) is unambiguous; 2 % is far inside that and far outside rounding.
 */
const RELATIVE_TOLERANCE = 0.02;

/** Relative error of `level` as a 2^n downsample, or null when it is not one (see above). */
function matchError(level: StoredLevel, baseWidth: number, target: number): number | null {
  const idealWidth = baseWidth / target;
  const relative = Math.abs(level.downsample / target - 1);
  if (Math.abs(level.width - idealWidth) <= 1 + 1e-9 || relative <= RELATIVE_TOLERANCE) return relative;
  return null;
}

/**
 * Index into `source.levels` of the stored level that serves large_image level `level` of a
 * `levels`-level pyramid (downsample 2^(levels-1-level)), or -1 when none is stored.
 * The top level always maps to stored level 0 (base resolution). Each stored level can only serve
 * the power of two nearest its downsample, so a tiny level never counts for two large_image levels.
 */
export function storedLevelIndex(source: Pick<SlideSource, 'width' | 'levels'>, levels: number, level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > levels - 1) return -1;
  if (level === levels - 1) return 0;
  const n = levels - 1 - level;
  const target = 2 ** n;
  let best = -1;
  let bestError = Infinity;
  source.levels.forEach((stored, i) => {
    if (Math.round(Math.log2(stored.downsample)) !== n) return;
    const err = matchError(stored, source.width, target);
    if (err !== null && err < bestError) {
      best = i;
      bestError = err;
    }
  });
  return best;
}

export function slideGeometry(source: SlideSource): SlideGeometry {
  const levels = levelCount(source.width, source.height, source.tileWidth, source.tileHeight);
  // Precompute once: planRegion calls stored(k) in a loop.
  const storedFlags = Array.from({ length: levels }, (_, k) => storedLevelIndex(source, levels, k) >= 0);
  return {
    sizeX: source.width,
    sizeY: source.height,
    levels,
    magnification: source.magnification,
    mmX: source.mmX,
    mmY: source.mmY,
    stored: (k: number) => Number.isInteger(k) && k >= 0 && k < levels && storedFlags[k] === true,
  };
}
