/**
 * A cross-check of the DSA's `/tiles` metadata against the catalog before its numbers size a file
 * (issue 9, item 9): a server that reports `mm_x` 1000× too coarse, or a slide smaller than the
 * ROI, would otherwise have the client render, rasterise and lock a mask of 200 000 × 150 000 px.
 * The catalog knows each slide's scan magnification (40× or 20×, i.e. ~0.25 or ~0.5 µm/px) and the
 * ROI's base-pixel bounds; the region size predicted from `/tiles` must agree with the one
 * predicted from those within GEOMETRY_TOLERANCE (real scanners differ from nominal by ~1–3 %).
 */
import { builtinSlides, findSlideForRoi } from '../catalog/index.js';
import type { RoiRecord } from '../catalog/types.js';
import { predictOutputSize } from '../geometry/region-size.js';
import type { Resolution, SlideGeometry } from '../geometry/types.js';
import { WrongContentError } from '../transfer/content-errors.js';

/** Largest accepted ratio between the two predictions (either way). */
export const GEOMETRY_TOLERANCE = 1.25;

/** How far (in base pixels) an ROI's far corner may pass the reported slide size (polygon rounding). */
const EDGE_SLACK = 2;

function catalogMagnification(roi: RoiRecord): number | null {
  return findSlideForRoi(roi, builtinSlides())?.magnification ?? null;
}

/**
 * The region size for `roi` from the server's geometry, after checking that geometry against the
 * catalog. Throws a WrongContentError (not retried: the server answers the same every time) whose
 * message names both values.
 */
export function checkedOutputSize(geometry: SlideGeometry, roi: RoiRecord, resolution: Resolution, magnification = catalogMagnification(roi)): { width: number; height: number } {
  const label = `${roi.name} slide metadata`;
  if (roi.xmax > geometry.sizeX + EDGE_SLACK || roi.ymax > geometry.sizeY + EDGE_SLACK) {
    throw new WrongContentError(
      `${label}: the DSA says the slide is ${geometry.sizeX}×${geometry.sizeY} px, but the catalog's ROI reaches (${roi.xmax}, ${roi.ymax})`,
      { expected: `≥ ${roi.xmax}x${roi.ymax}`, actual: `${geometry.sizeX}x${geometry.sizeY}` },
    );
  }
  const bounds = { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax };
  const told = predictOutputSize(geometry, bounds, resolution);
  if (magnification === null || resolution.kind === 'base') return told;
  const nominal: SlideGeometry = { ...geometry, magnification, mmX: 0.01 / magnification, mmY: 0.01 / magnification };
  const known = predictOutputSize(nominal, bounds, resolution);
  const off = (a: number, b: number): boolean => Math.max(a, b) > GEOMETRY_TOLERANCE * Math.min(a, b) + 1;
  if (off(told.width, known.width) || off(told.height, known.height)) {
    const reported = `mm_x=${String(geometry.mmX)}, magnification=${String(geometry.magnification)}`;
    throw new WrongContentError(
      `${label}: the DSA's /tiles (${reported}) gives ${told.width}×${told.height} px for this ROI, but the catalog (a ${magnification}× scan, ROI ${roi.xmax - roi.xmin}×${roi.ymax - roi.ymin} base px) gives ${known.width}×${known.height} px; refusing geometry that far off`,
      { expected: `${known.width}x${known.height}`, actual: `${told.width}x${told.height}` },
    );
  }
  return told;
}

/**
 * The most bytes a region answer may have, known before the render is asked for: the largest
 * pixel size the geometry check above would accept (the catalog's prediction × GEOMETRY_TOLERANCE;
 * a slide missing from the catalog is assumed to be a 20× scan, the coarsest in BCSS, which gives
 * the largest upscale), as 8-bit RGBA rows with their filter bytes, stored uncompressed (deflate's
 * worst case adds 5 bytes per 64 KiB block), plus 2 % and 1 MiB for chunk framing and metadata.
 * A JPEG of the same size is smaller still.
 */
export function regionByteCeiling(roi: RoiRecord, resolution: Resolution, magnification = catalogMagnification(roi)): { bytes: number; reason: string } {
  const mag = magnification ?? 20;
  const factor = resolution.kind === 'base' ? 1 : resolution.kind === 'mpp' ? 10 / mag / resolution.mpp : resolution.magnification / mag;
  const side = (base: number): number => Math.ceil(base * factor * GEOMETRY_TOLERANCE) + 2;
  const width = side(roi.xmax - roi.xmin);
  const height = side(roi.ymax - roi.ymin);
  const raw = height * (1 + 4 * width);
  const bytes = Math.ceil(raw * 1.02) + 1024 * 1024;
  return { bytes, reason: `an uncompressed ${width}×${height} px RGBA PNG, the largest render this ROI allows` };
}
