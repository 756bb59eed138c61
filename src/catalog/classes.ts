import { UsageError } from '../errors.js';
import type { GtCode } from '../geometry/types.js';
import { findColumn, parseDelimitedRows } from './csv.js';
import { readBuiltinDataFile } from './data-files.js';
import type { ClassGroup, ClassRecord } from './types.js';

interface ClassMapping {
  /** The label gtruth_codes.tsv must give this code (checked at load). */
  label: string;
  dsaGroup: string | null;
  overlayOrder: number | null;
  group: ClassGroup;
}

/**
 * What gtruth_codes.tsv does not say (docs/dataset.md#class-codes): the group name the DSA
 * annotations use (HistomicsTK's sample_GTcodes.csv), the overlay order, and the
 * baseline grouping. `exclude` (7) and `undetermined` (15) follow the literal
 * "other = the rest" reading; classGroups() can send them to ignore instead.
 */
const CLASS_MAPPINGS: ReadonlyMap<number, ClassMapping> = new Map([
  [0, { label: 'outside_roi', dsaGroup: null, overlayOrder: null, group: 'ignore' }],
  [1, { label: 'tumor', dsaGroup: 'mostly_tumor', overlayOrder: 1, group: 'tumor' }],
  [2, { label: 'stroma', dsaGroup: 'mostly_stroma', overlayOrder: 2, group: 'stroma' }],
  [3, { label: 'lymphocytic_infiltrate', dsaGroup: 'mostly_lymphocytic_infiltrate', overlayOrder: 1, group: 'inflammatory' }],
  [4, { label: 'necrosis_or_debris', dsaGroup: 'necrosis_or_debris', overlayOrder: 1, group: 'necrosis' }],
  [5, { label: 'glandular_secretions', dsaGroup: 'glandular_secretions', overlayOrder: 1, group: 'other' }],
  [6, { label: 'blood', dsaGroup: 'mostly_blood', overlayOrder: 1, group: 'other' }],
  [7, { label: 'exclude', dsaGroup: 'exclude', overlayOrder: 3, group: 'other' }],
  [8, { label: 'metaplasia_NOS', dsaGroup: 'metaplasia_NOS', overlayOrder: 1, group: 'other' }],
  [9, { label: 'fat', dsaGroup: 'mostly_fat', overlayOrder: 1, group: 'other' }],
  [10, { label: 'plasma_cells', dsaGroup: 'mostly_plasma_cells', overlayOrder: 1, group: 'inflammatory' }],
  [11, { label: 'other_immune_infiltrate', dsaGroup: 'other_immune_infiltrate', overlayOrder: 1, group: 'inflammatory' }],
  [12, { label: 'mucoid_material', dsaGroup: 'mostly_mucoid_material', overlayOrder: 1, group: 'other' }],
  [13, { label: 'normal_acinus_or_duct', dsaGroup: 'normal_acinus_or_duct', overlayOrder: 1, group: 'other' }],
  [14, { label: 'lymphatics', dsaGroup: 'lymphatics', overlayOrder: 1, group: 'other' }],
  [15, { label: 'undetermined', dsaGroup: 'undetermined', overlayOrder: 1, group: 'other' }],
  [16, { label: 'nerve', dsaGroup: 'nerve', overlayOrder: 1, group: 'other' }],
  // "skin_adnexia" (sic) is how the DSA annotations spell it.
  [17, { label: 'skin_adnexa', dsaGroup: 'skin_adnexia', overlayOrder: 1, group: 'other' }],
  [18, { label: 'blood_vessel', dsaGroup: 'blood_vessel', overlayOrder: 1, group: 'other' }],
  [19, { label: 'angioinvasion', dsaGroup: 'angioinvasion', overlayOrder: 1, group: 'tumor' }],
  [20, { label: 'dcis', dsaGroup: 'mostly_dcis', overlayOrder: 1, group: 'tumor' }],
  [21, { label: 'other', dsaGroup: 'other', overlayOrder: 1, group: 'other' }],
]);

/** Mask value for pixels outside the ROI: "don't care", never a class. */
export const OUTSIDE_ROI_CODE = 0;
export const EXCLUDE_CODE = 7;
export const UNDETERMINED_CODE = 15;

/** HistomicsTK sample_GTcodes.csv codes for ROI groups (overlay order 0, drawn first). */
export const ROI_GT_CODE = 254;
export const EVALUATION_ROI_GT_CODE = 253;

/** The baseline groups in their conventional order. */
export const CLASS_GROUPS: readonly ClassGroup[] = ['tumor', 'stroma', 'inflammatory', 'necrosis', 'other', 'ignore'];

/** Join the class table with CLASS_MAPPINGS; every code must be known and labelled as expected. */
export function parseClassTable(text: string, source: string): ClassRecord[] {
  const rows = parseDelimitedRows(text, { delimiter: '\t', source });
  const header = rows[0];
  if (header === undefined) throw new UsageError(`${source}: the file is empty (expected the header label<TAB>GT_code)`);
  const labelCol = findColumn(header, 'label', source);
  const codeCol = findColumn(header, 'GT_code', source);
  if (labelCol < 0 || codeCol < 0) {
    throw new UsageError(`${source} line ${header.line}: expected the header label<TAB>GT_code`);
  }
  const out: ClassRecord[] = [];
  for (const row of rows.slice(1)) {
    const where = `${source} line ${row.line}`;
    const name = (row.fields[labelCol] ?? '').trim();
    const codeText = (row.fields[codeCol] ?? '').trim();
    const code = Number(codeText);
    if (!/^\d+$/.test(codeText) || code > 255) throw new UsageError(`${where}: GT_code ${JSON.stringify(codeText)} is not 0..255`);
    const mapping = CLASS_MAPPINGS.get(code);
    if (mapping === undefined) throw new UsageError(`${where}: class code ${code} (${name}) has no known DSA group / baseline group`);
    if (mapping.label !== name) {
      throw new UsageError(`${where}: class code ${code} is labelled ${JSON.stringify(name)}, expected ${JSON.stringify(mapping.label)}`);
    }
    if (out.some((c) => c.code === code)) throw new UsageError(`${where}: duplicate class code ${code}`);
    out.push({ code, name, dsaGroup: mapping.dsaGroup, overlayOrder: mapping.overlayOrder, group: mapping.group });
  }
  for (const code of CLASS_MAPPINGS.keys()) {
    if (!out.some((c) => c.code === code)) throw new UsageError(`${source}: class code ${code} is missing`);
  }
  return out.sort((a, b) => a.code - b.code);
}

let builtinCache: readonly ClassRecord[] | undefined;

/** The 22 classes (codes 0..21) of the shipped gtruth_codes.tsv with DSA and baseline groups. */
export function builtinClasses(): ClassRecord[] {
  builtinCache ??= parseClassTable(readBuiltinDataFile('gtruth_codes.tsv'), 'gtruth_codes.tsv').map((c) =>
    Object.freeze(c),
  );
  return [...builtinCache];
}

/**
 * HistomicsTK's GT-codes table for the rasteriser (docs/dataset.md#annotations-to-masks): one row
 * per class 1..21, stroma as the background (default fill inside an ROI), and
 * the two ROI groups.
 */
export function gtCodes(): GtCode[] {
  const rows: GtCode[] = [
    { group: 'roi', overlayOrder: 0, code: ROI_GT_CODE, isRoi: true, isBackground: false },
    { group: 'evaluation_roi', overlayOrder: 0, code: EVALUATION_ROI_GT_CODE, isRoi: true, isBackground: false },
  ];
  for (const c of builtinClasses()) {
    if (c.dsaGroup === null || c.overlayOrder === null) continue; // code 0 is never drawn
    rows.push({
      group: c.dsaGroup,
      overlayOrder: c.overlayOrder,
      code: c.code,
      isRoi: false,
      isBackground: c.dsaGroup === 'mostly_stroma',
    });
  }
  return rows;
}

export type UndocumentedClassTreatment = 'other' | 'ignore';

export interface ClassGroupOptions {
  /** Where `exclude` (7) goes; the baseline page does not say. Default `other` (literal reading, as eva). */
  exclude?: UndocumentedClassTreatment;
  /** Where `undetermined` (15) goes. Default `other`. */
  undetermined?: UndocumentedClassTreatment;
}

/** Code → baseline group for codes 0..21 (docs/dataset.md#baseline-grouping), with 7 and 15 configurable. */
export function classGroups(options: ClassGroupOptions = {}): Map<number, ClassGroup> {
  const exclude = checkTreatment(options.exclude ?? 'other', 'exclude');
  const undetermined = checkTreatment(options.undetermined ?? 'other', 'undetermined');
  const map = new Map<number, ClassGroup>();
  for (const c of builtinClasses()) map.set(c.code, c.group);
  map.set(EXCLUDE_CODE, exclude);
  map.set(UNDETERMINED_CODE, undetermined);
  return map;
}

function checkTreatment(value: string, what: string): UndocumentedClassTreatment {
  if (value !== 'other' && value !== 'ignore') {
    throw new UsageError(`class grouping for ${what}: expected "other" or "ignore" but received ${JSON.stringify(value)}`);
  }
  return value;
}
