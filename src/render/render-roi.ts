/**
 * One ROI image rendered from a local slide file, the way the DSA's `tiles/region` renders it:
 * the same request bcss sends (mm_x = mm_y from --mpp, magnification from --mag, or base), the
 * same size math and level choice (planRegion), the strip reader that the demo DSA streams huge
 * regions with, and the streaming PNG encoder. Memory is a few strips, whatever the ROI size.
 *
 * Channels follow large_image: a resampled region is RGBA (alpha 255), a region read 1:1 from a
 * stored level is RGB (the demo DSA decides the same way, region-service.ts).
 */
import { createHash } from 'node:crypto';
import { rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RoiRecord } from '../catalog/types.js';
import { UsageError } from '../errors.js';
import { mmPerPixel } from '../geometry/naming.js';
import { planRegion } from '../geometry/region-size.js';
import type { RegionPlan, RegionRequest, Resolution, SlideGeometry } from '../geometry/types.js';
import { pngStream } from '../image/png-stream-writer.js';
import { readRegionStrips } from '../slides/region-reader.js';
import type { SlideSource } from '../slides/types.js';
import { fsyncDir, openNewFile, removeQuietly, tempPathFor } from '../storage/atomic-file.js';
import { isFsError, toDiskError } from '../storage/disk-error.js';

type FullPlan = Extract<RegionPlan, { empty: false }>;

/** The region request `bcss download` sends for this ROI (girder-client regionUrl, predictOutputSize). */
export function roiRegionRequest(roi: Pick<RoiRecord, 'xmin' | 'ymin' | 'xmax' | 'ymax'>, resolution: Resolution): RegionRequest {
  const req: RegionRequest = { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax };
  if (resolution.kind === 'mpp') {
    req.mmX = mmPerPixel(resolution.mpp);
    req.mmY = req.mmX;
  } else if (resolution.kind === 'mag') {
    req.magnification = resolution.magnification;
  }
  return req;
}

/** The plan for an ROI, or a UsageError naming why nothing would be rendered. */
export function planRoi(geometry: SlideGeometry, roi: RoiRecord, resolution: Resolution): FullPlan {
  const plan = planRegion(geometry, roiRegionRequest(roi, resolution));
  if (plan.empty) throw new UsageError(`${roi.name}: the region renders nothing (${plan.reason})`);
  return plan;
}

/** large_image answers RGBA whenever it resampled, RGB for a straight read of a stored level. */
export function isResampled(plan: FullPlan): boolean {
  const rb = plan.readBounds;
  return rb.right - rb.left !== plan.width || rb.bottom - rb.top !== plan.height;
}

export interface RenderedFile {
  width: number;
  height: number;
  channels: 3 | 4;
  bytes: number;
  sha256: string;
  mtimeMs: number;
}

/** A rendered image in its temp file (fsynced), not yet renamed to its final name. */
export interface RenderedTemp {
  width: number;
  height: number;
  channels: 3 | 4;
  bytes: number;
  sha256: string;
}

const disk = (err: unknown, path: string, action: string): unknown => (isFsError(err) ? toDiskError(err, path, action) : err);

/**
 * Renders `plan` of `source` into the new file `temp` and fsyncs it; on any error the temp file
 * is removed. Rendering errors pass through as they are; file-system errors become DiskErrors.
 */
export async function renderPlanToTemp(
  source: SlideSource,
  geometry: SlideGeometry,
  plan: FullPlan,
  temp: string,
  options: { maxStripPixels?: number; signal?: AbortSignal } = {},
): Promise<RenderedTemp> {
  const channels = isResampled(plan) ? 4 : 3;
  const strips = readRegionStrips(source, geometry, plan, options.maxStripPixels === undefined ? {} : { maxStripPixels: options.maxStripPixels });
  const hash = createHash('sha256');
  let bytes = 0;
  let handle;
  try {
    handle = await openNewFile(temp);
  } catch (err) {
    throw disk(err, temp, 'create temp file for');
  }
  try {
    try {
      for await (const chunk of pngStream({ width: plan.width, height: plan.height, channels }, strips)) {
        options.signal?.throwIfAborted();
        hash.update(chunk);
        bytes += chunk.length;
        try {
          await handle.write(chunk);
        } catch (err) {
          throw disk(err, temp, 'write temp file for');
        }
      }
      await handle.sync().catch((err: unknown) => {
        throw disk(err, temp, 'write temp file for');
      });
    } finally {
      await handle.close();
    }
  } catch (err) {
    await removeQuietly(temp);
    throw err;
  }
  return { width: plan.width, height: plan.height, channels, bytes, sha256: hash.digest('hex') };
}

/** Renames a rendered temp file to `destPath` (and syncs the folder unless `syncDir` is false). */
export async function commitRendered(rendered: RenderedTemp, temp: string, destPath: string, syncDir = true): Promise<RenderedFile> {
  try {
    await rename(temp, destPath);
  } catch (err) {
    await removeQuietly(temp);
    throw disk(err, destPath, 'replace');
  }
  if (syncDir) await fsyncDir(dirname(destPath));
  const info = await stat(destPath);
  return { ...rendered, mtimeMs: info.mtimeMs };
}

/**
 * Renders `plan` of `source` into `destPath` atomically (temp file in the same folder, fsync,
 * rename; the folder is synced too unless `syncDir` is false). Rendering errors pass through as
 * they are; file-system errors become DiskErrors.
 */
export async function renderPlanToFile(
  source: SlideSource,
  geometry: SlideGeometry,
  plan: FullPlan,
  destPath: string,
  options: { maxStripPixels?: number; syncDir?: boolean; signal?: AbortSignal } = {},
): Promise<RenderedFile> {
  const temp = tempPathFor(destPath);
  const rendered = await renderPlanToTemp(source, geometry, plan, temp, options);
  return commitRendered(rendered, temp, destPath, options.syncDir !== false);
}
