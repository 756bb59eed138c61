/**
 * `bcss rasterize`: DSA annotation JSON → label masks, offline (issue 12). For each annotation
 * file: every ROI element becomes one mask named as `bcss download` names it, written atomically
 * into the masks folder and recorded in the output folder's lock (kind `masks`, no source URL),
 * so `bcss verify` checks it. A file that is not valid JSON fails with an integrity error, one
 * with unknown groups or no ROI with a plain failure; the other files go on either way.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { builtinSlides, findSlideByFileName } from '../catalog/index.js';
import { IntegrityError, UsageError } from '../errors.js';
import type { OutlineMode } from '../geometry/pillow-polygon.js';
import { prepareGtTable, type GtTable } from '../geometry/rasterise-table.js';
import type { GtCode, Resolution } from '../geometry/types.js';
import { acquireLease } from '../storage/run-lease.js';
import { ensureDir, writeFileAtomic } from '../storage/atomic-file.js';
import { canonicalJson } from './artifacts.js';
import { sha256Hex } from './hash-file.js';
import { LockStore, offlineLockOptions, readLock, type LockEntry, type LockFile } from './lock-file.js';
import { annotationElements, renderMask, roisOfFile, SlideProblem, type MaskJob, type RoiOfFile, type Scaling } from './rasterize-slide.js';
import { toolVersion } from './tool-version.js';

export interface RasterizeOptions {
  /** The dataset folder: holds the lock (and the lease); default masks folder is `<outDir>/masks`. */
  outDir: string;
  masksDir: string;
  /** Annotation files or folders of them (`*.json`). */
  inputs: string[];
  resolution: Resolution;
  outline: OutlineMode;
  scaling: Scaling;
  gtCodes: GtCode[];
  /** Only slides whose ROI name / case id matches one of these (normalised TCGA keys); null = all. */
  slides: string[] | null;
  /** µm per base pixel, for `--scaling draw` with `--mpp` (HistomicsTK's mm_x of the slide). */
  baseMpp?: number;
  now?: () => Date;
  /** Called after each annotation file: its masks, or the reason it failed. */
  onFile?: (file: string, masks: RasterizedMask[] | null, failure: string | null) => void;
}

export interface RasterizedMask {
  file: string;
  path: string;
  width: number;
  height: number;
  status: 'done' | 'skipped';
  /** Elements that were not drawn, with the reason. */
  notes: string[];
}

export interface RasterizeSummary {
  masks: RasterizedMask[];
  failures: Array<{ item: string; reason: string; integrity: boolean }>;
  seconds: number;
  lockPath: string;
}

/** The annotation files named by `inputs` (folders: their `*.json`, sorted). */
export async function annotationFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info === undefined) {
      throw new UsageError(`${input} does not exist`, { hint: 'Pass annotation files or folders with --annotations (default OUT/annotations, written by `bcss download --components annotations`).' });
    }
    if (info.isDirectory()) {
      const names = (await readdir(input)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
      files.push(...names.map((n) => join(input, n)));
    } else files.push(input);
  }
  return files;
}

/** Does this annotation file belong to one of the `--slides` keys (TCGA-XX-XXXX or …-DXn)? */
function wanted(fileBase: string, slides: string[] | null): boolean {
  if (slides === null) return true;
  const name = fileBase.toUpperCase();
  return slides.some((key) => {
    const [caseId, dx] = [key.slice(0, 12), key.slice(13)];
    return name.startsWith(caseId) && (dx === '' || name.includes(`-${dx}.`) || name.endsWith(`-${dx}`));
  });
}

export async function runRasterize(options: RasterizeOptions): Promise<RasterizeSummary> {
  const t0 = performance.now();
  const now = options.now ?? (() => new Date());
  const table = prepareGtTable(options.gtCodes);
  if (options.scaling === 'draw' && options.resolution.kind === 'mpp' && options.baseMpp === undefined) {
    throw new UsageError('--scaling draw with --mpp needs the slides\' scan resolution: pass --base-mpp (µm per base pixel, e.g. 0.2525)', {
      hint: 'Or use --scaling resize (the default), which needs no slide metadata beyond the sizes in bcss.lock.json.',
    });
  }
  const all = await annotationFiles(options.inputs);
  if (all.length === 0) {
    throw new UsageError(`no annotation files (*.json) in ${options.inputs.join(', ')}`, {
      hint: 'Run `bcss download --components annotations` first, or pass files with --annotations.',
    });
  }
  const files = all.filter((f) => wanted(basename(f).replace(/\.json$/i, ''), options.slides));
  if (files.length === 0) {
    throw new UsageError(`--slides matches none of the ${all.length} annotation file(s) in ${options.inputs.join(', ')}`);
  }
  const outDir = resolve(options.outDir);
  await ensureDir(outDir);
  const lease = await acquireLease(outDir);
  const read = await readLock(outDir, { moveAside: true, now });
  const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: offlineLockOptions(read.lock, options.resolution, 'masks', 0), now });
  const sizeLocks = await sizeSources(read.lock, files);
  const summary: RasterizeSummary = { masks: [], failures: [], seconds: 0, lockPath: store.path };
  try {
    if (read.journal === true) await store.compact();
    await ensureDir(options.masksDir);
    for (const file of files) {
      try {
        const masks = await rasterizeFile(file, { options, table, store, outDir, sizeLocks, now });
        summary.masks.push(...masks);
        options.onFile?.(file, masks, null);
      } catch (err) {
        // Bad input costs its own slide only; disk, busy-folder and other faults end the run.
        if (!(err instanceof SlideProblem) && !(err instanceof IntegrityError)) throw err;
        summary.failures.push({ item: file, reason: err.message, integrity: err instanceof IntegrityError });
        options.onFile?.(file, null, err.message);
      }
    }
  } finally {
    await store.close().catch(() => undefined);
    await lease.release().catch(() => undefined);
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}


/**
 * Where the grid of a non-base mask comes from, offline: the sizes `bcss download` recorded for
 * the image or mask of the same name, in this folder's lock or in the lock of the dataset folder
 * the annotation files were read from.
 */
async function sizeSources(own: LockFile | null, files: string[]): Promise<LockEntry[]> {
  const entries = [...(own?.artifacts ?? [])];
  for (const dir of new Set(files.map((f) => dirname(dirname(resolve(f)))))) {
    const other = await readLock(dir, { moveAside: false }).catch(() => ({ lock: null }));
    entries.push(...(other.lock?.artifacts ?? []));
  }
  return entries;
}

interface FileContext {
  options: RasterizeOptions;
  table: GtTable;
  store: LockStore;
  outDir: string;
  sizeLocks: LockEntry[];
  now: () => Date;
}

async function rasterizeFile(file: string, ctx: FileContext): Promise<RasterizedMask[]> {
  const { options } = ctx;
  const bytes = await readFile(file);
  const fileBase = basename(file).replace(/\.json$/i, '');
  const elements = annotationElements(bytes.toString('utf8'), file);
  const rois = roisOfFile(elements, ctx.table, fileBase, options.resolution);
  const out: RasterizedMask[] = [];
  for (const roi of rois) {
    const dest = join(options.masksDir, roi.fileName);
    const rel = relative(ctx.outDir, dest);
    const inside = !rel.startsWith('..') && !rel.startsWith(sep);
    const lockPath = rel.split(sep).join('/');
    const job: MaskJob = { elements, gtCodes: options.gtCodes, roi, outline: options.outline, scaling: options.scaling, ...grid(roi, fileBase, ctx) };
    const params = {
      source: 'bcss rasterize',
      annotations: { file: basename(file), sha256: sha256Hex(bytes) },
      gtCodesSha256: sha256Hex(canonicalJson(options.gtCodes)),
      roiIndex: roi.roiIndex,
      bounds: [roi.xmin, roi.ymin, roi.xmax, roi.ymax],
      resolution: options.resolution,
      outline: options.outline,
      scaling: options.scaling,
      target: job.target,
      scale: job.scale,
    };
    const previous = inside ? ctx.store.get(lockPath) : undefined;
    if (previous !== undefined && canonicalJson(previous.source.params) === canonicalJson(params)) {
      const info = await stat(dest).catch(() => undefined);
      if (info !== undefined && info.size === previous.bytes && info.mtimeMs === previous.mtimeMs) {
        out.push({ file, path: dest, width: previous.width ?? 0, height: previous.height ?? 0, status: 'skipped', notes: [] });
        continue;
      }
    }
    const mask = await renderMask(job);
    await writeFileAtomic(dest, mask.png, { syncDir: !inside });
    const info = await stat(dest);
    if (inside) {
      await ctx.store.set({
        id: lockPath,
        kind: 'masks',
        path: lockPath,
        bytes: mask.png.length,
        sha256: sha256Hex(mask.png),
        mtimeMs: info.mtimeMs,
        source: { url: null, params },
        width: mask.width,
        height: mask.height,
        status: 'done',
        completed: ctx.now().toISOString(),
      });
    }
    out.push({ file, path: dest, width: mask.width, height: mask.height, status: 'done', notes: mask.skipped });
  }
  return out;
}

/** The mask's grid: `target` for resize, `scale` for draw (see MaskJob). */
function grid(roi: RoiOfFile, fileBase: string, ctx: FileContext): Pick<MaskJob, 'target' | 'scale'> {
  const { resolution, scaling } = ctx.options;
  if (resolution.kind === 'base') {
    // The download's base grid: the ROI bounds, W × H (the raster is one short; see mask-convert.ts).
    return scaling === 'resize' ? { target: { width: roi.xmax - roi.xmin, height: roi.ymax - roi.ymin }, scale: 1 } : { target: null, scale: 1 };
  }
  if (scaling === 'resize') {
    const want = new Set([`masks/${roi.fileName}`, `images/${roi.fileName}`, `images/${roi.fileName.replace(/\.png$/, '.jpg')}`]);
    const known = ctx.sizeLocks.find((e) => want.has(e.path) && e.width !== undefined && e.height !== undefined);
    if (known === undefined) {
      throw new SlideProblem(
        `${roi.fileName}: its pixel grid at ${describe(resolution)} is not known offline (no image or mask of that name in a bcss.lock.json); ` +
          'run `bcss download --components masks` (or images) at this resolution first, use --base, or --scaling draw',
      );
    }
    return { target: { width: known.width as number, height: known.height as number }, scale: 1 };
  }
  return { target: null, scale: drawScale(resolution, fileBase, ctx.options.baseMpp) };
}

/** HistomicsTK's sf (get_scale_factor_and_appendStr): mm_x / (0.001·MPP), or MAG / slide magnification. */
function drawScale(resolution: Resolution, fileBase: string, baseMpp: number | undefined): number {
  if (resolution.kind === 'mpp') {
    if (baseMpp === undefined) {
      throw new UsageError('--scaling draw with --mpp needs the slide resolution: pass --base-mpp (µm per base pixel, e.g. 0.2525)');
    }
    return baseMpp / resolution.mpp;
  }
  if (resolution.kind === 'mag') {
    const slide = findSlideByFileName(`${fileBase}.svs`, builtinSlides());
    if (slide === undefined) throw new SlideProblem(`--scaling draw --mag: the scan magnification of ${fileBase} is not in the catalog`);
    return resolution.magnification / slide.magnification;
  }
  return 1;
}

function describe(res: Resolution): string {
  return res.kind === 'mpp' ? `${res.mpp} µm/px` : res.kind === 'mag' ? `${res.magnification}×` : 'base';
}
