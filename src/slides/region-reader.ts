/**
 * Region pixels the way large_image's `tiles/region` makes them (docs/imaging.md#level-choice-and-resampling):
 * plan the size with planRegion, read the plan's region from the stored level it names, and
 * resample to the planned size as large_image does, with Pillow (Lanczos when the width shrinks,
 * bicubic when it grows; pil-resample.ts reproduces Pillow's resize sample for sample).
 */
import { planRegion } from '../geometry/region-size.js';
import type { PixelRect, RegionPlan, RegionRequest, SlideGeometry } from '../geometry/types.js';
import { pilResize, pilRowsNeeded, type PilKernel } from './pil-resample.js';
import { pilResampleRowsParallel } from './resample-pool.js';
import { storedLevelIndex } from './slide-geometry.js';
import type { RawPixels, SlideSource } from './types.js';
import type { Rect } from './validate-rect.js';

type FullPlan = Extract<RegionPlan, { empty: false }>;

/** large_image: Lanczos when the output is not wider than the read region, else bicubic. */
export function resizeKernelFor(outWidth: number, readWidth: number): PilKernel {
  return outWidth <= readWidth ? 'lanczos3' : 'cubic';
}

/**
 * The stored level and rectangle (in that level's pixels) behind `plan.readBounds`. The plan's
 * bounds are in ideal 2^n-level pixels (base / 2^n, truncated); a stored level's size is rounded
 * by the writer, so the rectangle is clamped to the stored level by at most a pixel.
 */
export function resolveRead(source: SlideSource, geometry: SlideGeometry, plan: FullPlan): { levelIndex: number; rect: Rect } {
  const levelIndex = storedLevelIndex(source, geometry.levels, plan.readLevel);
  const level = source.levels[levelIndex];
  if (level === undefined) {
    throw new Error(
      `readRegion: plan reads large_image level ${plan.readLevel} of ${geometry.levels}, which this slide does not store`,
    );
  }
  const b: PixelRect = plan.readBounds;
  const left = Math.min(Math.max(0, b.left), level.width - 1);
  const top = Math.min(Math.max(0, b.top), level.height - 1);
  const right = Math.max(left + 1, Math.min(b.right, level.width));
  const bottom = Math.max(top + 1, Math.min(b.bottom, level.height));
  return { levelIndex, rect: { left, top, width: right - left, height: bottom - top } };
}

/** The pixels of a non-empty plan: one read, and Pillow's resize when the sizes differ. */
export async function readPlanned(source: SlideSource, geometry: SlideGeometry, plan: FullPlan): Promise<RawPixels> {
  const { levelIndex, rect } = resolveRead(source, geometry, plan);
  const read = await source.readRaw(levelIndex, rect);
  if (read.width === plan.width && read.height === plan.height) return read;
  const size = { inW: read.width, inH: read.height, outW: plan.width, outH: plan.height, kernel: resizeKernelFor(plan.width, read.width) };
  const data = await pilResampleRowsParallel(size, read.data, 0, read.height, 0, plan.height);
  return { data, width: plan.width, height: plan.height, channels: 3 };
}

export async function readRegion(
  source: SlideSource,
  geometry: SlideGeometry,
  req: RegionRequest,
): Promise<{ plan: RegionPlan; pixels: RawPixels | null }> {
  const plan = planRegion(geometry, req);
  if (plan.empty) return { plan, pixels: null };
  return { plan, pixels: await readPlanned(source, geometry, plan) };
}

export interface RegionStrip {
  /** First output row of this strip. */
  y: number;
  height: number;
  /** `height` rows of interleaved RGB, `plan.width` pixels each. */
  data: Buffer;
}

/** Default bound on the pixels of one strip (output or source slab, whichever is wider): 2 Mi px. */
export const DEFAULT_MAX_STRIP_PIXELS = 2 * 1024 * 1024;

/**
 * The output of `plan` as horizontal strips, top to bottom, with memory bounded by the strip size
 * instead of the region size (100+ megapixel regions would otherwise need the whole source and
 * output in memory at once).
 *
 * Alignment: Pillow's resize is separable (pil-resample.ts): each output row is a fixed
 * combination of horizontally resampled source rows. A strip of output rows [y0, y1) therefore
 * reads exactly the source rows it needs (the filter support is the margin, computed, not
 * guessed) and computes each row with the same weights whichever strip it falls in, so the strips
 * are readRegion's pixels, sample for sample, whatever their height. Without resampling the
 * strips are plain reads.
 */
export async function* readRegionStrips(
  source: SlideSource,
  geometry: SlideGeometry,
  plan: RegionPlan,
  options: { maxStripPixels?: number } = {},
): AsyncGenerator<RegionStrip> {
  if (plan.empty) throw new RangeError(`readRegionStrips: the plan is empty (${plan.reason})`);
  const maxStripPixels = options.maxStripPixels ?? DEFAULT_MAX_STRIP_PIXELS;
  if (!Number.isFinite(maxStripPixels) || maxStripPixels < 1) {
    throw new RangeError(`readRegionStrips: maxStripPixels must be ≥ 1, got ${maxStripPixels}`);
  }
  const { levelIndex, rect } = resolveRead(source, geometry, plan);
  const outW = plan.width;
  const outH = plan.height;
  const inW = rect.width;
  const inH = rect.height;
  const rowsPerStrip = Math.max(1, Math.floor(maxStripPixels / Math.max(outW, inW)));

  if (inW === outW && inH === outH) {
    for (let y = 0; y < outH; y += rowsPerStrip) {
      const height = Math.min(rowsPerStrip, outH - y);
      const px = await source.readRaw(levelIndex, { left: rect.left, top: rect.top + y, width: inW, height });
      yield { y, height, data: px.data };
    }
    return;
  }

  const size = { inW, inH, outW, outH, kernel: resizeKernelFor(outW, inW) };
  const model = pilResize(inW, inH, outW, outH, size.kernel);
  for (let y0 = 0; y0 < outH; y0 += rowsPerStrip) {
    const y1 = Math.min(outH, y0 + rowsPerStrip);
    const rows = y1 - y0;
    const need = pilRowsNeeded(model, y0, y1);
    const slab = await source.readRaw(levelIndex, {
      left: rect.left,
      top: rect.top + need.start,
      width: inW,
      height: need.end - need.start,
    });
    const data = await pilResampleRowsParallel(size, slab.data, need.start, need.end - need.start, y0, y1);
    yield { y: y0, height: rows, data };
  }
}
