/**
 * Label masks as PNG, in and out: 8-bit greyscale (colour type 0, as the BCSS masks are) or 8-bit
 * palette (colour type 3, as some copies of the masks are), read as class codes, never as colours
 * (docs/imaging.md). Every mask PNG in bcss goes through here.
 *
 * Which codec (docs/benchmarks.md, "Mask PNG codecs"): bcss's own (grey-png.ts), for every mask.
 * It decodes in a quarter to a third of sharp's CPU, and writes label masks smaller than libvips
 * does for about the same CPU; fast-png decodes 10–25 times slower. sharp would also read a
 * palette mask as colours, not as its indices. So a download never loads sharp at all.
 */
import { readFile } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { decodeGreyScanlines, encodeGrey } from './grey-png.js';
import { readPngHeader } from './png-header.js';

/** 8-bit, one-sample pixels, rows packed: pixel (x, y) is `data[y * width + x]`. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** The PLTE of a palette PNG (RGB triples), null for a greyscale one. */
  palette: Uint8Array | null;
}

/**
 * Decoded rows in the decoder's own layout, saving a copy of a large mask: pixel (x, y) is
 * `data[offset + y * stride + x]`.
 */
export interface GreyRows extends GreyImage {
  stride: number;
  offset: number;
}

export interface ReadGreyOptions {
  /** Names the image in error messages; default "PNG" (readGreyPng: the path). */
  label?: string;
  /**
   * Refuse an image of more pixels before inflating it (a decompression bomb, or a mask far
   * larger than the ROI calls for). Default: no limit.
   */
  maxPixels?: number;
  /** Also accept an 8-bit palette PNG, returning its indices. Default false: greyscale only. */
  palette?: boolean;
}

const COLOUR_TYPES: Record<number, string> = { 0: 'greyscale', 2: 'RGB', 3: 'palette', 4: 'greyscale+alpha', 6: 'RGBA' };

/** "8-bit palette", "16-bit greyscale": a header's pixel format in words. */
export function pngKind(header: { bitDepth: number; colorType: number }): string {
  return `${header.bitDepth}-bit ${COLOUR_TYPES[header.colorType] ?? `colour type ${header.colorType}`}`;
}

/**
 * Decodes a grey (or, with `palette`, palette) PNG into rows, bounded by `maxPixels`. Throws
 * IntegrityError, naming `label`, for any other pixel format and for a damaged file.
 */
export async function decodeGreyRows(png: Uint8Array, options: ReadGreyOptions = {}): Promise<GreyRows> {
  const label = options.label ?? 'PNG';
  const header = labelled(() => readPngHeader(png), label);
  const isPalette = header.colorType === 3 && options.palette === true;
  if (header.bitDepth !== 8 || (header.colorType !== 0 && !isPalette)) {
    const want = options.palette === true ? '8-bit greyscale (or 8-bit palette)' : '8-bit greyscale';
    throw new IntegrityError(`${label}: a label mask must be an ${want} PNG, found ${pngKind(header)}`, {
      expected: want,
      actual: pngKind(header),
    });
  }
  const maxPixels = options.maxPixels ?? Number.MAX_SAFE_INTEGER;
  if (header.width * header.height > maxPixels) {
    throw new IntegrityError(`${label}: the PNG is ${header.width}×${header.height} px, more than the ${maxPixels} expected`);
  }
  const lines = await decodeGreyScanlines(png, label, maxPixels, options.palette === true);
  return { ...lines, offset: 1 };
}

/** `fn()`, its IntegrityError naming `label`. */
function labelled<T>(fn: () => T, label: string): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof IntegrityError)) throw err;
    throw new IntegrityError(`${label}: ${err.message}`, { expected: err.expected, actual: err.actual, cause: err });
  }
}

/**
 * `decodeGreyRows` with the rows packed (`width × height` bytes). Packed in place, over the
 * decoder's buffer: a second full-size buffer would double the memory of a large mask.
 */
export async function decodeGreyPng(png: Uint8Array, options: ReadGreyOptions = {}): Promise<GreyImage> {
  const { data, width, height, stride, offset, palette } = await decodeGreyRows(png, options);
  // Row y moves down to y·width; the target never passes the source, so copying rows in order is safe.
  if (offset !== 0 || stride !== width) for (let y = 0; y < height; y++) data.copyWithin(y * width, offset + y * stride, offset + y * stride + width);
  // A plain Uint8Array view, not a Buffer (the decoder's bytes may be one).
  return { data: new Uint8Array(data.buffer, data.byteOffset, width * height), width, height, palette };
}

/**
 * `decodeGreyPng` of a file; errors name the path (and carry it as `path`). File-system errors
 * (ENOENT, EACCES…) propagate unchanged, so a caller can tell "missing" from "corrupt".
 */
export async function readGreyPng(path: string, options: ReadGreyOptions = {}): Promise<GreyImage> {
  const png = await readFile(path);
  try {
    return await decodeGreyPng(png, { ...options, label: options.label ?? path });
  } catch (err) {
    if (err instanceof IntegrityError) throw new IntegrityError(err.message, { path, expected: err.expected, actual: err.actual, cause: err });
    throw err;
  }
}

/**
 * Packed 8-bit pixels (`width × height` bytes) as an 8-bit greyscale PNG, or as a palette PNG
 * with `palette` (RGB triples). For rows produced on the fly, streamed through the compressor
 * so the whole image never exists uncompressed, use `encodeGreyRows`.
 */
export async function encodeGreyPng(pixels: Uint8Array, width: number, height: number, palette?: Uint8Array): Promise<Buffer> {
  return encodeGrey(pixels, width, height, palette);
}
