import { readFileSync } from 'node:fs';

/**
 * The shipped metadata files live in `<package>/data/`. Resolving against this
 * module's URL works both from `src/catalog/*.ts` (tsx) and `dist/catalog/*.js`
 * (built), since both sit two levels below the package root.
 */
const DATA_DIR = new URL('../../data/', import.meta.url);

export type BuiltinDataFile = 'roiBounds.csv' | 'slide_magnifications.csv' | 'gtruth_codes.tsv';

export function builtinDataUrl(name: BuiltinDataFile): URL {
  return new URL(name, DATA_DIR);
}

export function readBuiltinDataFile(name: BuiltinDataFile): string {
  return readFileSync(builtinDataUrl(name), 'utf8');
}
