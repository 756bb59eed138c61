import sharp from 'sharp';
import type { LabelMask } from '../../geometry/types.js';

/** PNG IHDR: bit depth at byte 24, colour type at byte 25 (0 = greyscale). */
const IHDR_BIT_DEPTH = 24;
const IHDR_COLOUR_TYPE = 25;

/**
 * Encode a label mask as an 8-bit greyscale PNG (colour type 0), the format of the BCSS figshare
 * masks. sharp would otherwise be free to pick another colour type, so the result is checked.
 */
export async function encodeMaskPng(mask: LabelMask): Promise<Buffer> {
  const raw = Buffer.from(mask.data.buffer, mask.data.byteOffset, mask.data.byteLength);
  const png = await sharp(raw, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  if (png[IHDR_COLOUR_TYPE] !== 0 || png[IHDR_BIT_DEPTH] !== 8) {
    throw new Error(
      `mask PNG encoder produced colour type ${String(png[IHDR_COLOUR_TYPE])} bit depth ${String(png[IHDR_BIT_DEPTH])}, expected 8-bit greyscale (0)`,
    );
  }
  return png;
}
