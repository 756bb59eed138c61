/**
 * `bcss prepare`: turns a finished download folder into training-ready outputs, offline.
 * Progress is data (events); the CLI decides how to show it.
 */
import type { BaselineSplit, EvaSplit } from '../catalog/types.js';

export type PrepareTask = 'splits' | 'tiles' | 'gallery' | 'stats';

export type PrepareEvent =
  /** One ROI handled; `upToDate` means nothing was decoded or written for it. */
  | { type: 'item'; task: PrepareTask; index: number; total: number; roi: string; upToDate: boolean; detail: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

export interface PrepareHooks {
  onEvent?: (event: PrepareEvent) => void;
  /** Checked between ROIs: work stops cleanly, caches keep what finished. */
  signal?: AbortSignal;
}

/** One ROI's image and mask, paired by the ROI name parsed from the file names. */
export interface RoiPair {
  roi: string;
  site: string;
  /** File name in images/ (the name used for every output derived from the pair). */
  fileName: string;
  /** Absolute paths; `imagePath` is null when only masks were asked for. */
  imagePath: string | null;
  maskPath: string;
  maskFileName: string;
  width: number;
  height: number;
  baselineSplit: BaselineSplit;
  evaSplit: EvaSplit;
}

export type SplitScheme = 'baseline' | 'eva';
export type SplitLayout = 'script' | 'eva' | 'folders';
export type LinkMode = 'hard' | 'copy' | 'symlink';

export interface PrepareSplitsOptions {
  /** The folder `bcss download` wrote; outputs go below it. */
  root: string;
  split: SplitScheme;
  layout: SplitLayout;
  link: LinkMode;
}

export interface PrepareSplitsResult {
  rois: number;
  /** Part name (train/val/test) → ROI count. */
  parts: Record<string, number>;
  /** Paths written (relative to root), e.g. `splits/eva/train.txt`. */
  written: string[];
  /** Files placed in prepared/ this run (linked or copied) and left alone because up to date. */
  placed: number;
  upToDate: number;
  /** True when at least one hard link had to fall back to a copy. */
  copiedInsteadOfLinked: boolean;
  interrupted: boolean;
}

export type TileGroups = 'baseline' | 'raw';
export type UndocumentedTreatment = 'other' | 'ignore';

export interface PrepareTilesOptions {
  root: string;
  size: number;
  stride: number;
  /** Tiles with fewer than this fraction of mask pixels ≠ 0 (inside the ROI) are skipped. */
  minRoiFraction: number;
  groups: TileGroups;
  /** Where `exclude` (7) goes with baseline groups. */
  exclude: UndocumentedTreatment;
}

export interface PrepareTilesResult {
  rois: number;
  tiles: number;
  /** Tiles cut this run (0 on an up-to-date rerun). */
  written: number;
  /** Tiles left out for having too little ROI. */
  belowMinRoiFraction: number;
  upToDateRois: number;
  /** ROIs narrower or lower than --size: no whole tile fits in them. */
  smallerThanSize: number;
  /** Why no tile at all was made (null when some were): the CLI prints it and exits 2. */
  noTilesReason: string | null;
  indexPath: string;
  interrupted: boolean;
}

export interface PrepareGalleryOptions {
  root: string;
  /** Thumbnails fit in a box of this many pixels (width and height). */
  maxWidth: number;
}

export interface PrepareGalleryResult {
  rois: number;
  /** ROIs whose thumbnails were made this run. */
  rendered: number;
  upToDateRois: number;
  htmlPath: string;
  interrupted: boolean;
}

export interface PrepareStatsOptions {
  root: string;
}

export interface RoiClassStats {
  roi: string;
  fileName: string;
  width: number;
  height: number;
  /** Pixels with mask ≠ 0. */
  roiPixels: number;
  /** Code (1..21) → pixel count; code 0 (outside the ROI) is not a class and is left out. */
  counts: Record<number, number>;
}

export interface PrepareStatsResult {
  rois: RoiClassStats[];
  /** Code (1..21) → pixels over all ROIs. */
  totals: Record<number, number>;
  totalRoiPixels: number;
  csvPath: string;
  upToDateRois: number;
  interrupted: boolean;
}
