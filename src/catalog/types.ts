export interface RoiRecord {
  /** `TCGA-A1-A0SK-DX1` */
  name: string;
  /** `TCGA-A1-A0SK` (first 12 characters). */
  caseId: string;
  /** Tissue-source site, `A1`. */
  site: string;
  /** Base-resolution bounds; xmax/ymax are the ROI polygon's maximum vertex (docs/dataset.md#roi-bounds-and-mask-size). */
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** figshare file id of the base-resolution mask, from `mask_link`. */
  maskFileId: number;
  maskUrl: string;
}

export interface SlideRecord {
  caseId: string;
  /** Full slide file name `TCGA-XX-XXXX-01Z-00-DX1.<UUID>.svs` (= DSA item name = GDC file_name). */
  fileName: string;
  /** 24-hex DSA/Girder item id. */
  dsaItemId: string;
  /** Scan magnification, 40 or 20. */
  magnification: number;
}

export type ClassGroup = 'tumor' | 'stroma' | 'inflammatory' | 'necrosis' | 'other' | 'ignore';

export interface ClassRecord {
  code: number;
  /** Label from gtruth_codes.tsv, e.g. `lymphocytic_infiltrate`. */
  name: string;
  /** Group name used in DSA annotations, e.g. `mostly_lymphocytic_infiltrate`; null for code 0. */
  dsaGroup: string | null;
  /** HistomicsTK overlay order (docs/dataset.md#class-codes); null for code 0. */
  overlayOrder: number | null;
  /** Baseline 5-group mapping. */
  group: ClassGroup;
}

export type BaselineSplit = 'train' | 'test';
export type EvaSplit = 'train' | 'val' | 'test';
