import { UsageError } from '../errors.js';
import { findColumn, parseDelimitedRows } from './csv.js';
import { readBuiltinDataFile } from './data-files.js';
import type { RoiRecord, SlideRecord } from './types.js';

export const CASE_ID_PATTERN = /^TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}$/;
const DSA_ITEM_ID = /^[0-9a-f]{24}$/;
const MAGNIFICATION = /^\d+(?:\.\d*)?$/;

/**
 * Parse a table in slide_magnifications.csv format: header `,name,_id,magnification`,
 * the case id under the EMPTY header, the full slide file name, the DSA item id,
 * and `40.0` / `20.0`.
 */
export function parseSlideTable(text: string, source: string): SlideRecord[] {
  const rows = parseDelimitedRows(text, { delimiter: ',', source });
  const header = rows[0];
  if (header === undefined) throw new UsageError(`${source}: the file is empty (expected the header ,name,_id,magnification)`);
  const col = (name: string): number => {
    const idx = findColumn(header, name, source);
    if (idx < 0) {
      const label = name === '' ? 'the case-id column (empty header name)' : `column "${name}"`;
      throw new UsageError(`${source} line ${header.line}: missing ${label}; expected the header ,name,_id,magnification`);
    }
    return idx;
  };
  const caseCol = col('');
  const nameCol = col('name');
  const idCol = col('_id');
  const magCol = col('magnification');

  const out: SlideRecord[] = [];
  const lineOfCase = new Map<string, number>();
  const lineOfItem = new Map<string, number>();
  for (const row of rows.slice(1)) {
    const where = `${source} line ${row.line}`;
    const get = (idx: number): string => (row.fields[idx] ?? '').trim();
    const caseId = get(caseCol);
    if (!CASE_ID_PATTERN.test(caseId)) {
      throw new UsageError(`${where}: case id ${JSON.stringify(caseId)} does not look like TCGA-XX-XXXX`);
    }
    const fileName = get(nameCol);
    // Four BCSS slide names carry a lowercase UUID, so compare case-insensitively.
    if (!fileName.toUpperCase().startsWith(`${caseId}-`) || !/\.svs$/i.test(fileName)) {
      throw new UsageError(
        `${where}: slide name ${JSON.stringify(fileName)} should be ${caseId}-<sample>-DX<n>.<UUID>.svs`,
      );
    }
    const dsaItemId = get(idCol);
    if (!DSA_ITEM_ID.test(dsaItemId)) {
      throw new UsageError(`${where}: _id ${JSON.stringify(dsaItemId)} is not a 24-hex DSA item id`);
    }
    const magText = get(magCol);
    const magnification = Number(magText);
    if (!MAGNIFICATION.test(magText) || !(magnification > 0)) {
      throw new UsageError(`${where}: magnification ${JSON.stringify(magText)} is not a positive number such as 40.0`);
    }
    const dupCase = lineOfCase.get(caseId);
    if (dupCase !== undefined) throw new UsageError(`${where}: duplicate case ${caseId} (already on line ${dupCase})`);
    lineOfCase.set(caseId, row.line);
    const dupItem = lineOfItem.get(dsaItemId);
    if (dupItem !== undefined) throw new UsageError(`${where}: duplicate _id ${dsaItemId} (already on line ${dupItem})`);
    lineOfItem.set(dsaItemId, row.line);
    out.push({ caseId, fileName, dsaItemId, magnification });
  }
  if (out.length === 0) throw new UsageError(`${source}: no slide rows after the header`);
  return out;
}

let builtinCache: readonly SlideRecord[] | undefined;

/** The 151 slides of the shipped slide_magnifications.csv (parsed once, records frozen). */
export function builtinSlides(): SlideRecord[] {
  builtinCache ??= parseSlideTable(readBuiltinDataFile('slide_magnifications.csv'), 'slide_magnifications.csv').map(
    (s) => Object.freeze(s),
  );
  return [...builtinCache];
}

/**
 * Key for comparing slide file names from different sources (catalog, DSA item
 * names, GDC file_name): upstream spells four UUIDs in lowercase.
 */
export function slideNameKey(fileName: string): string {
  return fileName.trim().toUpperCase();
}

/** The slide whose file name equals `fileName`, ignoring case; undefined if none. */
export function findSlideByFileName(fileName: string, slides: readonly SlideRecord[]): SlideRecord | undefined {
  const key = slideNameKey(fileName);
  return slides.find((s) => slideNameKey(s.fileName) === key);
}

/**
 * The slide an ROI was drawn on: same 12-character case id (ignoring case) and,
 * since the file name carries the `DX<n>` part, the same diagnostic-slide number.
 */
export function findSlideForRoi(roi: Pick<RoiRecord, 'name' | 'caseId'>, slides: readonly SlideRecord[]): SlideRecord | undefined {
  const caseKey = roi.caseId.toUpperCase();
  const dx = roi.name.slice(13).toUpperCase(); // `DX1` in TCGA-A1-A0SK-DX1
  return slides.find((s) => {
    if (s.caseId.toUpperCase() !== caseKey) return false;
    const name = s.fileName.toUpperCase();
    return dx === '' || name.includes(`-${dx}.`);
  });
}
