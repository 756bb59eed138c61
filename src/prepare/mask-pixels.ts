/**
 * Label masks in and out as class codes, never as colours (bcss-dataset.md §11, imaging-notes.md §2):
 * sharp decodes a grey PNG to 3 channels and a palette PNG to its colours, so grey masks are read
 * with extractChannel(0), palette masks (Drive / BCSS-WSSS copies) with fast-png's indices, and
 * masks are written with toColourspace('b-w') so they stay colour type 0.
 */
import { readFile } from 'node:fs/promises';
import { decode } from 'fast-png';
import sharp from 'sharp';
import { IntegrityError } from '../errors.js';
import { readPngHeader } from '../geometry/png-header.js';
import { readPngHeaderFromFile } from '../geometry/png-header-file.js';

/** Highest class code in gtruth_codes.tsv. */
export const MAX_CLASS_CODE = 21;

export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export async function readMaskLabels(path: string): Promise<RawPixels> {
  const header = await readPngHeaderFromFile(path);
  if (header.colorType === 0 && header.bitDepth === 8) {
    const { data, info } = await sharp(path, { limitInputPixels: false })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  }
  if (header.colorType === 3 && header.bitDepth === 8) {
    const png = decode(await readFile(path));
    if (png.channels !== 1 || !(png.data instanceof Uint8Array)) {
      throw new IntegrityError(`${path}: palette mask decoded to ${png.channels} channels, expected palette indices`, { path });
    }
    return { data: png.data, width: png.width, height: png.height };
  }
  throw new IntegrityError(
    `${path}: a label mask must be an 8-bit greyscale (or 8-bit palette) PNG, found colour type ${header.colorType} at ${header.bitDepth} bits`,
    { path, expected: 'colour type 0, 8-bit', actual: `colour type ${header.colorType}, ${header.bitDepth}-bit` },
  );
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

/** 8-bit single-channel PNG (colour type 0). */
export async function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels: 1 },
    limitInputPixels: false,
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const header = readPngHeader(png);
  if (header.colorType !== 0 || header.bitDepth !== 8) {
    throw new IntegrityError(`encoded mask is colour type ${header.colorType}, ${header.bitDepth}-bit; expected 8-bit grey`);
  }
  return png;
}

/** RGB (3 channels) or RGBA (4) raw pixels as PNG. */
export async function encodeColourPng(pixels: Uint8Array, width: number, height: number, channels: 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels },
    limitInputPixels: false,
  })
    .png()
    .toBuffer();
}

/** The image as packed RGB (alpha dropped: DSA renders opaque RGBA), decoded once. */
export async function readImageRgb(path: string): Promise<RawPixels> {
  const { data, info } = await sharp(path, { limitInputPixels: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new IntegrityError(`${path}: decoded to ${info.channels} channels, expected RGB`, { path });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
