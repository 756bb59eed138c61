/**
 * bcss as a library: download, verify and inspect the BCSS dataset from code. Importing this
 * module does no work: data files are read and connections opened only when a function is called.
 *
 * The root export is the small, stable surface. The building blocks live under subpaths:
 * `bcss/geometry` (region math, nearest-neighbour map, naming, rasteriser), `bcss/image`
 * (label-mask PNGs as class codes, PNG/JPEG headers), `bcss/catalog` (the dataset's tables),
 * `bcss/slides` (reading Aperio/TIFF slides), `bcss/prepare` (splits, tiles, gallery, stats) and
 * `bcss/server` (`bcss serve` and its datasets).
 *
 * @example
 * ```ts
 * import { runDownload, runVerify } from 'bcss';
 * const summary = await runDownload({ out: 'BCSS' });
 * const report = await runVerify({ outDir: 'BCSS' });
 * console.log(summary.failures.length, report.ok);
 * ```
 */
export { runDownload } from './pipeline/run-download.js';
export { runVerify } from './pipeline/verify.js';
export { DOWNLOAD_DEFAULTS } from './pipeline/defaults.js';
export type { DownloadParams } from './pipeline/defaults.js';
export type { RunDownloadHooks } from './pipeline/run-setup.js';
export type { RunVerifyOptions } from './pipeline/verify.js';
export { ALL_COMPONENTS } from './pipeline/types.js';
export type {
  Component,
  Credentials,
  DownloadOptions,
  DownloadSummary,
  MaskAlign,
  PipelineEvent,
  VerifyIssue,
  VerifyReport,
} from './pipeline/types.js';
export { LOCK_FILE_NAME } from './pipeline/lock-file.js';
export { failedRois } from './pipeline/failed-items.js';
export { loadCatalog } from './catalog/load-catalog.js';
export type { Catalog, LoadCatalogOptions } from './catalog/load-catalog.js';
export { summarizeCatalog, MASK_ZERO_MEANING } from './catalog/summary.js';
export type { CatalogSummary } from './catalog/summary.js';
export type { ClassRecord, RoiRecord, SlideRecord } from './catalog/types.js';
export { roiFileName, parseRoiFileName } from './geometry/naming.js';
export type { Resolution } from './geometry/types.js';
export { startServer } from './server/start-server.js';
export type { ServerOptions, RunningServer } from './server/start-server.js';
export {
  BcssError,
  UsageError,
  AuthError,
  IntegrityError,
  HttpError,
  NetworkError,
  DiskError,
  BusyError,
  isBcssError,
} from './errors.js';
export type { ErrorKind } from './errors.js';
