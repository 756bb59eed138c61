import { UsageError } from '../errors.js';
import { findColumn, parseDelimitedRows, type DelimitedRow } from './csv.js';
import { readBuiltinDataFile } from './data-files.js';
import type { RoiRecord } from './types.js';

/** `TCGA-<site>-<case>-DX<n>`; BCSS uses DX1 only, but the table format allows any n. */
export const ROI_NAME_PATTERN = /^TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}-DX[0-9]+$/;

const BOUND_COLUMNS = ['xmin', 'ymin', 'xmax', 'ymax'] as const;
type BoundColumn = (typeof BOUND_COLUMNS)[number];

/** Decimal literal as Python's float() reads it (no hex, no blanks, no inf/nan). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Path of a figshare download link: `/files/<id>` (ndownloader.figshare.com and mirrors). */
const FIGSHARE_FILE_PATH = /\/files\/(\d+)$/;

/**
 * Parse a table in roiBounds.csv format: header `,xmin,ymin,xmax,ymax,mask_link`,
 * where the ROI name sits under the EMPTY header (Python's `row['']`).
 *
 * Also accepts what older or hand-edited copies contain:
 * - float bounds (`45749.0`, the Aug 2019 file), read like the original script's
 *   `int(float(v))` but only when the value is a whole number;
 * - extra or reordered columns; a `roi`/`roi_name`/`name` column instead of the empty one;
 * - no `mask_link` column (it was added in Nov 2019) or a blank cell: the link of
 *   the built-in ROI with that name is used, and an unknown name is an error.
 *
 * Every problem is a UsageError naming the source and the line.
 */
export function parseRoiTable(text: string, source: string): RoiRecord[] {
  const rows = parseDelimitedRows(text, { delimiter: ',', source });
  const header = rows[0];
  if (header === undefined) throw new UsageError(`${source}: the file is empty (expected the header ,xmin,ymin,xmax,ymax,mask_link)`);

  const nameCol = roiNameColumn(header, source);
  const boundCols = {} as Record<BoundColumn, number>;
  for (const col of BOUND_COLUMNS) {
    const idx = findColumn(header, col, source);
    if (idx < 0) {
      throw new UsageError(
        `${source} line ${header.line}: missing column "${col}" (expected the header ,xmin,ymin,xmax,ymax,mask_link)`,
      );
    }
    boundCols[col] = idx;
  }
  const linkCol = findColumn(header, 'mask_link', source);

  const out: RoiRecord[] = [];
  const lineOfName = new Map<string, number>();
  const nameOfMaskId = new Map<number, { name: string; line: number }>();
  for (const row of rows.slice(1)) {
    const where = `${source} line ${row.line}`;
    const name = cell(row, nameCol).trim();
    if (!ROI_NAME_PATTERN.test(name)) {
      throw new UsageError(`${where}: ROI name ${JSON.stringify(name)} does not look like TCGA-XX-XXXX-DX<n>`);
    }
    const earlier = lineOfName.get(name);
    if (earlier !== undefined) {
      throw new UsageError(`${where}: duplicate ROI ${name} (already on line ${earlier})`);
    }
    lineOfName.set(name, row.line);

    const b = {} as Record<BoundColumn, number>;
    for (const col of BOUND_COLUMNS) b[col] = parseBound(cell(row, boundCols[col]), col, where);
    checkExtent(b.xmin, b.xmax, 'x', where);
    checkExtent(b.ymin, b.ymax, 'y', where);

    const rawLink = linkCol < 0 ? '' : cell(row, linkCol).trim();
    const link = rawLink === '' ? builtinMaskLink(name, where, linkCol < 0) : parseMaskLink(rawLink, where);
    const clash = nameOfMaskId.get(link.maskFileId);
    if (clash !== undefined) {
      throw new UsageError(
        `${where}: mask file id ${link.maskFileId} is already used by ${clash.name} on line ${clash.line}`,
      );
    }
    nameOfMaskId.set(link.maskFileId, { name, line: row.line });

    out.push({
      name,
      caseId: name.slice(0, 12),
      site: name.slice(5, 7),
      xmin: b.xmin,
      ymin: b.ymin,
      xmax: b.xmax,
      ymax: b.ymax,
      maskFileId: link.maskFileId,
      maskUrl: link.maskUrl,
    });
  }
  if (out.length === 0) throw new UsageError(`${source}: no ROI rows after the header`);
  return out;
}

let builtinCache: readonly RoiRecord[] | undefined;

/** The 151 ROIs of the shipped roiBounds.csv (parsed once, records frozen). */
export function builtinRois(): RoiRecord[] {
  builtinCache ??= parseRoiTable(readBuiltinDataFile('roiBounds.csv'), 'roiBounds.csv').map((r) => Object.freeze(r));
  return [...builtinCache];
}

function roiNameColumn(header: DelimitedRow, source: string): number {
  for (const name of ['', 'roi', 'roi_name', 'name']) {
    const idx = findColumn(header, name, source);
    if (idx >= 0) return idx;
  }
  throw new UsageError(
    `${source} line ${header.line}: no ROI-name column; the first header field should be empty, as in roiBounds.csv (,xmin,ymin,xmax,ymax,mask_link)`,
  );
}

function cell(row: DelimitedRow, idx: number): string {
  // parseDelimitedRows guarantees every row is as wide as the header.
  return row.fields[idx] ?? '';
}

function parseBound(raw: string, col: BoundColumn, where: string): number {
  const text = raw.trim();
  if (text === '') throw new UsageError(`${where}: ${col} is empty`);
  if (!DECIMAL.test(text)) throw new UsageError(`${where}: ${col} (${JSON.stringify(raw)}) is not a number`);
  const value = Number(text);
  if (!Number.isInteger(value)) throw new UsageError(`${where}: ${col} (${text}) is not a whole number of pixels`);
  if (value < 0) throw new UsageError(`${where}: ${col} (${text}) must not be negative`);
  if (!Number.isSafeInteger(value)) throw new UsageError(`${where}: ${col} (${text}) is too large`);
  return value + 0; // turns -0 into 0
}

/**
 * The base mask is (max − min − 1) pixels wide (docs/dataset.md#roi-bounds-and-mask-size), so max must
 * exceed min + 1 for a non-empty mask.
 */
function checkExtent(min: number, max: number, axis: 'x' | 'y', where: string): void {
  if (max <= min) {
    throw new UsageError(`${where}: ${axis}max (${max}) must be greater than ${axis}min (${min})`);
  }
  if (max === min + 1) {
    throw new UsageError(
      `${where}: ${axis}max (${max}) must be at least ${axis}min + 2 (${min + 2}); the mask would be empty (its size is ${axis}max - ${axis}min - 1)`,
    );
  }
}

interface MaskLink {
  maskFileId: number;
  maskUrl: string;
}

function parseMaskLink(raw: string, where: string): MaskLink {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${where}: mask_link ${JSON.stringify(raw)} is not a URL`);
  }
  const m = FIGSHARE_FILE_PATH.exec(url.pathname);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || m === null) {
    throw new UsageError(
      `${where}: mask_link ${JSON.stringify(raw)} is not a figshare file link like https://ndownloader.figshare.com/files/<id>`,
    );
  }
  const id = Number(m[1]);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new UsageError(`${where}: mask_link ${JSON.stringify(raw)} has an invalid file id`);
  }
  return { maskFileId: id, maskUrl: raw };
}

function builtinMaskLink(name: string, where: string, columnMissing: boolean): MaskLink {
  const known = builtinRois().find((r) => r.name === name);
  if (known === undefined) {
    const why = columnMissing ? 'the table has no mask_link column' : 'mask_link is blank';
    throw new UsageError(`${where}: ${why} and ${name} is not a BCSS ROI, so its mask file is unknown`);
  }
  return { maskFileId: known.maskFileId, maskUrl: known.maskUrl };
}
