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
import { RenderPool } from '../render/render-pool.js';
import { commitRendered, planRoi, renderPlanToTemp, type RenderedTemp } from '../render/render-roi.js';
import { readSlideFolder, slideFileFor, type SlideFolder } from '../render/slide-files.js';
import { openSlide, type FileSlideSource } from '../slides/open-slide.js';
import { slideGeometry } from '../slides/slide-geometry.js';
import { availableParallelism } from 'node:os';
import { ensureDir, removeQuietly, removeStaleTempFiles, tempPathFor } from '../storage/atomic-file.js';
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
  /**
   * ROIs rendered at once, each on its own worker thread (default: one per core, at most 4);
   * 1 renders on the calling thread.
   */
  concurrency?: number;
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

/**
 * Open slides by path, a few at a time: ROIs come grouped by slide, and with several rendered at
 * once two or three slides are in use (concurrent opens of one file share one open).
 */
class OpenSlides {
  private readonly open = new Map<string, Promise<{ source: FileSlideSource; geometry: SlideGeometry }>>();

  constructor(private readonly keep: number) {}

  get(path: string): Promise<{ source: FileSlideSource; geometry: SlideGeometry }> {
    let p = this.open.get(path);
    if (p === undefined) {
      p = openSlide(path).then((source) => ({ source, geometry: slideGeometry(source) }));
      this.open.set(path, p);
      p.catch(() => this.open.delete(path));
      if (this.open.size > this.keep) {
        const [oldest, q] = this.open.entries().next().value as [string, Promise<{ source: FileSlideSource }>];
        this.open.delete(oldest);
        void q.then((o) => o.source.close()).catch(() => undefined);
      }
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((o) => o.source.close()).catch(() => undefined)));
  }
}

interface RoiContext {
  options: ExtractOptions;
  store: LockStore;
  folder: SlideFolder;
  slides: OpenSlides;
  /** Worker threads, or null to render on this thread. */
  pool: RenderPool | null;
  /** Runs `fn` after every earlier call's `fn` has settled. */
  serial: <T>(fn: () => Promise<T>) => Promise<T>;
  now: () => Date;
}

/** Renders into the temp file of `dest`: on a worker when there is a pool, else on this thread. */
async function renderToTemp(ctx: RoiContext, slidePath: string, opened: { source: FileSlideSource; geometry: SlideGeometry }, plan: ReturnType<typeof planRoi>, temp: string): Promise<RenderedTemp> {
  const { options } = ctx;
  const strip = options.maxStripPixels === undefined ? {} : { maxStripPixels: options.maxStripPixels };
  if (ctx.pool !== null) return ctx.pool.render({ slidePath, plan, tempPath: temp, ...strip }, options.signal);
  return renderPlanToTemp(opened.source, opened.geometry, plan, temp, { ...(options.signal === undefined ? {} : { signal: options.signal }), ...strip });
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
  const temp = tempPathFor(dest);
  const rendered = await renderToTemp(ctx, found.path, opened, plan, temp);
  // One image at a time from here: after a Ctrl-C no other image gets its final name or lock line.
  return ctx.serial(async () => {
    if (options.signal?.aborted === true) {
      await removeQuietly(temp);
      options.signal.throwIfAborted();
    }
    const file = await commitRendered(rendered, temp, dest, false); // the lock syncs the folder before it records the file
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
    const image: ExtractedImage = { ...base, width: file.width, height: file.height, status: 'done' };
    options.onImage?.(image);
    return image;
  });
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

/**
 * Every ROI, `concurrency` at a time, in order of the list (so each slide's ROIs stay together).
 * A fault that ends the run stops the others from starting and is thrown once they settle.
 */
async function extractAll(ordered: RoiRecord[], ctx: RoiContext, concurrency: number, summary: ExtractSummary): Promise<void> {
  const { options } = ctx;
  const images: Array<ExtractedImage | undefined> = [];
  let next = 0;
  let fatal: { err: unknown } | null = null;
  const runner = async (): Promise<void> => {
    while (fatal === null && next < ordered.length) {
      const i = next++;
      const roi = ordered[i] as RoiRecord;
      try {
        options.signal?.throwIfAborted();
        const image = await extractRoi(roi, ctx);
        images[i] = image;
        if (image.status === 'skipped') options.onImage?.(image);
      } catch (err) {
        if (!isPerRoi(err) || options.signal?.aborted === true) {
          fatal ??= { err };
          return;
        }
        const failure = { roi: roi.name, reason: (err as Error).message };
        summary.failures.push(failure);
        options.onFailure?.(failure);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
  summary.images.push(...images.filter((x): x is ExtractedImage => x !== undefined));
  if (fatal !== null) throw (fatal as { err: unknown }).err;
}

export async function runExtract(options: ExtractOptions): Promise<ExtractSummary> {
  const t0 = performance.now();
  const now = options.now ?? (() => new Date());
  const outDir = resolve(options.outDir);
  const folder = await readSlideFolder(resolve(options.wsiDir));
  await ensureDir(join(outDir, 'images'));
  const lease = await acquireLease(outDir);
  const slides = new OpenSlides(6);
  const summary: ExtractSummary = { images: [], failures: [], seconds: 0, lockPath: '' };
  try {
    const read = await readLock(outDir, { moveAside: true, now });
    const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: offlineLockOptions(read.lock, options.resolution, 'images', options.rois.length), now });
    summary.lockPath = store.path;
    try {
      if (read.journal === true) await store.compact();
      // Under the lease nobody else writes here: any temp file is an interrupted run's.
      await removeStaleTempFiles(join(outDir, 'images'), 0);
      const ordered = groupBySlide(options.rois);
      // One render more than cores: a render waits on its tile decode (sharp) and its deflate
      // (zlib), both off its thread, and the extra render fills those gaps (S6: 18 s → 15.4 s on
      // 2 cores; a fourth gained 0.3 s for 80 MB more).
      const concurrency = Math.max(1, Math.min(options.concurrency ?? Math.min(availableParallelism() + 1, 4), ordered.length));
      const pool = concurrency > 1 ? new RenderPool(concurrency) : null;
      let chain: Promise<unknown> = Promise.resolve();
      const serial = <T>(fn: () => Promise<T>): Promise<T> => {
        const run = chain.then(fn);
        chain = run.catch(() => undefined);
        return run;
      };
      const ctx: RoiContext = { options: { ...options, outDir }, store, folder, slides, pool, serial, now };
      try {
        await extractAll(ordered, ctx, concurrency, summary);
      } finally {
        await pool?.close();
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

