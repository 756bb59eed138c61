/**
 * Class codes → the values written into tile masks: the raw codes 0..21, or the Baseline groups
 * (docs/dataset.md#baseline-grouping) as tumor 1, stroma 2, inflammatory 3, necrosis 4, other 5 and ignore 0,
 * so 0 keeps meaning "don't care". Raw tumour (1) maps to tumor, which eva's mapping misses (docs/dataset.md#consumer-pitfalls).
 */
import { builtinClasses, classGroups } from '../catalog/classes.js';
import type { ClassGroup } from '../catalog/types.js';
import { UsageError } from '../errors.js';
import type { TileGroups, UndocumentedTreatment } from './types.js';

export const GROUP_VALUES: Readonly<Record<ClassGroup, number>> = {
  ignore: 0,
  tumor: 1,
  stroma: 2,
  inflammatory: 3,
  necrosis: 4,
  other: 5,
};

export interface MappedValue {
  value: number;
  name: string;
  /** The class codes written as this value. */
  codes: number[];
}

export interface LabelMapping {
  groups: TileGroups;
  /** Code (0..255) → output value. */
  lut: Uint8Array;
  /** Output values in ascending order. */
  values: MappedValue[];
}

export function labelMapping(groups: TileGroups, exclude: UndocumentedTreatment): LabelMapping {
  const classes = builtinClasses();
  const lut = new Uint8Array(256);
  if (groups === 'raw') {
    for (const c of classes) lut[c.code] = c.code;
    return { groups, lut, values: classes.map((c) => ({ value: c.code, name: c.name, codes: [c.code] })) };
  }
  if (groups !== 'baseline') throw new UsageError(`expected "baseline" or "raw" for --groups but received ${JSON.stringify(groups)}`);
  const byCode = classGroups({ exclude });
  const values: MappedValue[] = (Object.entries(GROUP_VALUES) as Array<[ClassGroup, number]>)
    .sort((a, b) => a[1] - b[1])
    .map(([name, value]) => ({ value, name, codes: [] }));
  for (const [code, group] of [...byCode].sort((a, b) => a[0] - b[0])) {
    const value = GROUP_VALUES[group];
    lut[code] = value;
    values[value]?.codes.push(code);
  }
  return { groups, lut, values };
}
