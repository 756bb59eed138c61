import { UsageError } from '../errors.js';
import { builtinClasses } from './classes.js';
import { builtinRois } from './rois.js';
import { builtinSlides, findSlideForRoi } from './slides.js';
import type { ClassRecord, RoiRecord, SlideRecord } from './types.js';

export interface Catalog {
  rois: RoiRecord[];
  /** The slides the ROIs are on, in ROI order (all 151 for the built-in table). */
  slides: SlideRecord[];
  classes: ClassRecord[];
  /** ROI name → its slide. */
  roiToSlide: Map<string, SlideRecord>;
  roiByName: Map<string, RoiRecord>;
  slideByCaseId: Map<string, SlideRecord>;
}

export interface LoadCatalogOptions {
  /** ROIs from a user table (`--rois FILE`) instead of the built-in 151. */
  rois?: readonly RoiRecord[];
}

/**
 * Join ROIs to slides on the 12-character case id. Every ROI needs exactly one
 * slide and no two ROIs may share one; with `requireEverySlide`, every slide
 * must also have an ROI (the built-in tables are exactly 1:1).
 */
export function joinRoisToSlides(
  rois: readonly RoiRecord[],
  slides: readonly SlideRecord[],
  options: { requireEverySlide?: boolean; roiSource?: string } = {},
): Map<string, SlideRecord> {
  const roiSource = options.roiSource ?? 'roiBounds.csv';
  const join = new Map<string, SlideRecord>();
  const roiOfSlide = new Map<string, string>();
  for (const roi of rois) {
    const matches = slides.filter((s) => s.caseId.toUpperCase() === roi.caseId.toUpperCase());
    if (matches.length > 1) {
      throw new UsageError(`slide_magnifications.csv has ${matches.length} slides for case ${roi.caseId}`);
    }
    const slide = findSlideForRoi(roi, slides);
    if (slide === undefined) {
      throw new UsageError(`${roiSource}: ROI ${roi.name} has no matching slide in slide_magnifications.csv (case ${roi.caseId})`);
    }
    const other = roiOfSlide.get(slide.caseId);
    if (other !== undefined) {
      throw new UsageError(`${roiSource}: ROIs ${other} and ${roi.name} are both on slide ${slide.fileName}`);
    }
    roiOfSlide.set(slide.caseId, roi.name);
    join.set(roi.name, slide);
  }
  if (options.requireEverySlide === true) {
    const orphans = slides.filter((s) => !roiOfSlide.has(s.caseId)).map((s) => s.caseId);
    if (orphans.length > 0) {
      throw new UsageError(`slide_magnifications.csv: no ROI in ${roiSource} for ${orphans.join(', ')}`);
    }
  }
  return join;
}

/**
 * The dataset as data: ROIs, their slides, classes, and lookup maps, from the tables shipped
 * with the package (or your own ROI table).
 *
 * @example
 * ```ts
 * import { loadCatalog } from 'bcss';
 * const catalog = loadCatalog();
 * console.log(catalog.rois.length, catalog.classes.length); // 151 22
 * ```
 */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  const custom = options.rois !== undefined;
  const rois = custom ? [...(options.rois ?? [])] : builtinRois();
  const allSlides = builtinSlides();
  const roiToSlide = joinRoisToSlides(rois, allSlides, {
    requireEverySlide: !custom,
    roiSource: custom ? 'the ROI table' : 'roiBounds.csv',
  });
  const slides = rois.map((r) => roiToSlide.get(r.name) as SlideRecord);
  return {
    rois,
    slides,
    classes: builtinClasses(),
    roiToSlide,
    roiByName: new Map(rois.map((r) => [r.name, r])),
    slideByCaseId: new Map(slides.map((s) => [s.caseId, s])),
  };
}
