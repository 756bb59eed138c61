import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import {
  builtinRois,
  builtinSlides,
  DSA_FOLDER_ID,
  FIGSHARE_ARTICLE_ID,
  findSlideByFileName,
  gtCodes,
  type RoiRecord,
} from '../../catalog/index.js';
import { isBcssError, UsageError } from '../../errors.js';
import { elementClass, elementPolygon, polygonBbox } from '../../geometry/element-geometry.js';
import { rasteriseRoi } from '../../geometry/rasterise.js';
import { openSlide } from '../../slides/open-slide.js';
import { slideGeometry } from '../../slides/slide-geometry.js';
import type { AnnotationDocument, FigshareFile, GdcFile, ServedDataset, ServedFolder, ServedItem } from '../dataset-types.js';
import { deterministicObjectId, deterministicUuid, girderDate, hashParts } from '../demo/deterministic-ids.js';
import { lazyMaskFile } from '../demo/lazy-mask-file.js';
import { encodeGreyPng } from '../../image/label-png.js';
import { readAnnotationFile } from './annotation-file.js';
import { containedRealPath, unchangedRealPath, type SymlinkPolicy } from './contained-path.js';
import { fileRangeStream, hashFile } from './file-stream.js';

const SLIDE_EXTENSIONS = new Set(['.svs', '.tif', '.tiff']);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** `<slide name>.json` (e.g. `x.svs.json`), else `<stem>.json`; null when neither exists (or it is refused). */
async function annotationPathFor(dir: string, rootReal: string, name: string, policy: SymlinkPolicy): Promise<string | null> {
  for (const candidate of [`${name}.json`, `${basename(name, extname(name))}.json`]) {
    const path = join(dir, candidate);
    if (await exists(path)) return containedRealPath(rootReal, path, candidate, policy);
  }
  return null;
}

export interface DataDirOptions {
  /** Serve files whose real path leaves the folder (default false: refused and reported). */
  followSymlinks?: boolean;
  /** Where refusals are reported (the CLI prints them on stderr). */
  log?: (message: string) => void;
}

/** The BCSS ROI drawn on a catalog slide, so masks of real BCSS slides keep their figshare ids. */
function catalogRoiFor(slideName: string): RoiRecord | undefined {
  const slide = findSlideByFileName(slideName, builtinSlides());
  return slide === undefined ? undefined : builtinRois().find((r) => r.caseId === slide.caseId);
}

/** The slide files of the folder (sorted), minus symlinks the policy refuses. */
async function listSlides(root: string, policy: SymlinkPolicy): Promise<{ rootReal: string; slides: Array<{ name: string; path: string }> }> {
  let names: string[];
  let rootReal: string;
  try {
    names = (await readdir(root)).filter((n) => SLIDE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
    rootReal = await realpath(root);
  } catch (err) {
    throw new UsageError(`cannot read the data folder ${root}: ${(err as Error).message}`, { cause: err });
  }
  const slides: Array<{ name: string; path: string }> = [];
  for (const name of names) {
    const path = await containedRealPath(rootReal, join(root, name), name, policy).catch((err: unknown) => {
      throw new UsageError(`cannot read slide ${join(root, name)}: ${(err as Error).message}`, { cause: err });
    });
    if (path !== null) slides.push({ name, path });
  }
  if (slides.length === 0) {
    const refused = names.length > 0 ? ` (${names.length} refused as symlinks leaving it; see --follow-symlinks)` : '';
    throw new UsageError(`the data folder ${root} holds no .svs, .tif or .tiff slides${refused}`);
  }
  return { rootReal, slides };
}

function dataDirFolder(root: string, collectionId: string, creatorId: string): ServedFolder {
  return {
    id: DSA_FOLDER_ID,
    name: basename(root),
    description: `Slides served from ${root}`,
    parentId: collectionId,
    parentCollection: 'collection',
    creatorId,
    created: girderDate(DSA_FOLDER_ID),
    updated: girderDate(DSA_FOLDER_ID),
    public: true,
  };
}

/** What is shared while loading the slides of one folder. */
interface LoadContext {
  readonly root: string;
  readonly rootReal: string;
  readonly policy: SymlinkPolicy;
  readonly creatorId: string;
  readonly folderId: string;
  readonly codes: ReturnType<typeof gtCodes>;
  readonly roiGroups: ReadonlySet<string>;
  /** Mask ids handed out so far, across slides. */
  readonly usedMaskIds: Set<number>;
}

/** One slide as a Girder item (geometry read from the file, bytes hashed) plus its annotation documents. */
async function loadSlideItem(lc: LoadContext, name: string, path: string): Promise<{ item: ServedItem; documents: AnnotationDocument[]; annotationPath: string | null; size: number; md5: string }> {
  let source;
  try {
    source = await openSlide(path);
  } catch (err) {
    const why = isBcssError(err) || err instanceof Error ? err.message : String(err);
    throw new UsageError(`cannot read slide ${path}: ${why}`, { cause: err });
  }
  const geometry = slideGeometry(source);
  const tile = { tileWidth: source.tileWidth, tileHeight: source.tileHeight };
  await source.close();

  const { size, md5 } = await hashFile(path);
  const catalogSlide = findSlideByFileName(name, builtinSlides());
  const itemId = catalogSlide?.dsaItemId ?? deterministicObjectId('data-dir', 'item', name);
  const fileId = deterministicObjectId('data-dir', 'file', name);
  const annotationPath = await annotationPathFor(lc.root, lc.rootReal, name, lc.policy);
  const documents: AnnotationDocument[] =
    annotationPath === null ? [] : await readAnnotationFile(annotationPath, { itemId, creatorId: lc.creatorId, slideName: name });

  const item: ServedItem = {
    id: itemId,
    name,
    folderId: lc.folderId,
    creatorId: lc.creatorId,
    description: '',
    created: girderDate(itemId),
    updated: girderDate(itemId),
    files: [
      {
        id: fileId,
        itemId,
        name,
        size,
        mimeType: 'image/tiff',
        created: girderDate(fileId),
        updated: girderDate(fileId),
        open: (range) => fileRangeStream(path, range),
      },
    ],
    largeImage: { fileId, sourceName: extname(name).toLowerCase() === '.svs' ? 'openslide' : 'tiff' },
    slide: { ...tile, geometry, open: async () => openSlide(await unchangedRealPath(path)) },
    annotations: async () => structuredClone(documents),
  };
  return { item, documents, annotationPath, size, md5 };
}

/** One lazily rasterised figshare mask per drawable ROI element of the slide's documents. */
function slideMasks(lc: LoadContext, name: string, documents: readonly AnnotationDocument[], annotationPath: string | null): FigshareFile[] {
  const masks: FigshareFile[] = [];
  const catalogRoi = catalogRoiFor(name);
  const roiBase = catalogRoi?.name ?? basename(name, extname(name));
  for (const doc of documents) {
    const elements = doc.annotation.elements;
    // The rasteriser numbers ROIs among drawable ROI-group elements, in input order.
    const rois = elements.flatMap((el) => {
      if (!lc.roiGroups.has(elementClass(el) ?? '')) return [];
      let polygon;
      try {
        polygon = elementPolygon(el);
      } catch (err) {
        throw new UsageError(`${annotationPath ?? name}: ROI element ${String(el.id)} is malformed: ${(err as Error).message}`, { cause: err });
      }
      return polygon === null ? [] : [polygonBbox(polygon)];
    });
    rois.forEach((bbox, roiIndex) => {
      let id: number;
      if (catalogRoi !== undefined && !lc.usedMaskIds.has(catalogRoi.maskFileId)) id = catalogRoi.maskFileId;
      else {
        id = 90_000_000 + (hashParts('data-dir-mask', name, doc._id, roiIndex).readUInt32BE(0) % 9_000_000);
        while (lc.usedMaskIds.has(id)) id++;
      }
      lc.usedMaskIds.add(id);
      masks.push(
        lazyMaskFile({
          id,
          name: `${roiBase}_xmin${bbox.xmin}_ymin${bbox.ymin}.png`,
          cachePath: null,
          render: () => {
            const mask = rasteriseRoi(elements, { gtCodes: lc.codes, roiIndex });
            return encodeGreyPng(mask.data, mask.width, mask.height);
          },
        }),
      );
    });
  }
  return masks;
}

/**
 * A dataset served from a folder of real slides (`bcss serve --data DIR`): each
 * `.svs`/`.tif`/`.tiff` is an item of one folder, with metadata and regions read from the file and
 * its bytes served as the item's file (Range supported). `<slide>.json` holds its annotations; every
 * ROI element in them yields a figshare mask rasterised on first request. GDC records carry the true
 * size and MD5 of each slide (hashed at load).
 */
export async function loadDataDir(dir: string, options: DataDirOptions = {}): Promise<ServedDataset> {
  const root = resolve(dir);
  const policy: SymlinkPolicy = { followSymlinks: options.followSymlinks ?? false, onRefused: options.log ?? (() => undefined) };
  const { rootReal, slides } = await listSlides(root, policy);

  const creatorId = deterministicObjectId('data-dir', 'user');
  const collection = { id: deterministicObjectId('data-dir', 'collection', root), name: basename(root) };
  const folder = dataDirFolder(root, collection.id, creatorId);
  const codes = gtCodes();
  const lc: LoadContext = {
    root,
    rootReal,
    policy,
    creatorId,
    folderId: folder.id,
    codes,
    roiGroups: new Set(codes.filter((c) => c.isRoi).map((c) => c.group)),
    usedMaskIds: new Set<number>(),
  };
  const items: ServedItem[] = [];
  const masks: FigshareFile[] = [];
  const gdcFiles: GdcFile[] = [];

  for (const { name, path } of slides) {
    const { item, documents, annotationPath, size, md5 } = await loadSlideItem(lc, name, path);
    items.push(item);
    masks.push(...slideMasks(lc, name, documents, annotationPath));
    gdcFiles.push({
      fileId: deterministicUuid(name),
      fileName: name,
      size,
      md5,
      dataFormat: extname(name).toLowerCase() === '.svs' ? 'SVS' : 'TIFF',
      access: 'open',
      open: (range) => fileRangeStream(path, range),
    });
  }

  return {
    collection,
    folders: [folder],
    items,
    figshare: { articleId: FIGSHARE_ARTICLE_ID, title: `Masks of the slides in ${basename(root)}`, doi: `10.6084/m9.figshare.${FIGSHARE_ARTICLE_ID}`, files: masks },
    gdc: { files: gdcFiles },
    roiTablePath: null,
  };
}
