/**
 * `bcss prepare gallery`: gallery/index.html with image, mask and overlay thumbnails per ROI,
 * to eyeball alignment and class content offline (BCSS issue #1).
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { builtinClasses } from '../catalog/classes.js';
import { IntegrityError, UsageError } from '../errors.js';
import { renderGallery, type GalleryCard } from './gallery-html.js';
import { cacheKey, fingerprint, ItemCache, outputsIntact, writeIfChanged, type OutputFile } from './item-cache.js';
import { loadPairs } from './load-pairs.js';
import { encodeColourPng } from '../image/rgb-png.js';
import { checkClassCodes, countLabels, MAX_CLASS_CODE, readMaskLabels } from './mask-pixels.js';
import { pruneFolder } from './prune-folder.js';
import { colourLabels, overlayLabels, sampleLabels, thumbSize } from './thumbnails.js';
import type { PrepareGalleryOptions, PrepareGalleryResult, PrepareHooks, RoiPair } from './types.js';

const FORMAT = 'gallery-1';

interface RoiThumbs {
  thumbWidth: number;
  thumbHeight: number;
  counts: number[];
  files: OutputFile[];
}

export function checkMaxWidth(value: number): number {
  if (!Number.isSafeInteger(value) || value < 16 || value > 4096) {
    throw new UsageError(`expected an integer 16..4096 for --max-width but received ${String(value)}`);
  }
  return value;
}

const thumbNames = (roi: string): { image: string; mask: string; overlay: string } => ({
  image: `thumbs/${roi}.image.png`,
  mask: `thumbs/${roi}.mask.png`,
  overlay: `thumbs/${roi}.overlay.png`,
});

async function renderRoi(root: string, pair: RoiPair, maxWidth: number): Promise<RoiThumbs> {
  const mask = await readMaskLabels(pair.maskPath);
  const counts = countLabels(mask.data);
  checkClassCodes(counts, pair.maskPath);
  const size = thumbSize(mask.width, mask.height, maxWidth);
  // libvips shrinks the image in strips from the file: the full RGB never sits in memory.
  const { data, info } = await sharp(pair.imagePath as string, { limitInputPixels: false })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size.width, size.height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size.width || info.height !== size.height) {
    throw new IntegrityError(`${pair.imagePath}: thumbnail came out ${info.width}×${info.height}×${info.channels}`, { path: pair.imagePath ?? undefined });
  }
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const labels = sampleLabels(mask.data, mask.width, mask.height, size.width, size.height);
  const names = thumbNames(pair.roi);
  const pngs: Array<[string, Buffer]> = [
    [names.image, await encodeColourPng(rgb, size.width, size.height, 3)],
    [names.mask, await encodeColourPng(colourLabels(labels), size.width, size.height, 4)],
    [names.overlay, await encodeColourPng(overlayLabels(rgb, labels), size.width, size.height, 3)],
  ];
  const files: OutputFile[] = [];
  for (const [rel, png] of pngs) {
    await writeIfChanged(join(root, 'gallery', rel), png);
    files.push({ path: `gallery/${rel}`, bytes: png.length });
  }
  return { thumbWidth: size.width, thumbHeight: size.height, counts: Array.from(counts.subarray(0, MAX_CLASS_CODE + 1)), files };
}

export async function prepareGallery(options: PrepareGalleryOptions, hooks: PrepareHooks = {}): Promise<PrepareGalleryResult> {
  const maxWidth = checkMaxWidth(options.maxWidth);
  const root = options.root;
  const emit = hooks.onEvent ?? (() => undefined);
  const pairs = await loadPairs(root, { needImages: true, onEvent: emit });
  const cache = new ItemCache<RoiThumbs>(root, 'gallery');
  const result: PrepareGalleryResult = { rois: pairs.length, rendered: 0, upToDateRois: 0, htmlPath: join(root, 'gallery', 'index.html'), interrupted: false };
  const cards: GalleryCard[] = [];
  const keep = new Set<string>();
  for (const [i, pair] of pairs.entries()) {
    if (hooks.signal?.aborted === true) {
      result.interrupted = true;
      return result;
    }
    const key = cacheKey([FORMAT, await fingerprint(pair.imagePath as string), await fingerprint(pair.maskPath), maxWidth]);
    let thumbs = await cache.get(pair.roi, key);
    const upToDate = thumbs !== null && (await outputsIntact(root, thumbs.files));
    if (thumbs === null || !upToDate) {
      thumbs = await renderRoi(root, pair, maxWidth);
      await cache.put(pair.roi, key, thumbs);
      result.rendered += 1;
    } else {
      result.upToDateRois += 1;
    }
    const names = thumbNames(pair.roi);
    for (const rel of Object.values(names)) keep.add(rel.slice('thumbs/'.length));
    cards.push({
      roi: pair.roi,
      site: pair.site,
      baselineSplit: pair.baselineSplit,
      evaSplit: pair.evaSplit,
      width: pair.width,
      height: pair.height,
      fileName: pair.fileName,
      maskFileName: pair.maskFileName,
      thumbWidth: thumbs.thumbWidth,
      thumbHeight: thumbs.thumbHeight,
      thumbs: names,
      counts: thumbs.counts,
    });
    emit({ type: 'item', task: 'gallery', index: i + 1, total: pairs.length, roi: pair.roi, upToDate, detail: upToDate ? 'up to date' : `${thumbs.thumbWidth}×${thumbs.thumbHeight} thumbnails` });
  }
  await pruneFolder(join(root, 'gallery', 'thumbs'), keep);
  await cache.prune(new Set(pairs.map((p) => p.roi)));
  const classes = builtinClasses().map((c) => ({ code: c.code, name: c.name, group: c.group }));
  await writeIfChanged(result.htmlPath, renderGallery(cards, classes));
  return result;
}
