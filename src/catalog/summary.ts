import {
  CITATION,
  CITATION_DOI,
  DATA_LICENSE,
  DATASET_NAME,
  DSA_API_URL,
  DSA_FOLDER_ID,
  FIGSHARE_API_URL,
  FIGSHARE_ARTICLE_ID,
  GDC_API_URL,
} from './constants.js';
import type { Catalog } from './load-catalog.js';
import { BASELINE_TEST_SITES, baselineSplit, countSites, countSplits, EVA_VAL_SITES, evaSplit } from './splits.js';
import type { BaselineSplit, ClassGroup, EvaSplit } from './types.js';

export interface SiteSummary {
  site: string;
  rois: number;
  baselineSplit: BaselineSplit;
  evaSplit: EvaSplit;
}

/** Plain JSON-able facts about a catalog (what `bcss info --json` prints). */
export interface CatalogSummary {
  dataset: string;
  rois: number;
  slides: number;
  /** Slides per scan magnification, keyed by the magnification as text (`"40"`). */
  magnifications: Record<string, number>;
  /** eva's train/val/test split. */
  split: Record<EvaSplit, number>;
  /** The grand-challenge Baseline train/test split. */
  baselineSplit: Record<BaselineSplit, number>;
  baselineTestSites: string[];
  evaValSites: string[];
  /** ROIs per tissue-source site, alphabetical. */
  sites: Record<string, number>;
  classes: { code: number; name: string; dsaGroup: string | null; overlayOrder: number | null; group: ClassGroup }[];
  maskValueZero: string;
  citation: string;
  doi: string;
  license: string;
  sources: { dsaApiUrl: string; dsaFolderId: string; figshareApiUrl: string; figshareArticleId: number; gdcApiUrl: string };
}

/**
 * What mask value 0 means: outside the ROI, not a class. Give it zero weight.
 *
 * @example
 * ```ts
 * import { MASK_ZERO_MEANING } from 'bcss';
 * console.log(`0 = ${MASK_ZERO_MEANING}`);
 * ```
 */
export const MASK_ZERO_MEANING = "outside the ROI / don't care: not a class; give it zero weight in training";

/**
 * The figures `bcss info` prints: counts per site, magnification and split, and the class table.
 *
 * @example
 * ```ts
 * import { loadCatalog, summarizeCatalog } from 'bcss';
 * console.log(summarizeCatalog(loadCatalog()).magnifications); // { '40': 137, '20': 14 }
 * ```
 */
export function summarizeCatalog(catalog: Catalog): CatalogSummary {
  const magnifications: Record<string, number> = {};
  for (const m of [...new Set(catalog.slides.map((s) => s.magnification))].sort((a, b) => b - a)) {
    magnifications[String(m)] = catalog.slides.filter((s) => s.magnification === m).length;
  }
  const splits = countSplits(catalog.rois);
  return {
    dataset: DATASET_NAME,
    rois: catalog.rois.length,
    slides: catalog.slides.length,
    magnifications,
    split: splits.eva,
    baselineSplit: splits.baseline,
    baselineTestSites: [...BASELINE_TEST_SITES],
    evaValSites: [...EVA_VAL_SITES],
    sites: Object.fromEntries(countSites(catalog.rois)),
    classes: catalog.classes.map((c) => ({
      code: c.code,
      name: c.name,
      dsaGroup: c.dsaGroup,
      overlayOrder: c.overlayOrder,
      group: c.group,
    })),
    maskValueZero: MASK_ZERO_MEANING,
    citation: CITATION,
    doi: CITATION_DOI,
    license: DATA_LICENSE,
    sources: {
      dsaApiUrl: DSA_API_URL,
      dsaFolderId: DSA_FOLDER_ID,
      figshareApiUrl: FIGSHARE_API_URL,
      figshareArticleId: FIGSHARE_ARTICLE_ID,
      gdcApiUrl: GDC_API_URL,
    },
  };
}

/** Per-site ROI counts with the split each site falls in. */
export function siteSummaries(catalog: Catalog): SiteSummary[] {
  return [...countSites(catalog.rois)].map(([site, rois]) => {
    return { site, rois, baselineSplit: baselineSplit({ site }), evaSplit: evaSplit({ site }) };
  });
}
