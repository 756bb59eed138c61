import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  builtinRois,
  builtinSlides,
  DATASET_TITLE,
  DSA_FOLDER_ID,
  FIGSHARE_ARTICLE_ID,
  findSlideForRoi,
  type RoiRecord,
} from '../../catalog/index.js';
import { UsageError } from '../../errors.js';
import type { AnnotationElement } from '../../geometry/types.js';
import type { AnnotationDocument, FigshareFile, GdcFile, ServedDataset, ServedFolder, ServedItem } from '../dataset-types.js';
import { writeFileAtomic } from './atomic-write.js';
import { demoAnnotationDocument } from './demo-annotation.js';
import { demoSlideFile, standInSlideFile } from './demo-slide-file.js';
import { demoSlideViews } from './demo-slide-views.js';
import { renderRoiMaskPng } from './demo-mask.js';
import { demoBasePixels, demoSlideSpec, type DemoSlideSpec } from './demo-slide.js';
import { demoTileSlideImage } from './demo-tile-slide.js';
import { deterministicObjectId, deterministicUuid, girderDate } from './deterministic-ids.js';
import { lazyMaskFile } from './lazy-mask-file.js';
import type { RoiBounds } from './roi-element.js';
import { formatRoiTable, scaleRoiBounds } from './roi-table.js';
import { selectRois } from './select-rois.js';

export interface DemoDatasetOptions {
  /** Everything derived from randomness depends on it; default 1. */
  seed?: number;
  /** 0 < scale ≤ 1: shrinks slides, ROI bounds, annotations and masks; default 1. */
  scale?: number;
  /** `--slides` filter: ROI names, case ids, short forms (`A1-A0SK`) or slide file names. */
  slides?: string[];
  /** Where rendered masks and the ROI table are cached (created if missing). */
  cacheDir: string;
  /** Called whenever a mask is actually rendered (not read from the cache); for tests and logs. */
  onMaskRender?: (roiName: string) => void;
  /**
   * What the slides' `.svs` files hold. `tiff`: real pyramidal JPEG TIFFs with an Aperio
   * description, made from the demo's pixels on first need and cached in `cacheDir`. `stand-in`:
   * a few KB of placeholder bytes. Default: `tiff` while the selected slides total at most
   * DEMO_TIFF_PIXEL_BUDGET base pixels (the whole demo up to about --scale 0.07), else `stand-in`.
   */
  slideFiles?: 'tiff' | 'stand-in';
  /** Called whenever a slide file is actually generated (not found in the cache). */
  onSlideGenerate?: (fileName: string) => void;
}

/**
 * Base pixels of all selected slides above which real slide files are not made by default. The
 * whole demo at --scale 0.05 is 1.0 Gpx (370 MB of TIFFs, ~13 s to make); at 0.1 (`npm run demo`,
 * the S1 bench) 4.1 Gpx, 1.7 GB and ~29 s, a cost every first listing would pay for files a
 * default download never fetches; at scale 1, 411 Gpx and over 100 GB.
 */
export const DEMO_TIFF_PIXEL_BUDGET = 2e9;

/** Bump when the generator changes, so masks cached by an older version are not served. */
const GENERATOR_VERSION = 1;
/** Bump when the slide TIFF writer's output changes. */
const SLIDE_GENERATOR_VERSION = 1;

export const DEMO_FOLDER_NAME = 'BCSS slides';
export const DEMO_FIGSHARE_TITLE = `${DATASET_TITLE}: ground-truth masks`;

function checkOptions(options: DemoDatasetOptions): { seed: number; scale: number } {
  const seed = options.seed ?? 1;
  const scale = options.scale ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UsageError(`expected a non-negative integer for the demo seed but received ${String(seed)}`);
  }
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new UsageError(`expected a number in (0, 1] for the demo scale but received ${String(scale)}`);
  }
  return { seed, scale };
}

/** Where rendered masks of one (seed, scale) are cached inside `cacheDir`. */
export function demoMaskCacheDir(cacheDir: string, seed: number, scale: number): string {
  return join(cacheDir, 'masks', `v${GENERATOR_VERSION}-seed${seed}-scale${scale}`);
}

/** Where generated slide files of one (seed, scale) are cached inside `cacheDir`. */
export function demoSlideCacheDir(cacheDir: string, seed: number, scale: number): string {
  return join(cacheDir, 'slides', `v${SLIDE_GENERATOR_VERSION}-seed${seed}-scale${scale}`);
}

/** The name a BCSS mask has: `TCGA-A1-A0SK-DX1_xmin45749_ymin25055.png`. */
export function demoMaskName(roiName: string, bounds: RoiBounds): string {
  return `${roiName}_xmin${bounds.xmin}_ymin${bounds.ymin}.png`;
}

/**
 * The deterministic demo dataset served by `bcss serve --demo`: the 151 BCSS slides with their real
 * names and DSA item ids as virtual slides (pixels mirrored from the shipped CMU-1-Small-Region.svs),
 * one seeded annotation per slide, the masks rasterised from those annotations (lazily, cached in
 * `cacheDir`), the slides' `.svs` files (real pyramidal TIFFs generated on first need and cached in
 * `cacheDir`, or stand-in bytes for huge demos: see `slideFiles`) and GDC records.
 */
export async function loadDemoDataset(options: DemoDatasetOptions): Promise<ServedDataset> {
  const { seed, scale } = checkOptions(options);
  const slides = builtinSlides();
  const rois = selectRois(builtinRois(), slides, options.slides);
  await mkdir(options.cacheDir, { recursive: true });

  const creatorId = deterministicObjectId(seed, 'user');
  const collection = { id: deterministicObjectId(seed, 'collection'), name: 'BCSS' };
  const folder = demoFolder(seed, scale, collection.id, creatorId);

  const items: ServedItem[] = [];
  const masks: FigshareFile[] = [];
  const gdcFiles: GdcFile[] = [];
  const tableRows: (RoiRecord & { bounds: RoiBounds })[] = [];

  const { planned, realSlides } = planSlides(rois, slides, seed, scale, options.slideFiles);
  const dc: DemoContext = {
    options,
    seed,
    scale,
    creatorId,
    folderId: folder.id,
    maskDir: demoMaskCacheDir(options.cacheDir, seed, scale),
    slideDir: demoSlideCacheDir(options.cacheDir, seed, scale),
    realSlides,
  };
  for (const slidePlan of planned) {
    tableRows.push({ ...slidePlan.roi, bounds: slidePlan.bounds });
    const { item, mask, gdc } = demoSlideEntries(dc, slidePlan);
    items.push(item);
    masks.push(mask);
    gdcFiles.push(gdc);
  }

  return {
    collection,
    folders: [folder],
    items,
    figshare: { articleId: FIGSHARE_ARTICLE_ID, title: DEMO_FIGSHARE_TITLE, doi: `10.6084/m9.figshare.${FIGSHARE_ARTICLE_ID}`, files: masks },
    gdc: { files: gdcFiles },
    roiTablePath: await writeRoiTable(options.cacheDir, scale, rois.length === builtinRois().length, tableRows),
  };
}

function demoFolder(seed: number, scale: number, collectionId: string, creatorId: string): ServedFolder {
  return {
    id: DSA_FOLDER_ID,
    name: DEMO_FOLDER_NAME,
    description: `Deterministic bcss demo (seed ${seed}, scale ${scale})`,
    parentId: collectionId,
    parentCollection: 'collection',
    creatorId,
    created: girderDate(DSA_FOLDER_ID, 540),
    updated: girderDate(DSA_FOLDER_ID, 540),
    public: true,
  };
}

/** What every slide of one demo shares. */
interface DemoContext {
  readonly options: DemoDatasetOptions;
  readonly seed: number;
  readonly scale: number;
  readonly creatorId: string;
  readonly folderId: string;
  readonly maskDir: string;
  readonly slideDir: string;
  readonly realSlides: boolean;
}

type PlannedSlide = ReturnType<typeof planSlides>['planned'][number];

/** One planned slide as a Girder item, its lazily rendered figshare mask and its GDC record. */
function demoSlideEntries(dc: DemoContext, { roi, slide, bounds, spec }: PlannedSlide): { item: ServedItem; mask: FigshareFile; gdc: GdcFile } {
  const { options, seed, scale, creatorId } = dc;
  const itemId = slide.dsaItemId;
  const fileId = deterministicObjectId(seed, 'file', slide.fileName);
  const tiff = dc.realSlides
    ? demoSlideFile({
        name: slide.fileName,
        spec,
        base: demoBasePixels,
        cachePath: join(dc.slideDir, slide.fileName),
        ...(options.onSlideGenerate ? { onGenerate: options.onSlideGenerate } : {}),
      })
    : null;
  const views = demoSlideViews({
    bytes: tiff ?? standInSlideFile(seed, slide.fileName),
    tiff,
    fileName: slide.fileName,
    itemId,
    fileId,
    gdcId: deterministicUuid(slide.fileName),
  });

  let document: AnnotationDocument | undefined;
  const annotation = (): AnnotationDocument =>
    (document ??= demoAnnotationDocument({ seed, scale, roiName: roi.name, bounds, itemId, creatorId }));
  const elements = (): AnnotationElement[] => annotation().annotation.elements;

  const item: ServedItem = {
    id: itemId,
    name: slide.fileName,
    folderId: dc.folderId,
    creatorId,
    description: '',
    created: girderDate(itemId, 250),
    updated: girderDate(itemId, 250),
    files: [views.file],
    largeImage: { fileId, sourceName: 'openslide' },
    slide: { ...demoTileSlideImage(spec, demoBasePixels), ...(views.storedTiff ? { storedTiff: views.storedTiff } : {}) },
    // A fresh copy per call: callers may annotate or filter what they get.
    annotations: async () => [structuredClone(annotation())],
  };

  const maskName = demoMaskName(roi.name, bounds);
  const mask = lazyMaskFile({
    id: roi.maskFileId,
    name: maskName,
    cachePath: join(dc.maskDir, maskName),
    render: () => {
      options.onMaskRender?.(roi.name);
      return renderRoiMaskPng(roi.name, elements(), bounds);
    },
  });
  return { item, mask, gdc: views.gdc };
}

/** Each ROI's slide, scaled bounds and virtual slide spec; and whether the slides get real files. */
function planSlides(
  rois: RoiRecord[],
  slides: ReturnType<typeof builtinSlides>,
  seed: number,
  scale: number,
  slideFiles: DemoDatasetOptions['slideFiles'],
): { planned: { roi: RoiRecord; slide: NonNullable<ReturnType<typeof findSlideForRoi>>; bounds: RoiBounds; spec: DemoSlideSpec }[]; realSlides: boolean } {
  const planned = rois.map((roi) => {
    const slide = findSlideForRoi(roi, slides);
    if (slide === undefined) throw new Error(`catalog inconsistency: no slide for ROI ${roi.name}`);
    const bounds = scaleRoiBounds(roi, scale);
    const spec = demoSlideSpec({ seed, name: slide.fileName, magnification: slide.magnification, roi, scaledRoi: bounds }, scale);
    return { roi, slide, bounds, spec };
  });
  const pixels = planned.reduce((sum, p) => sum + p.spec.sizeX * p.spec.sizeY, 0);
  return { planned, realSlides: (slideFiles ?? (pixels <= DEMO_TIFF_PIXEL_BUDGET ? 'tiff' : 'stand-in')) === 'tiff' };
}

/**
 * The served ROI bounds as a roiBounds.csv-format file, for clients of a scaled demo. A filtered
 * demo gets its own file (named by a hash of its ROI list) so that two servers sharing a cache
 * folder never overwrite each other's table. Rewritten only when the content differs.
 */
async function writeRoiTable(
  cacheDir: string,
  scale: number,
  complete: boolean,
  rows: (RoiRecord & { bounds: RoiBounds })[],
): Promise<string> {
  const suffix = complete ? '' : `-${deterministicObjectId(...rows.map((r) => r.name)).slice(8, 16)}`;
  const path = join(cacheDir, `rois-scale-${scale}${suffix}.csv`);
  const text = formatRoiTable(rows);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== text) await writeFileAtomic(path, text);
  return path;
}
