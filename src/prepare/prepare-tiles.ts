/**
 * `bcss prepare tiles`: fixed-size training tiles with their masks and one index.csv.
 * One ROI at a time, so memory is bounded by the largest image; each image is decoded once
 * (and only when one of its tiles is kept), tiles are cropped from the decoded pixels.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { IntegrityError, UsageError } from '../errors.js';
import { csvRow } from './csv-row.js';
import { cacheKey, fingerprint, ItemCache, outputsIntact, writeIfChanged, type OutputFile } from './item-cache.js';
import { labelMapping, type LabelMapping } from './label-mapping.js';
import { loadPairs } from './load-pairs.js';
import { encodeGreyPng } from '../image/label-png.js';
import { readImageRgb } from '../image/rgb-png.js';
import { checkClassCodes, countLabels, readMaskLabels } from './mask-pixels.js';
import { pruneFolder } from './prune-folder.js';
import { countInside, cutMaskTile, tileName, tileOrigins } from './tile-grid.js';
import type { PrepareHooks, PrepareTilesOptions, PrepareTilesResult, RoiPair, TileGroups, UndocumentedTreatment } from './types.js';

/** Bump when the tile format changes, so old caches count as stale. */
const FORMAT = 'tiles-1';

interface TileRecord {
  name: string;
  x: number;
  y: number;
  /** Mask pixels ≠ 0 before any mapping. */
  roiPixels: number;
  /** Pixels per output value, in `LabelMapping.values` order. */
  counts: number[];
  files: OutputFile[];
}

interface RoiTiles {
  tiles: TileRecord[];
  belowMinRoiFraction: number;
}

/** Options as the CLI has them (anything may be missing): defaults filled in, then checked. */
export function normaliseTilesOptions(o: {
  root: string;
  size: number;
  stride?: number | undefined;
  minRoiFraction?: number | undefined;
  groups?: string | undefined;
  exclude?: string | undefined;
}): PrepareTilesOptions {
  if (o.groups === 'raw' && o.exclude !== undefined) {
    throw new UsageError('--exclude only applies to --groups baseline: raw tiles keep code 7 as it is');
  }
  return checkTilesOptions({
    root: o.root,
    size: o.size,
    stride: o.stride ?? o.size,
    minRoiFraction: o.minRoiFraction ?? 0.5,
    groups: (o.groups ?? 'baseline') as TileGroups,
    exclude: (o.exclude ?? 'other') as UndocumentedTreatment,
  });
}

export function checkTilesOptions(o: PrepareTilesOptions): PrepareTilesOptions {
  const int = (v: number, what: string): number => {
    if (!Number.isSafeInteger(v) || v < 1 || v > 65535) throw new UsageError(`expected an integer 1..65535 for ${what} but received ${String(v)}`);
    return v;
  };
  int(o.size, '--size');
  int(o.stride, '--stride');
  if (typeof o.minRoiFraction !== 'number' || !Number.isFinite(o.minRoiFraction) || o.minRoiFraction < 0 || o.minRoiFraction > 1) {
    throw new UsageError(`expected a number 0..1 for --min-roi-fraction but received ${String(o.minRoiFraction)}`);
  }
  if (o.groups !== 'baseline' && o.groups !== 'raw') throw new UsageError(`expected "baseline" or "raw" for --groups but received ${JSON.stringify(o.groups)}`);
  if (o.exclude !== 'other' && o.exclude !== 'ignore') throw new UsageError(`expected "other" or "ignore" for --exclude but received ${JSON.stringify(o.exclude)}`);
  return { ...o };
}

async function cutRoi(pair: RoiPair, o: PrepareTilesOptions, mapping: LabelMapping, tilesRel: string): Promise<RoiTiles> {
  const mask = await readMaskLabels(pair.maskPath);
  if (mask.width !== pair.width || mask.height !== pair.height) {
    throw new IntegrityError(`${pair.maskPath}: decoded to ${mask.width}×${mask.height} px, its header says ${pair.width}×${pair.height}`, { path: pair.maskPath });
  }
  checkClassCodes(countLabels(mask.data), pair.maskPath);
  const area = o.size * o.size;
  const kept: Array<{ x: number; y: number; roiPixels: number }> = [];
  let below = 0;
  for (const y of tileOrigins(mask.height, o.size, o.stride)) {
    for (const x of tileOrigins(mask.width, o.size, o.stride)) {
      const roiPixels = countInside(mask.data, mask.width, x, y, o.size);
      if (roiPixels < o.minRoiFraction * area) below += 1;
      else kept.push({ x, y, roiPixels });
    }
  }
  const tiles: TileRecord[] = [];
  if (kept.length === 0) return { tiles, belowMinRoiFraction: below };

  const rgb = await readImageRgb(pair.imagePath as string);
  if (rgb.width !== mask.width || rgb.height !== mask.height) {
    throw new IntegrityError(`${pair.imagePath}: decoded to ${rgb.width}×${rgb.height} px, its mask is ${mask.width}×${mask.height} px`, { path: pair.imagePath ?? undefined });
  }
  const raw = Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength);
  for (const t of kept) {
    const name = tileName(pair.roi, t.x, t.y);
    const imagePng = await sharp(raw, { raw: { width: rgb.width, height: rgb.height, channels: 3 }, limitInputPixels: false })
      .extract({ left: t.x, top: t.y, width: o.size, height: o.size })
      .png()
      .toBuffer();
    const cut = cutMaskTile(mask.data, mask.width, t.x, t.y, o.size, mapping.lut);
    const maskPng = await encodeGreyPng(cut.pixels, o.size, o.size);
    const files: OutputFile[] = [
      { path: `${tilesRel}/images/${name}`, bytes: imagePng.length },
      { path: `${tilesRel}/masks/${name}`, bytes: maskPng.length },
    ];
    await writeIfChanged(join(o.root, files[0]?.path as string), imagePng);
    await writeIfChanged(join(o.root, files[1]?.path as string), maskPng);
    tiles.push({ name, x: t.x, y: t.y, roiPixels: t.roiPixels, counts: mapping.values.map((v) => cut.counts[v.value] as number), files });
  }
  return { tiles, belowMinRoiFraction: below };
}

export async function prepareTiles(input: PrepareTilesOptions, hooks: PrepareHooks = {}): Promise<PrepareTilesResult> {
  const o = checkTilesOptions(input);
  const emit = hooks.onEvent ?? (() => undefined);
  const mapping = labelMapping(o.groups, o.exclude);
  const tilesRel = `tiles/${o.size}`;
  const pairs = await loadPairs(o.root, { needImages: true, onEvent: emit });
  const cache = new ItemCache<RoiTiles>(o.root, `tiles-${o.size}`);
  const result: PrepareTilesResult = {
    rois: pairs.length,
    tiles: 0,
    written: 0,
    belowMinRoiFraction: 0,
    upToDateRois: 0,
    smallerThanSize: pairs.filter((p) => p.width < o.size || p.height < o.size).length,
    noTilesReason: null,
    indexPath: join(o.root, tilesRel, 'index.csv'),
    interrupted: false,
  };

  const area = o.size * o.size;
  let index = csvRow(['tile', 'roi', 'x', 'y', 'split_baseline', 'split_eva', 'roi_fraction', ...mapping.values.map((v) => `px_${v.name}`)]);
  const keep = new Set<string>();
  for (const [i, pair] of pairs.entries()) {
    if (hooks.signal?.aborted === true) {
      result.interrupted = true;
      return result;
    }
    const key = cacheKey([FORMAT, await fingerprint(pair.imagePath as string), await fingerprint(pair.maskPath), o.size, o.stride, o.minRoiFraction, o.groups, o.exclude]);
    let done = await cache.get(pair.roi, key);
    const upToDate = done !== null && (await outputsIntact(o.root, done.tiles.flatMap((t) => t.files)));
    if (done === null || !upToDate) {
      done = await cutRoi(pair, o, mapping, tilesRel);
      await cache.put(pair.roi, key, done);
      result.written += done.tiles.length;
    } else {
      result.upToDateRois += 1;
    }
    result.tiles += done.tiles.length;
    result.belowMinRoiFraction += done.belowMinRoiFraction;
    for (const t of done.tiles) {
      keep.add(t.name);
      index += csvRow([t.name, pair.roi, t.x, t.y, pair.baselineSplit, pair.evaSplit, (t.roiPixels / area).toFixed(6), ...t.counts]);
    }
    const detail = `${done.tiles.length} tile(s), ${done.belowMinRoiFraction} below --min-roi-fraction${upToDate ? ', up to date' : ''}`;
    emit({ type: 'item', task: 'tiles', index: i + 1, total: pairs.length, roi: pair.roi, upToDate, detail });
  }
  await pruneFolder(join(o.root, tilesRel, 'images'), keep);
  await pruneFolder(join(o.root, tilesRel, 'masks'), keep);
  await cache.prune(new Set(pairs.map((p) => p.roi)));
  await writeIfChanged(result.indexPath, index);
  await writeIfChanged(join(o.root, tilesRel, 'classes.json'), `${JSON.stringify(tileClassMap(o, mapping), null, 2)}\n`);
  if (result.tiles === 0) result.noTilesReason = noTilesReason(result, pairs, o);
  return result;
}

/** Why a run made no tile at all, and what to change. Pure. */
export function noTilesReason(r: PrepareTilesResult, pairs: readonly RoiPair[], o: PrepareTilesOptions): string {
  if (pairs.length === 0) return 'the folder has no image/mask pairs';
  const largest = pairs.reduce((a, p) => (p.width * p.height > a.width * a.height ? p : a));
  const size = `${largest.width}×${largest.height} px (${largest.roi})`;
  if (r.smallerThanSize === pairs.length) {
    return `every ROI is smaller than --size ${o.size} px at this resolution (the largest is ${size}): choose a smaller --size, or download at a finer resolution`;
  }
  const parts = [`${r.belowMinRoiFraction} tile position(s) had less than --min-roi-fraction ${o.minRoiFraction} of their pixels inside the ROI`];
  if (r.smallerThanSize > 0) parts.push(`${r.smallerThanSize} of ${pairs.length} ROIs are smaller than --size ${o.size} px (the largest is ${size})`);
  return `${parts.join('; ')}: lower --min-roi-fraction or --size`;
}

/** The explicit class map next to the tiles (docs/dataset.md#consumer-pitfalls): what each mask value means. */
function tileClassMap(o: PrepareTilesOptions, mapping: LabelMapping): object {
  return {
    note: 'Mask value 0 means outside the ROI / "don\'t care" (and, with --exclude ignore, exclude): give it zero weight in training; it is not a class.',
    groups: o.groups,
    exclude: o.groups === 'baseline' ? o.exclude : null,
    tile: { size: o.size, stride: o.stride, minRoiFraction: o.minRoiFraction },
    values: mapping.values,
  };
}
