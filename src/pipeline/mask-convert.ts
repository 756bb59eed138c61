/**
 * Base mask (figshare PNG) → mask on the image's pixel grid.
 *
 * 1. The IHDR decides before any decoding: only 8-bit greyscale (colour type 0) label masks are
 *    accepted — a palette PNG decodes to colours, not labels, and 16-bit would be truncated
 *    (imaging-notes.md §2) — and the size must follow one of the two conventions of
 *    bcss-dataset.md §3, so the decoder is bounded by the expected pixel count (prior-art D15).
 * 2. Values must be class codes (0..21); anything else is a corrupt or foreign mask.
 * 3. `resize`: the exact scikit-image nearest map to the target (the original's behaviour);
 *    `pad`: a zero row and column are appended to an (H−1)×(W−1) mask first (0 = outside ROI).
 * 4. Encoded as an 8-bit grey PNG; the output header is checked to be colour type 0.
 */
import sharp from 'sharp';
import { IntegrityError } from '../errors.js';
import { resizeNearest } from '../geometry/nearest.js';
import { readPngHeader } from '../geometry/png-header.js';
import type { MaskAlign } from './types.js';

export interface MaskBounds {
  name: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface ConvertMaskInput {
  png: Uint8Array;
  roi: MaskBounds;
  /** The image's size: the predicted region size, or the base RGB size with --base. */
  target: { width: number; height: number };
  align: MaskAlign;
  classCodes: Iterable<number>;
}

export type MaskConvention = 'minus-one' | 'half-open';

export interface ConvertedMask {
  png: Buffer;
  width: number;
  height: number;
  base: { width: number; height: number; convention: MaskConvention };
}

const COLOUR_TYPES: Record<number, string> = { 0: 'greyscale', 2: 'RGB', 3: 'palette', 4: 'greyscale+alpha', 6: 'RGBA' };

/** (W−1)×(H−1) is expected, W×H (the RGB's grid) is accepted, anything else is refused. */
export function classifyBaseMaskSize(roi: MaskBounds, width: number, height: number): MaskConvention | null {
  const w = roi.xmax - roi.xmin;
  const h = roi.ymax - roi.ymin;
  if (width === w - 1 && height === h - 1) return 'minus-one';
  if (width === w && height === h) return 'half-open';
  return null;
}

export async function convertMask(input: ConvertMaskInput): Promise<ConvertedMask> {
  const { roi, target, align } = input;
  const label = `${roi.name} mask`;
  const header = readPngHeader(input.png);
  if (header.colorType !== 0 || header.bitDepth !== 8) {
    const kind = `${header.bitDepth}-bit ${COLOUR_TYPES[header.colorType] ?? `colour type ${header.colorType}`}`;
    throw new IntegrityError(`${label}: the base mask is a ${kind} PNG; bcss only accepts 8-bit greyscale label masks`, {
      expected: '8-bit greyscale (colour type 0)',
      actual: kind,
    });
  }
  const fullW = roi.xmax - roi.xmin;
  const fullH = roi.ymax - roi.ymin;
  const convention = classifyBaseMaskSize(roi, header.width, header.height);
  if (convention === null) {
    throw new IntegrityError(
      `${label}: the base mask is ${header.width}×${header.height} px but the ROI bounds call for ${fullW - 1}×${fullH - 1} (or ${fullW}×${fullH}) px`,
      { expected: `${fullW - 1}x${fullH - 1}`, actual: `${header.width}x${header.height}` },
    );
  }
  const bw = header.width;
  const bh = header.height;
  let raw: Buffer;
  try {
    const decoded = await sharp(input.png, { limitInputPixels: Math.max(1, bw * bh), sequentialRead: true })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (decoded.info.width !== bw || decoded.info.height !== bh || decoded.info.channels !== 1) {
      throw new Error(`decoded ${decoded.info.width}×${decoded.info.height}×${decoded.info.channels}`);
    }
    raw = decoded.data;
  } catch (err) {
    throw new IntegrityError(`${label}: the base mask PNG cannot be decoded (${(err as Error).message})`, { cause: err });
  }
  checkValues(raw, input.classCodes, label);

  let src: Uint8Array = raw;
  let sw = bw;
  let sh = bh;
  if (align === 'pad' && convention === 'minus-one') {
    // Zero (outside ROI) row at the bottom and column at the right: the geometrically exact grid.
    const padded = new Uint8Array(fullW * fullH);
    for (let y = 0; y < bh; y++) padded.set(raw.subarray(y * bw, y * bw + bw), y * fullW);
    src = padded;
    sw = fullW;
    sh = fullH;
  }
  const out = sw === target.width && sh === target.height ? src : resizeNearest(src, sw, sh, target.width, target.height);
  const png = await encodeGreyPng(out, target.width, target.height);
  return { png, width: target.width, height: target.height, base: { width: bw, height: bh, convention } };
}

function checkValues(raw: Uint8Array, classCodes: Iterable<number>, label: string): void {
  const allowed = new Uint8Array(256);
  let maxCode = 0;
  for (const c of classCodes) {
    allowed[c] = 1;
    maxCode = Math.max(maxCode, c);
  }
  const seen = new Uint8Array(256);
  for (let i = 0; i < raw.length; i++) seen[raw[i] as number] = 1;
  const bad: number[] = [];
  for (let v = 0; v < 256; v++) if (seen[v] === 1 && allowed[v] !== 1) bad.push(v);
  if (bad.length > 0) {
    const shown = bad.slice(0, 8).join(', ') + (bad.length > 8 ? ', …' : '');
    throw new IntegrityError(`${label}: values ${shown} are not class codes (0..${maxCode})`, {
      expected: `values in 0..${maxCode}`,
      actual: shown,
    });
  }
}

/** 8-bit single-channel PNG (colour type 0); sharp would make RGB of a 1-channel raw without b-w. */
export async function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels: 1 },
    limitInputPixels: false,
  })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const header = readPngHeader(png);
  if (header.colorType !== 0 || header.bitDepth !== 8 || header.width !== width || header.height !== height) {
    throw new IntegrityError(`encoded mask is colour type ${header.colorType}, ${header.bitDepth}-bit, ${header.width}×${header.height}; expected 8-bit grey ${width}×${height}`);
  }
  return png;
}

/** Decode an 8-bit grey PNG written by `encodeGreyPng` (or any type-0 8-bit PNG), bounded by its IHDR. */
export async function decodeGreyPng(png: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const header = readPngHeader(png);
  if (header.colorType !== 0 || header.bitDepth !== 8) {
    throw new IntegrityError(`not an 8-bit greyscale PNG (colour type ${header.colorType}, ${header.bitDepth}-bit)`);
  }
  const { data, info } = await sharp(png, { limitInputPixels: Math.max(1, header.width * header.height) }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
