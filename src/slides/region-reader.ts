/**
 * Region pixels the way large_image's `tiles/region` makes them (docs/imaging.md#level-choice-and-resampling):
 * plan the size with planRegion, read the plan's region from the stored level it names, and
 * resample to the planned size (Lanczos when the width shrinks, bicubic when it grows).
 */
import sharp from 'sharp';
import { planRegion } from '../geometry/region-size.js';
import type { PixelRect, RegionPlan, RegionRequest, SlideGeometry } from '../geometry/types.js';
import { resampleRows, resizeModel, rowsNeeded } from './resample-model.js';
import type { HorizontalShrink, ResizeKernel } from './resample-model.js';
import { storedLevelIndex } from './slide-geometry.js';
import type { RawPixels, SlideSource } from './types.js';
import type { Rect } from './validate-rect.js';

type FullPlan = Extract<RegionPlan, { empty: false }>;

/** large_image: Lanczos when the output is not wider than the read region, else bicubic. */
export function resizeKernelFor(outWidth: number, readWidth: number): ResizeKernel {
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

async function sharpResize(pixels: RawPixels, width: number, height: number, kernel: ResizeKernel): Promise<Buffer> {
  const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new Error(`sharp resized to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return data;
}

/** The pixels of a non-empty plan, in one read and (when the sizes differ) one sharp resize. */
export async function readPlanned(source: SlideSource, geometry: SlideGeometry, plan: FullPlan): Promise<RawPixels> {
  const { levelIndex, rect } = resolveRead(source, geometry, plan);
  const read = await source.readRaw(levelIndex, rect);
  if (read.width === plan.width && read.height === plan.height) return read;
  const data = await sharpResize(read, plan.width, plan.height, resizeKernelFor(plan.width, read.width));
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
 * Regions up to this many pixels (output or source read, whichever is larger) are rendered whole,
 * by one sharp resize; larger ones in strips. The demo DSA (region-service.ts) and `bcss extract`
 * decide with the same bound, so the two roads resample every region with the same code.
 */
export const WHOLE_REGION_MAX_PIXELS = 16 * 1024 * 1024;

/** True when `plan` is rendered whole (readPlanned) under `maxPixels`, false when in strips. */
export function rendersWhole(plan: FullPlan, maxPixels: number = WHOLE_REGION_MAX_PIXELS): boolean {
  const rb = plan.readBounds;
  return Math.max(plan.width * plan.height, (rb.right - rb.left) * (rb.bottom - rb.top)) <= maxPixels;
}

/**
 * The output of `plan` as strips, made the way the demo DSA makes a `tiles/region` answer: a
 * region within `wholeMaxPixels` is rendered whole (readPlanned: one sharp resize) and handed
 * out in strips of the buffer, a larger one by readRegionStrips. The two differ by 8-bit
 * rounding (at most a few grey levels on a sample), so using the DSA's rule is what makes a
 * local render equal to the DSA's pixel for pixel.
 */
export async function* readRegionRows(
  source: SlideSource,
  geometry: SlideGeometry,
  plan: RegionPlan,
  options: { maxStripPixels?: number; wholeMaxPixels?: number } = {},
): AsyncGenerator<RegionStrip> {
  if (plan.empty) throw new RangeError(`readRegionRows: the plan is empty (${plan.reason})`);
  const stripOptions = options.maxStripPixels === undefined ? {} : { maxStripPixels: options.maxStripPixels };
  if (!rendersWhole(plan, options.wholeMaxPixels)) {
    yield* readRegionStrips(source, geometry, plan, stripOptions);
    return;
  }
  const px = await readPlanned(source, geometry, plan);
  const rowLen = plan.width * 3;
  const rowsPerStrip = Math.max(1, Math.floor((options.maxStripPixels ?? DEFAULT_MAX_STRIP_PIXELS) / plan.width));
  for (let y = 0; y < plan.height; y += rowsPerStrip) {
    const height = Math.min(rowsPerStrip, plan.height - y);
    yield { y, height, data: px.data.subarray(y * rowLen, (y + height) * rowLen) };
  }
}

/**
 * The output of `plan` as horizontal strips, top to bottom, with memory bounded by the strip size
 * instead of the region size (100+ megapixel regions would otherwise need the whole source and
 * output in memory at once).
 *
 * Alignment: resampling is separable, so resample-model.ts writes sharp's resize of the WHOLE
 * region as per-axis weight tables in global coordinates (output row o of a stage reads input rows
 * first[o] .. first[o] + taps − 1 with fixed weights), in libvips' stage order and rounding. A strip
 * of output rows [y0, y1) therefore needs exactly the source rows those tables span (the filter
 * support is the margin, computed, not guessed), and each of its rows is computed with the same
 * weights whichever strip it falls in: strips join without seams by construction, whatever their
 * height. Per strip: read the needed source rows, run the vertical stages in JavaScript, the
 * horizontal shrink with sharp itself (rows are independent there, so it is exactly the whole
 * image's pass) and any enlargement from the tables. The result differs from readRegion's single
 * sharp call only by 8-bit rounding (tests: max 2 grey levels). Without resampling the strips are
 * plain reads, identical to readRegion.
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

  const model = resizeModel(inW, inH, outW, outH, resizeKernelFor(outW, inW));
  // The horizontal box + reduce passes treat every row on its own, so sharp can run them on a
  // strip and give exactly what it gives on the whole region.
  const shrinkWithSharp: HorizontalShrink = (data, width, rows, outWidth) =>
    sharpResize({ data, width, height: rows, channels: 3 }, outWidth, rows, model.kernel);

  for (let y0 = 0; y0 < outH; y0 += rowsPerStrip) {
    const y1 = Math.min(outH, y0 + rowsPerStrip);
    const rows = y1 - y0;
    const need = rowsNeeded(model, y0, y1);
    const slab = await source.readRaw(levelIndex, {
      left: rect.left,
      top: rect.top + need.start,
      width: inW,
      height: need.end - need.start,
    });
    const data = await resampleRows(model, slab.data, need.start, y0, y1, shrinkWithSharp);
    yield { y: y0, height: rows, data };
  }
}
