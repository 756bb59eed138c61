import { bboxIou } from './rasterise-members.js';
import type { PreparedElement } from './rasterise-members.js';
import { histomicsElementOrder } from './python-set-order.js';
import type { GtRow, GtTable } from './rasterise-table.js';
import { pandasDescendingOrder } from './tie-order.js';

/** One element to draw, with the GT row that gives its code. */
export interface DrawStep {
  el: PreparedElement;
  row: GtRow;
}

/**
 * HistomicsTK's drawing order for one ROI (`get_roi_mask`): overlay levels ascending; within a
 * level the groups of that level in GT-table order, each group's elements in input order, then
 * `sort_values('bbox_area', ascending=False)` (pandas over numpy's unstable quicksort, see
 * tie-order.ts).
 *
 * The sort runs over every element HistomicsTK puts in the level — bbox IoU with the ROI > 0,
 * a non-ROI group of the table — *before* it drops far-away or unbuildable polygons, and an
 * unstable sort's tie order depends on those too. So `candidates` are sorted and only then
 * filtered down to `members` (the elements actually drawn).
 *
 * The elements reach the level in HistomicsTK's `list(set(…) - set(…))` order (CPython's set
 * iteration order, python-set-order.ts), not in input order: for equal areas in a level of more
 * than 16 elements that decides who is drawn last. `candidatesFrom` must be in input-index order.
 */
export function drawingOrder(
  candidatesFrom: ReadonlyArray<PreparedElement>,
  roi: PreparedElement,
  table: GtTable,
  members: ReadonlyArray<PreparedElement>,
): DrawStep[] {
  const drawn = new Set(members);
  const rows = [...table.byGroup.entries()].sort(([, a], [, b]) => a.rowIndex - b.rowIndex);
  const levels = [...new Set(rows.map(([, row]) => row.overlayOrder))].sort((a, b) => a - b);
  // HistomicsTK's element list: every element whose bbox meets the ROI's (any group, ROIs
  // included), through two Python set differences; then only non-ROI groups of the table count.
  const isRoiClass = (el: PreparedElement): boolean => el.cls !== null && table.byGroup.get(el.cls)?.isRoi === true;
  const hits = candidatesFrom.filter((el) => bboxIou(roi.bbox, el.bbox) > 0).map((el) => el.index);
  const rois = candidatesFrom.filter(isRoiClass).map((el) => el.index);
  const byIndex = new Map(candidatesFrom.map((el) => [el.index, el]));
  const candidates = histomicsElementOrder(roi.index, hits, rois)
    .map((index) => byIndex.get(index) as PreparedElement)
    .filter((el) => {
      if (el === roi) return false;
      const row = el.cls === null ? undefined : table.byGroup.get(el.cls);
      return row !== undefined && !row.isRoi;
    });
  const steps: DrawStep[] = [];
  for (const level of levels) {
    const inLevel: DrawStep[] = [];
    for (const [group, row] of rows) {
      if (row.overlayOrder !== level) continue;
      for (const el of candidates) if (el.cls === group) inLevel.push({ el, row });
    }
    for (const k of pandasDescendingOrder(inLevel.map((s) => s.el.bbox.area))) {
      const step = inLevel[k] as DrawStep;
      if (drawn.has(step.el)) steps.push(step);
    }
  }
  return steps;
}
