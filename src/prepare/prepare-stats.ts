/**
 * `bcss prepare stats`: pixels per class per ROI and in total, code 0 left out because it is
 * "outside the ROI", not a class (docs/dataset.md#class-codes). Reads masks only.
 */
import { join } from 'node:path';
import { builtinClasses } from '../catalog/classes.js';
import { IntegrityError } from '../errors.js';
import { csvRow } from './csv-row.js';
import { cacheKey, fingerprint, ItemCache, writeIfChanged } from './item-cache.js';
import { loadPairs } from './load-pairs.js';
import { checkClassCodes, countLabels, MAX_CLASS_CODE, readMaskLabels } from './mask-pixels.js';
import type { PrepareHooks, PrepareStatsOptions, PrepareStatsResult, RoiClassStats, RoiPair } from './types.js';

const FORMAT = 'stats-1';
export const CLASS_STATS_PATH = 'meta/class_stats.csv';

const CODES = Array.from({ length: MAX_CLASS_CODE }, (_, i) => i + 1);

async function countRoi(pair: RoiPair): Promise<RoiClassStats> {
  const mask = await readMaskLabels(pair.maskPath);
  if (mask.width !== pair.width || mask.height !== pair.height) {
    throw new IntegrityError(`${pair.maskPath}: decoded to ${mask.width}×${mask.height} px, its header says ${pair.width}×${pair.height}`, { path: pair.maskPath });
  }
  const all = countLabels(mask.data);
  checkClassCodes(all, pair.maskPath);
  const counts: Record<number, number> = {};
  let roiPixels = 0;
  for (const code of CODES) {
    counts[code] = all[code] as number;
    roiPixels += all[code] as number;
  }
  return { roi: pair.roi, fileName: pair.maskFileName, width: mask.width, height: mask.height, roiPixels, counts };
}

export function classStatsCsv(rows: readonly RoiClassStats[], pairs: ReadonlyMap<string, RoiPair>, totals: Record<number, number>, totalRoiPixels: number): string {
  const names = new Map(builtinClasses().map((c) => [c.code, c.name]));
  let csv = csvRow(['roi', 'site', 'split_baseline', 'split_eva', 'width', 'height', 'roi_pixels', ...CODES.map((c) => names.get(c) ?? String(c))]);
  for (const r of rows) {
    const p = pairs.get(r.roi);
    csv += csvRow([r.roi, p?.site ?? '', p?.baselineSplit ?? '', p?.evaSplit ?? '', r.width, r.height, r.roiPixels, ...CODES.map((c) => r.counts[c] ?? 0)]);
  }
  csv += csvRow(['total', '', '', '', '', '', totalRoiPixels, ...CODES.map((c) => totals[c] ?? 0)]);
  return csv;
}

export async function prepareStats(options: PrepareStatsOptions, hooks: PrepareHooks = {}): Promise<PrepareStatsResult> {
  const root = options.root;
  const emit = hooks.onEvent ?? (() => undefined);
  const pairs = await loadPairs(root, { needImages: false, onEvent: emit });
  const cache = new ItemCache<RoiClassStats>(root, 'stats');
  const totals: Record<number, number> = Object.fromEntries(CODES.map((c) => [c, 0]));
  const result: PrepareStatsResult = { rois: [], totals, totalRoiPixels: 0, csvPath: join(root, CLASS_STATS_PATH), upToDateRois: 0, interrupted: false };
  for (const [i, pair] of pairs.entries()) {
    if (hooks.signal?.aborted === true) {
      result.interrupted = true;
      return result;
    }
    const key = cacheKey([FORMAT, await fingerprint(pair.maskPath)]);
    let stats = await cache.get(pair.roi, key);
    const upToDate = stats !== null;
    if (stats === null) {
      stats = await countRoi(pair);
      await cache.put(pair.roi, key, stats);
    } else {
      result.upToDateRois += 1;
    }
    result.rois.push(stats);
    for (const c of CODES) totals[c] = (totals[c] as number) + (stats.counts[c] ?? 0);
    result.totalRoiPixels += stats.roiPixels;
    emit({ type: 'item', task: 'stats', index: i + 1, total: pairs.length, roi: pair.roi, upToDate, detail: upToDate ? 'up to date' : `${stats.roiPixels} ROI pixels` });
  }
  await cache.prune(new Set(pairs.map((p) => p.roi)));
  await writeIfChanged(result.csvPath, classStatsCsv(result.rois, new Map(pairs.map((p) => [p.roi, p])), totals, result.totalRoiPixels));
  return result;
}
