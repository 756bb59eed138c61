// The BCSS dataset as typed data: ROIs, slides, classes, splits and service constants.
export type * from './types.js';
export { parseDelimited, parseDelimitedRows, findColumn } from './csv.js';
export type { DelimitedOptions, DelimitedRow } from './csv.js';
export { builtinDataUrl, readBuiltinDataFile } from './data-files.js';
export type { BuiltinDataFile } from './data-files.js';
export { parseRoiTable, builtinRois, ROI_NAME_PATTERN } from './rois.js';
export {
  parseSlideTable,
  builtinSlides,
  findSlideForRoi,
  findSlideByFileName,
  slideNameKey,
  CASE_ID_PATTERN,
} from './slides.js';
export {
  parseClassTable,
  builtinClasses,
  gtCodes,
  classGroups,
  CLASS_GROUPS,
  OUTSIDE_ROI_CODE,
  EXCLUDE_CODE,
  UNDETERMINED_CODE,
  ROI_GT_CODE,
  EVALUATION_ROI_GT_CODE,
} from './classes.js';
export type { ClassGroupOptions, UndocumentedClassTreatment } from './classes.js';
export { BASELINE_TEST_SITES, EVA_VAL_SITES, baselineSplit, evaSplit, countSplits, countSites } from './splits.js';
export type { SplitCounts } from './splits.js';
export * from './constants.js';
export { loadCatalog, joinRoisToSlides } from './load-catalog.js';
export type { Catalog, LoadCatalogOptions } from './load-catalog.js';
export { summarizeCatalog, siteSummaries, MASK_ZERO_MEANING } from './summary.js';
export type { CatalogSummary, SiteSummary } from './summary.js';
