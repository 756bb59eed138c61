/**
 * `bcss extract`: every ROI image rendered offline from its slide file in a WSI folder (issue 10
 * §2), with the names, sizes and lock records `bcss download --components images` gives, so the
 * two make the same tree and `bcss verify` checks either. A missing or unreadable slide fails its
 * own ROIs; the others go on. A rerun skips images the lock proves unchanged.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { builtinSlides } from '../catalog/slides.js';
import type { RoiRecord } from '../catalog/types.js';
import { BcssError } from '../errors.js';
import type { Resolution, SlideGeometry } from '../geometry/types.js';
import { planRoi, renderPlanToFile } from '../render/render-roi.js';
import { readSlideFolder, slideFileFor, type SlideFolder } from '../render/slide-files.js';
import { openSlide, type FileSlideSource } from '../slides/open-slide.js';
import { slideGeometry } from '../slides/slide-geometry.js';
import { ensureDir, removeStaleTempFiles } from '../storage/atomic-file.js';
import { acquireLease } from '../storage/run-lease.js';
import { canonicalJson, imageFileName } from './artifacts.js';
import { checkedOutputSize } from './geometry-sanity.js';
import { LockStore, offlineLockOptions, readLock } from './lock-file.js';
import { toolVersion } from './tool-version.js';

export interface ExtractOptions {
  outDir: string;
  wsiDir: string;
  rois: RoiRecord[];
  resolution: Resolution;
  /** Ctrl-C: stops between strips; the image in progress leaves no file behind. */
  signal?: AbortSignal;
  /** Bound on the pixels of one strip (default the reader's 2 Mi px). */
  maxStripPixels?: number;
  now?: () => Date;
  onImage?: (image: ExtractedImage) => void;
  onFailure?: (failure: ExtractFailure) => void;
}

export interface ExtractedImage {
  roi: string;
  path: string;
  slideFile: string;
  width: number;
  height: number;
  status: 'done' | 'skipped';
}

export interface ExtractFailure {
  roi: string;
  reason: string;
}

export interface ExtractSummary {
  images: ExtractedImage[];
  failures: ExtractFailure[];
  seconds: number;
  lockPath: string;
}

/** The lock's `source.url` of an image made from a local slide. */
export function wsiSourceUrl(fileName: string): string {
  return `wsi:${fileName}`;
}

/** The params `bcss download` records for the same image (artifacts.ts), so either may skip the other's file. */
function imageParams(roi: RoiRecord, resolution: Resolution): Record<string, unknown> {
  const res = resolution.kind === 'mpp' ? { kind: 'mpp', mpp: resolution.mpp } : resolution.kind === 'mag' ? { kind: 'mag', magnification: resolution.magnification } : { kind: 'base' };
  return { roi: roi.name, bounds: [roi.xmin, roi.ymin, roi.xmax, roi.ymax], resolution: res, encoding: 'png' };
}

/** One slide open at a time: ROIs come grouped by slide, and a file handle per slide is plenty. */
class OpenSlides {
  private current: { path: string; source: FileSlideSource; geometry: SlideGeometry } | null = null;

  async get(path: string): Promise<{ source: FileSlideSource; geometry: SlideGeometry }> {
    if (this.current?.path === path) return this.current;
    await this.close();
    const source = await openSlide(path);
    this.current = { path, source, geometry: slideGeometry(source) };
    return this.current;
  }

  async close(): Promise<void> {
    await this.current?.source.close();
    this.current = null;
  }
}

interface RoiContext {
  options: ExtractOptions;
  store: LockStore;
  folder: SlideFolder;
  slides: OpenSlides;
  now: () => Date;
}

async function extractRoi(roi: RoiRecord, ctx: RoiContext): Promise<ExtractedImage> {
  const { options, store } = ctx;
  const found = slideFileFor(roi, ctx.folder, builtinSlides());
  if (!found.ok) throw new SlideUnavailable(found.reason);
  const path = `images/${imageFileName(roi, options.resolution, 'png')}`;
  const dest = join(options.outDir, path);
  const params = imageParams(roi, options.resolution);
  const url = wsiSourceUrl(found.fileName);
  const base = { roi: roi.name, path: dest, slideFile: found.fileName };
  const previous = store.get(path);
  if (previous !== undefined && previous.width !== undefined && previous.height !== undefined && canonicalJson(previous.source.params) === canonicalJson(params)) {
    const info = await stat(dest).catch(() => undefined);
    if (info !== undefined && info.size === previous.bytes && info.mtimeMs === previous.mtimeMs) {
      return { ...base, width: previous.width, height: previous.height, status: 'skipped' };
    }
  }
  let opened;
  try {
    opened = await ctx.slides.get(found.path);
  } catch (err) {
    throw new SlideUnavailable(`slide file ${found.fileName} cannot be read as a tiled TIFF/SVS: ${(err as Error).message}`);
  }
  // The same checks and size as the download (the catalog's magnification against the file's metadata).
  const expected = checkedOutputSize(opened.geometry, roi, options.resolution);
  const plan = planRoi(opened.geometry, roi, options.resolution);
  if (plan.width !== expected.width || plan.height !== expected.height) {
    throw new Error(`${roi.name}: plan ${plan.width}x${plan.height} differs from the predicted ${expected.width}x${expected.height}`);
  }
  const file = await renderPlanToFile(opened.source, opened.geometry, plan, dest, {
    syncDir: false, // the lock syncs the folder before it records the file (lock-file.ts)
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.maxStripPixels === undefined ? {} : { maxStripPixels: options.maxStripPixels }),
  });
  await store.set({
    id: path,
    kind: 'images',
    path,
    bytes: file.bytes,
    sha256: file.sha256,
    mtimeMs: file.mtimeMs,
    source: { url, params },
    imageSource: 'wsi',
    width: file.width,
    height: file.height,
    status: 'done',
    completed: ctx.now().toISOString(),
  });
  return { ...base, width: file.width, height: file.height, status: 'done' };
}

/** A slide that is missing or not readable: that ROI fails, the run goes on. */
export class SlideUnavailable extends Error {}

/** Disk, busy-folder and internal faults end the run; anything about one ROI's slide or pixels does not. */
function isPerRoi(err: unknown): boolean {
  if (err instanceof SlideUnavailable) return true;
  if (err instanceof BcssError) return err.kind !== 'disk' && err.kind !== 'busy';
  return err instanceof Error && !(err instanceof TypeError) && !(err instanceof ReferenceError);
}

/** Slide by slide (in first-seen order), so each file is opened once. */
function groupBySlide(rois: readonly RoiRecord[]): RoiRecord[] {
  const groups = new Map<string, RoiRecord[]>();
  for (const roi of rois) {
    const list = groups.get(roi.name) ?? [];
    list.push(roi);
    groups.set(roi.name, list);
  }
  return [...groups.values()].flat();
}

export async function runExtract(options: ExtractOptions): Promise<ExtractSummary> {
  const t0 = performance.now();
  const now = options.now ?? (() => new Date());
  const outDir = resolve(options.outDir);
  const folder = await readSlideFolder(resolve(options.wsiDir));
  await ensureDir(join(outDir, 'images'));
  const lease = await acquireLease(outDir);
  const slides = new OpenSlides();
  const summary: ExtractSummary = { images: [], failures: [], seconds: 0, lockPath: '' };
  try {
    const read = await readLock(outDir, { moveAside: true, now });
    const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: offlineLockOptions(read.lock, options.resolution, 'images', options.rois.length), now });
    summary.lockPath = store.path;
    try {
      if (read.journal === true) await store.compact();
      // Under the lease nobody else writes here: any temp file is an interrupted run's.
      await removeStaleTempFiles(join(outDir, 'images'), 0);
      const ctx: RoiContext = { options: { ...options, outDir }, store, folder, slides, now };
      for (const roi of groupBySlide(options.rois)) {
        options.signal?.throwIfAborted();
        try {
          const image = await extractRoi(roi, ctx);
          summary.images.push(image);
          options.onImage?.(image);
        } catch (err) {
          if (!isPerRoi(err) || options.signal?.aborted === true) throw err;
          const failure = { roi: roi.name, reason: (err as Error).message };
          summary.failures.push(failure);
          options.onFailure?.(failure);
        }
      }
    } finally {
      await store.close().catch(() => undefined);
    }
  } finally {
    await slides.close().catch(() => undefined);
    await lease.release().catch(() => undefined);
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

