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
import { bufferStream } from './buffer-stream.js';
import { demoAnnotationDocument } from './demo-annotation.js';
import { renderRoiMaskPng } from './demo-mask.js';
import { demoBasePixels, demoSlideImage, demoSlideSpec } from './demo-slide.js';
import { deterministicObjectId, deterministicUuid, girderDate } from './deterministic-ids.js';
import { lazyMaskFile } from './lazy-mask-file.js';
import type { RoiBounds } from './roi-element.js';
import { formatRoiTable, scaleRoiBounds } from './roi-table.js';
import { selectRois } from './select-rois.js';
import { standInSlideBytes } from './stand-in-bytes.js';

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
}

/** Bump when the generator changes, so masks cached by an older version are not served. */
const GENERATOR_VERSION = 1;

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

/** The name a BCSS mask has: `TCGA-A1-A0SK-DX1_xmin45749_ymin25055.png`. */
export function demoMaskName(roiName: string, bounds: RoiBounds): string {
  return `${roiName}_xmin${bounds.xmin}_ymin${bounds.ymin}.png`;
}

/**
 * The deterministic demo dataset served by `bcss serve --demo`: the 151 BCSS slides with their real
 * names and DSA item ids as virtual slides (pixels mirrored from the shipped CMU-1-Small-Region.svs),
 * one seeded annotation per slide, the masks rasterised from those annotations (lazily, cached in
 * `cacheDir`), stand-in `.svs` bytes and GDC records. Nothing slide-sized is ever materialised.
 */
export async function loadDemoDataset(options: DemoDatasetOptions): Promise<ServedDataset> {
  const { seed, scale } = checkOptions(options);
  const slides = builtinSlides();
  const rois = selectRois(builtinRois(), slides, options.slides);
  const maskDir = demoMaskCacheDir(options.cacheDir, seed, scale);
  await mkdir(options.cacheDir, { recursive: true });

  const creatorId = deterministicObjectId(seed, 'user');
  const collection = { id: deterministicObjectId(seed, 'collection'), name: 'BCSS' };
  const folder: ServedFolder = {
    id: DSA_FOLDER_ID,
    name: DEMO_FOLDER_NAME,
    description: `Deterministic bcss demo (seed ${seed}, scale ${scale})`,
    parentId: collection.id,
    parentCollection: 'collection',
    creatorId,
    created: girderDate(DSA_FOLDER_ID, 540),
    updated: girderDate(DSA_FOLDER_ID, 540),
    public: true,
  };

  const items: ServedItem[] = [];
  const masks: FigshareFile[] = [];
  const gdcFiles: GdcFile[] = [];
  const tableRows: (RoiRecord & { bounds: RoiBounds })[] = [];

  for (const roi of rois) {
    const slide = findSlideForRoi(roi, slides);
    if (slide === undefined) throw new Error(`catalog inconsistency: no slide for ROI ${roi.name}`);
    const bounds = scaleRoiBounds(roi, scale);
    tableRows.push({ ...roi, bounds });

    const itemId = slide.dsaItemId;
    const fileId = deterministicObjectId(seed, 'file', slide.fileName);
    const standIn = standInSlideBytes(seed, slide.fileName);
    const spec = demoSlideSpec({ seed, name: slide.fileName, magnification: slide.magnification, roi, scaledRoi: bounds }, scale);

    let document: AnnotationDocument | undefined;
    const annotation = (): AnnotationDocument =>
      (document ??= demoAnnotationDocument({ seed, scale, roiName: roi.name, bounds, itemId, creatorId }));
    const elements = (): AnnotationElement[] => annotation().annotation.elements;

    items.push({
      id: itemId,
      name: slide.fileName,
      folderId: folder.id,
      creatorId,
      description: '',
      created: girderDate(itemId, 250),
      updated: girderDate(itemId, 250),
      files: [
        {
          id: fileId,
          itemId,
          name: slide.fileName,
          size: standIn.bytes.length,
          mimeType: 'application/octet-stream',
          created: girderDate(fileId, 125),
          updated: girderDate(fileId, 125),
          open: (range) => bufferStream(standIn.bytes, range),
        },
      ],
      largeImage: { fileId, sourceName: 'openslide' },
      slide: demoSlideImage(spec, demoBasePixels),
      // A fresh copy per call: callers may annotate or filter what they get.
      annotations: async () => [structuredClone(annotation())],
    });

    const maskName = demoMaskName(roi.name, bounds);
    masks.push(
      lazyMaskFile({
        id: roi.maskFileId,
        name: maskName,
        cachePath: join(maskDir, maskName),
        render: () => {
          options.onMaskRender?.(roi.name);
          return renderRoiMaskPng(roi.name, elements(), bounds);
        },
      }),
    );

    gdcFiles.push({
      fileId: deterministicUuid(slide.fileName),
      fileName: slide.fileName,
      size: standIn.bytes.length,
      md5: standIn.md5,
      dataFormat: 'SVS',
      access: 'open',
      open: (range) => bufferStream(standIn.bytes, range),
    });
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
