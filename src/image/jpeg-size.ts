/**
 * Width and height of a baseline/progressive JPEG from its SOF marker, without decoding, so a
 * `--encoding jpeg` render gets the same size check as a PNG one. Pure.
 */

export interface JpegSize {
  width: number;
  height: number;
}

/** True when `buf` starts with the JPEG SOI marker followed by another marker. */
export function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

/**
 * Walks the marker segments from SOI to the first SOFn (C0–CF except C4 DHT, C8 JPG, CC DAC).
 * Returns null when `buf` is not a JPEG or ends before a SOF (callers pass the first 64 KiB:
 * encoders put SOF after the tables, well within that).
 */
export function readJpegSize(buf: Uint8Array): JpegSize | null {
  if (!isJpeg(buf)) return null;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1] as number;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // Markers without a length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or SOS before any SOF
    const len = ((buf[i + 2] as number) << 8) | (buf[i + 3] as number);
    if (len < 2) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 9 > buf.length) return null;
      const height = ((buf[i + 5] as number) << 8) | (buf[i + 6] as number);
      const width = ((buf[i + 7] as number) << 8) | (buf[i + 8] as number);
      return { width, height };
    }
    i += 2 + len;
  }
  return null;
}
