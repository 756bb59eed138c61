import { findColumn, parseDelimitedRows } from '../catalog/csv.js';
import { UsageError } from '../errors.js';
import type { GtCode } from './types.js';

/**
 * A HistomicsTK GT-codes table (the CSV/TSV `get_roi_mask` takes as `GTCodes_df`) for users'
 * own DSA projects: columns `group`, `overlay_order`, `GT_code`, `is_roi`, `is_background_class`
 * found by header name (any order, extra columns such as `color` ignored). Tab-separated when the
 * header line holds a tab, else comma-separated. Flags accept 1/0 and true/false. Row order is
 * kept: it decides which groups of one overlay level come first. Throws UsageError naming the
 * file and line.
 */
export function parseGtCodesTable(text: string, source: string): GtCode[] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const rows = parseDelimitedRows(text, { delimiter: firstLine.includes('\t') ? '\t' : ',', source });
  const header = rows[0];
  if (header === undefined) throw new UsageError(`${source} is empty: expected a header with group, overlay_order, GT_code, is_roi, is_background_class`);
  const col = (name: string): number => {
    const k = findColumn(header, name, source);
    if (k < 0) throw new UsageError(`${source} line ${header.line}: no "${name}" column (found: ${header.fields.join(', ')})`);
    return k;
  };
  const cGroup = col('group');
  const cOrder = col('overlay_order');
  const cCode = col('GT_code');
  const cRoi = col('is_roi');
  const cBack = col('is_background_class');
  return rows.slice(1).map(({ line, fields }) => {
    const at = (k: number): string => (fields[k] ?? '').trim();
    const number = (k: number, what: string): number => {
      const n = Number(at(k));
      if (at(k) === '' || !Number.isFinite(n)) throw new UsageError(`${source} line ${line}: ${what} must be a number, got ${JSON.stringify(at(k))}`);
      return n;
    };
    const flag = (k: number, what: string): boolean => {
      const v = at(k).toLowerCase();
      if (v === '1' || v === 'true' || v === '1.0') return true;
      if (v === '0' || v === 'false' || v === '0.0' || v === '') return false;
      throw new UsageError(`${source} line ${line}: ${what} must be 1/0 or true/false, got ${JSON.stringify(at(k))}`);
    };
    return {
      group: at(cGroup),
      overlayOrder: number(cOrder, 'overlay_order'),
      code: number(cCode, 'GT_code'),
      isRoi: flag(cRoi, 'is_roi'),
      isBackground: flag(cBack, 'is_background_class'),
    };
  });
}
