/**
 * Label masks in as class codes, never as colours (docs/dataset.md, docs/imaging.md): greyscale
 * masks as they are, palette masks (Drive / BCSS-WSSS copies) as their indices, both through the
 * image room's label-PNG reader.
 */
import { IntegrityError } from '../errors.js';
import { readGreyPng, type GreyImage } from '../image/label-png.js';

/** Highest class code in gtruth_codes.tsv. */
export const MAX_CLASS_CODE = 21;

/** An 8-bit greyscale or 8-bit palette mask PNG as class codes; IntegrityError (with `path`) for any other. */
export async function readMaskLabels(path: string): Promise<GreyImage> {
  return readGreyPng(path, { palette: true });
}

/** Pixel count per value 0..255. */
export function countLabels(data: Uint8Array): Float64Array {
  const counts = new Float64Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i] as number] = (counts[data[i] as number] as number) + 1;
  return counts;
}

/** IntegrityError when the mask holds values that are not class codes (0..21). */
export function checkClassCodes(counts: Float64Array, path: string): void {
  const bad: string[] = [];
  for (let v = MAX_CLASS_CODE + 1; v < 256; v++) if ((counts[v] as number) > 0) bad.push(`${v} (${counts[v]} px)`);
  if (bad.length > 0) {
    throw new IntegrityError(`${path}: mask values ${bad.join(', ')} are not BCSS class codes 0..${MAX_CLASS_CODE}`, {
      path,
      hint: 'An anti-aliased or colour-mapped mask? Fetch it again with `bcss download`.',
    });
  }
}
