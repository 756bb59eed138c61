import { IntegrityError, UsageError } from '../errors.js';
import { scaleElement } from './element-scale.js';
import { pyInt } from './element-geometry.js';
import { prepareElements, selectRoiMembers, shapelyCanBuild, type PreparedElement } from './rasterise-members.js';
import type { OutlineMode } from './pillow-polygon.js';
import { drawingOrder } from './rasterise-order.js';
import { emitPlacement, placeElement, placementRuns, type RowRuns } from './rasterise-place.js';
import { prepareGtTable, type GtTable } from './rasterise-table.js';
import type { AnnotationElement, GtCode, LabelMask } from './types.js';

export interface RasteriseOptions {
  /** HistomicsTK GT-codes table: group → code, overlay order, ROI and background flags. */
  gtCodes: GtCode[];
  /** Which ROI element (in input order, among elements of an ROI group) to draw. Default 0. */
  roiIndex?: number;
  /**
   * Resolution factor relative to base (0.5 = half size). Default 1. Like HistomicsTK's non-base
   * modes, coordinates and sizes are multiplied and truncated BEFORE rasterising
   * (`scale_slide_annotations`), so the mask is drawn on the scaled pixel grid.
   */
  scale?: number;
  /**
   * 'drawn' (default): every polygon is Pillow's fill followed by its 1-px outline, which is what
   * the published BCSS masks contain (Pillow < 5.3, or HistomicsTK patched to draw both).
   * 'skipped': the fill alone — HistomicsTK on Pillow ≥ 5.3, which skips an outline whose colour
   * equals the fill. See docs/rasterisation.md.
   */
  outline?: OutlineMode;
}

/**
 * The mask plus elements that could not be drawn, each with the reason. `xmin`/`ymin` are the
 * slide coordinates (base pixels) of pixel [0, 0]; with `scale` ≠ 1 they are int(v / scale) of the
 * scaled-grid origin, which is how HistomicsTK scales its ROI info back.
 */
export type RasterisedRoi = LabelMask & { skipped: string[] };

/**
 * One ROI's label mask with HistomicsTK's BCSS semantics (docs/dataset.md#annotations-to-masks, steps 1–7):
 * ROI first in the background code, then overlay levels ascending, largest bbox first within a
 * level (ties in pandas/numpy quicksort order, see rasterise-order.ts); every polygon drawn with
 * Pillow's rules (pillow-polygon.ts); everything outside the ROI raster zeroed;
 * HistomicsTK's end-exclusive tightening crop. An axis-aligned ROI with vertex bbox
 * (xmin, ymin, xmax, ymax) yields (ymax−ymin−1) × (xmax−xmin−1) pixels at (xmin, ymin).
 *
 * Equivalences we rely on (output identical to the reference, far less memory): HistomicsTK draws
 * on a canvas over the union bbox of the ROI and overlapping elements, snapshots it after the ROI
 * and finally zeroes what was 0 in the snapshot. Since every code is > 0, the non-zero pixels after
 * zeroing are exactly the ROI raster, so the crop window is known from the ROI alone; we allocate
 * only that window, clip every element to it, and zero the pixels outside the ROI's row runs.
 */
export function rasteriseRoi(elements: AnnotationElement[], options: RasteriseOptions): RasterisedRoi {
  if (!Array.isArray(elements)) throw new UsageError('rasteriseRoi: elements must be an array of annotation elements');
  const table = prepareGtTable(options.gtCodes);
  const { scale, outline, roiIndex } = checkedOptions(options);

  const scaled = scale === 1 ? elements : elements.map((el) => scaleElement(el, scale));
  const { prepared, skipped } = prepareElements(scaled, table);
  const roi = pickRoi(prepared, table, roiIndex, elements.length);
  const roiPlacement = placeElement(roi.polygon, roi.bbox);
  if (roiPlacement === null) {
    throw new IntegrityError(`ROI ${roi.name}: its raster does not fit its bounding box (negative coordinates?)`);
  }

  // Step 7's crop window, from the ROI support alone (see the equivalence note above).
  const runs = placementRuns(roiPlacement, outline);
  const { firstRow, firstCol, width, height } = cropWindow(runs, roi);

  const data = new Uint8Array(width * height);
  const paint =
    (code: number) =>
    (y: number, a: number, b: number): void => {
      const r = y - firstRow;
      if (r < 0 || r >= height) return;
      const s = Math.max(a - firstCol, 0);
      const e = Math.min(b - firstCol, width);
      if (s < e) data.fill(code, r * width + s, r * width + e);
    };

  const paintBackground = paint(table.backgroundCode);
  runs.rows.forEach((row, k) => {
    for (let i = 0; i < row.length; i += 2) paintBackground(runs.top + k, row[i] as number, row[i + 1] as number);
  });

  const membership = selectRoiMembers(prepared, roi, table);
  skipped.push(...membership.skipped);
  for (const { el, row } of drawingOrder(prepared, roi, table, membership.members)) {
    const placement = placeElement(el.polygon, el.bbox);
    if (placement === null) {
      skipped.push(`${el.name}: its raster does not fit its bounding box (negative coordinates?)`);
      continue;
    }
    emitPlacement(placement, outline, paint(row.code));
  }

  zeroOutsideRoi(data, runs, { firstRow, firstCol, width, height });
  const xmin = scale === 1 ? firstCol : pyInt(firstCol / scale);
  const ymin = scale === 1 ? firstRow : pyInt(firstRow / scale);
  return { data, width, height, xmin, ymin, skipped };
}

function checkedOptions(options: RasteriseOptions): { scale: number; outline: OutlineMode; roiIndex: number } {
  const scale = options.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new UsageError(`rasteriseRoi: scale must be a finite number > 0, got ${scale}`);
  }
  const outline = options.outline ?? 'drawn';
  if (outline !== 'drawn' && outline !== 'skipped') {
    throw new UsageError(`rasteriseRoi: outline must be 'drawn' or 'skipped', got ${JSON.stringify(outline)}`);
  }
  const roiIndex = options.roiIndex ?? 0;
  if (!Number.isInteger(roiIndex) || roiIndex < 0) {
    throw new UsageError(`rasteriseRoi: roiIndex must be an integer >= 0, got ${roiIndex}`);
  }
  return { scale, outline, roiIndex };
}

/** The `roiIndex`-th ROI-group element, refused when absent or not a buildable polygon. */
function pickRoi(prepared: PreparedElement[], table: GtTable, roiIndex: number, elementCount: number): PreparedElement {
  const rois = prepared.filter((el) => el.cls !== null && table.byGroup.get(el.cls)?.isRoi === true);
  if (rois.length === 0) {
    const roiGroups = [...table.byGroup].filter(([, row]) => row.isRoi).map(([group]) => group);
    throw new IntegrityError(
      `no ROI element among ${elementCount} annotation elements (ROI groups: ${roiGroups.join(', ') || 'none in the GT table'})`,
    );
  }
  const roi = rois[roiIndex];
  if (roi === undefined) {
    throw new UsageError(`rasteriseRoi: roiIndex ${roiIndex} is out of range (${rois.length} ROI element(s))`);
  }
  if (!shapelyCanBuild(roi.polygon)) {
    throw new IntegrityError(`ROI ${roi.name} has ${roi.polygon.length} vertices; a polygon needs at least 3 distinct ones (4 with the closing vertex)`);
  }
  return roi;
}

/** The mask's window in slide pixels: HistomicsTK's end-exclusive crop of the ROI raster. */
interface CropWindow {
  firstRow: number;
  firstCol: number;
  width: number;
  height: number;
}

function cropWindow(runs: RowRuns, roi: PreparedElement): CropWindow {
  let firstRow = -1;
  let lastRow = -1;
  let firstCol = Infinity;
  let lastCol = -Infinity;
  runs.rows.forEach((row, k) => {
    if (row.length === 0) return;
    if (firstRow < 0) firstRow = runs.top + k;
    lastRow = runs.top + k;
    firstCol = Math.min(firstCol, row[0] as number);
    lastCol = Math.max(lastCol, (row[row.length - 1] as number) - 1);
  });
  const height = lastRow - firstRow;
  const width = lastCol - firstCol;
  if (firstRow < 0 || height <= 0 || width <= 0) {
    throw new IntegrityError(`ROI ${roi.name} covers too few pixels to make a mask (bbox ${JSON.stringify(roi.bbox)})`);
  }
  return { firstRow, firstCol, width, height };
}

/** Step 6: zero everything outside the ROI raster. */
function zeroOutsideRoi(data: Uint8Array, runs: RowRuns, win: CropWindow): void {
  const { firstRow, firstCol, width, height } = win;
  for (let r = 0; r < height; r++) {
    const row = runs.rows[firstRow + r - runs.top] as number[];
    let cursor = 0;
    for (let i = 0; i < row.length; i += 2) {
      const s = Math.min(Math.max((row[i] as number) - firstCol, 0), width);
      if (s > cursor) data.fill(0, r * width + cursor, r * width + s);
      cursor = Math.max(cursor, Math.min((row[i + 1] as number) - firstCol, width));
    }
    if (cursor < width) data.fill(0, r * width + cursor, (r + 1) * width);
  }
}
