/**
 * Which byte values of a label image are not allowed (e.g. not BCSS class codes). The common
 * case, codes 0..max with max < 128, is checked four bytes at a time; any other code set (or a
 * hit in the fast scan) falls back to an exact byte-wise table scan.
 */

function allowedTable(allowed: Iterable<number>): Uint8Array {
  const table = new Uint8Array(256);
  for (const c of allowed) {
    if (Number.isInteger(c) && c >= 0 && c <= 255) table[c] = 1;
  }
  return table;
}

/** `max` when the allowed values are exactly 0..max, else null. */
export function contiguousMax(allowed: Iterable<number>): number | null {
  const table = allowedTable(allowed);
  let max = -1;
  while (max < 255 && table[max + 1] === 1) max++;
  return max >= 0 && table.subarray(max + 1).every((v) => v === 0) ? max : null;
}

/** The values of `pixels` that are not in `allowed`, ascending (empty when all are allowed). */
export function disallowedValues(pixels: Uint8Array, allowed: Iterable<number>): number[] {
  const codes = [...allowed];
  const table = allowedTable(codes);
  const max = contiguousMax(codes);
  if (max !== null && max < 127 && !anyAbove(pixels, max)) return [];
  const seen = new Uint8Array(256);
  for (let i = 0; i < pixels.length; i++) seen[pixels[i] as number] = 1;
  const bad: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v] === 1 && table[v] !== 1) bad.push(v);
  return bad;
}

/**
 * True if some byte exceeds `max` (0 ≤ max < 127). Per 32-bit word, `(w + k) | w` with
 * k = (127 − max) in every byte sets a byte's top bit exactly when that byte is > max (a byte
 * ≥ 128 has it already); a carry out of a byte only happens when that byte is ≥ 128, so it can
 * only add hits next to a real one.
 */
export function anyAbove(pixels: Uint8Array, max: number): boolean {
  if (!Number.isInteger(max) || max < 0 || max >= 127) throw new RangeError(`anyAbove needs 0 <= max < 127, got ${max}`);
  const k = (127 - max) * 0x01010101;
  // Bytes before the first 4-byte boundary (or all of them, for a tiny array) one at a time.
  const head = Math.min((4 - (pixels.byteOffset & 3)) & 3, pixels.length);
  for (let i = 0; i < head; i++) if ((pixels[i] as number) > max) return true;
  const words = (pixels.length - head) >>> 2;
  if (words === 0) {
    for (let i = head; i < pixels.length; i++) if ((pixels[i] as number) > max) return true;
    return false;
  }
  const w32 = new Uint32Array(pixels.buffer, pixels.byteOffset + head, words);
  let acc = 0;
  for (let i = 0; i < words; i++) {
    const w = w32[i] as number;
    acc |= (w + k) | w;
  }
  if ((acc & 0x80808080) !== 0) return true;
  for (let i = head + words * 4; i < pixels.length; i++) if ((pixels[i] as number) > max) return true;
  return false;
}
