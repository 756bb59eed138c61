import type { BaselineSplit, EvaSplit, RoiRecord } from './types.js';

/**
 * Test sites of the grand-challenge Baseline split (docs/dataset.md#splits): 45 ROIs.
 * There is no official split file; these sites are what the Baseline page, eva
 * and DHUnet's maintainer all state.
 */
export const BASELINE_TEST_SITES: readonly string[] = ['OL', 'LL', 'E2', 'EW', 'GM', 'S3'];

/** Validation sites of kaiko-ai/eva's BCSS split: 76 train / 30 val / 45 test. */
export const EVA_VAL_SITES: readonly string[] = ['BH', 'C8', 'A8', 'A1', 'E9'];

type SiteOf = Pick<RoiRecord, 'site'>;

export function baselineSplit(roi: SiteOf): BaselineSplit {
  return BASELINE_TEST_SITES.includes(roi.site) ? 'test' : 'train';
}

/** eva keeps the Baseline test sites as test and carves validation out of the training sites. */
export function evaSplit(roi: SiteOf): EvaSplit {
  if (BASELINE_TEST_SITES.includes(roi.site)) return 'test';
  return EVA_VAL_SITES.includes(roi.site) ? 'val' : 'train';
}

export interface SplitCounts {
  baseline: Record<BaselineSplit, number>;
  eva: Record<EvaSplit, number>;
}

export function countSplits(rois: readonly SiteOf[]): SplitCounts {
  const counts: SplitCounts = { baseline: { train: 0, test: 0 }, eva: { train: 0, val: 0, test: 0 } };
  for (const roi of rois) {
    counts.baseline[baselineSplit(roi)] += 1;
    counts.eva[evaSplit(roi)] += 1;
  }
  return counts;
}

/** ROIs per tissue-source site, sites in alphabetical order. */
export function countSites(rois: readonly SiteOf[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const site of rois.map((r) => r.site).sort()) counts.set(site, (counts.get(site) ?? 0) + 1);
  return counts;
}
