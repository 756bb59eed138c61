import { UsageError } from '../errors.js';
import type { GtCode } from './types.js';

/** One GT-codes row as the rasteriser uses it. */
export interface GtRow {
  code: number;
  overlayOrder: number;
  isRoi: boolean;
  /** Position in the table: breaks ties in drawing order the way HistomicsTK collects groups. */
  rowIndex: number;
}

export interface GtTable {
  byGroup: Map<string, GtRow>;
  /** Code of the first row flagged as background: what every unannotated ROI pixel becomes. */
  backgroundCode: number;
}

/**
 * Validates a GT-codes table (docs/dataset.md#annotations-to-masks) once, so drawing can trust it. Codes must be
 * integers 1–255: 0 means "outside the ROI", and the rasteriser relies on every drawn code being
 * non-zero (HistomicsTK asserts GT_code > 0 as well). Throws UsageError with the offending row.
 */
export function prepareGtTable(gtCodes: ReadonlyArray<GtCode>): GtTable {
  // Kept apart from the Array.isArray check below, which would widen the rows to `any`.
  const rows: ReadonlyArray<GtCode> = gtCodes;
  if (!Array.isArray(gtCodes) || gtCodes.length === 0) {
    throw new UsageError('GT-codes table is empty: expected rows with group, code, overlayOrder, isRoi, isBackground');
  }
  const byGroup = new Map<string, GtRow>();
  let backgroundCode: number | undefined;
  rows.forEach((row, rowIndex) => {
    const where = `GT-codes row ${rowIndex} (${JSON.stringify(row?.group)})`;
    if (typeof row?.group !== 'string' || row.group === '') throw new UsageError(`${where}: group must be a non-empty string`);
    if (byGroup.has(row.group)) throw new UsageError(`${where}: group appears twice in the GT-codes table`);
    if (!Number.isInteger(row.code) || row.code < 1 || row.code > 255) {
      throw new UsageError(`${where}: code must be an integer 1–255 (0 means outside the ROI), got ${row.code}`);
    }
    if (typeof row.overlayOrder !== 'number' || !Number.isFinite(row.overlayOrder)) {
      throw new UsageError(`${where}: overlayOrder must be a finite number, got ${row.overlayOrder}`);
    }
    byGroup.set(row.group, { code: row.code, overlayOrder: row.overlayOrder, isRoi: row.isRoi === true, rowIndex });
    if (row.isBackground === true && backgroundCode === undefined) backgroundCode = row.code;
  });
  if (backgroundCode === undefined) {
    throw new UsageError('GT-codes table has no background row (isBackground): cannot fill unannotated ROI pixels', {
      hint: 'BCSS uses mostly_stroma (code 2) as the background class',
    });
  }
  return { byGroup, backgroundCode };
}
