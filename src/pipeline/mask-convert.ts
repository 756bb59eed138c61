/**
 * Base mask (figshare PNG) → mask on the image's pixel grid.
 *
 * 1. The IHDR decides before any decoding: only 8-bit greyscale (colour type 0) label masks are
 *    accepted — a palette PNG decodes to colours, not labels, and 16-bit would be truncated
 *    (docs/imaging.md#label-pngs) — and the size must follow one of the two conventions of
 *    docs/dataset.md#roi-bounds-and-mask-size, so the decoder is bounded by the expected pixel count (docs/dataset.md#the-original-script).
 * 2. Values must be class codes (0..21); anything else is a corrupt or foreign mask.
 * 3. `resize`: the exact scikit-image nearest map to the target (the original's behaviour);
 *    `pad`: a zero row and column are appended to an (H−1)×(W−1) mask first (0 = outside ROI).
 * 4. Encoded as an 8-bit grey PNG, row strips straight from the resize into the compressor
 *    (image/grey-png.ts), so the full-size output never exists uncompressed: memory is the
 *    decoded base mask plus one strip.
 */
import { IntegrityError } from '../errors.js';
import { anyAbove, contiguousMax, disallowedValues } from '../geometry/label-values.js';
import { nearestIndexMap } from '../geometry/nearest.js';
import { encodeGreyRows, type RowFiller } from '../image/grey-png.js';
import { decodeGreyRows, pngKind, type GreyRows } from '../image/label-png.js';
import { readPngHeader } from '../image/png-header.js';
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
    const kind = pngKind(header);
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
  const src = await decodeBaseMask(input.png, bw, bh, label);
  checkValues(src, input.classCodes, label);

  // `pad` puts a zero (outside ROI) row at the bottom and column at the right of a one-short
  // mask first: the geometrically exact grid. The padding is virtual: rows and columns past the
  // base mask read as 0.
  const padded = align === 'pad' && convention === 'minus-one';
  const sw = padded ? fullW : bw;
  const sh = padded ? fullH : bh;
  const png = await encodeGreyRows(target.width, target.height, resizedRows(src, sw, sh, target.width, target.height));
  return { png, width: target.width, height: target.height, base: { width: bw, height: bh, convention } };
}

/** Decoded mask pixels: pixel (x, y) is `data[offset + y * stride + x]`. */
type PixelRows = Pick<GreyRows, 'data' | 'width' | 'height' | 'stride' | 'offset'>;

/** The base mask's pixels, bounded by its IHDR (image/label-png.ts). */
async function decodeBaseMask(png: Uint8Array, width: number, height: number, label: string): Promise<PixelRows> {
  const what = `${label}: the base mask PNG`;
  let rows: PixelRows;
  try {
    rows = await decodeGreyRows(png, { label: what, maxPixels: width * height });
  } catch (err) {
    throw new IntegrityError(`${label}: the base mask PNG cannot be decoded (${(err as Error).message})`, { cause: err });
  }
  if (rows.width !== width || rows.height !== height || rows.data.length < rows.offset + (height - 1) * rows.stride + width) {
    throw new IntegrityError(`${label}: the base mask decoded to ${rows.width}×${rows.height} px, not the ${width}×${height} of its header`);
  }
  return rows;
}

/**
 * The nearest map of one axis as runs: COPY (consecutive source pixels, slope 1) and REPEAT (one
 * source pixel several times, upscaling). As flat [kind, outStart, srcStart, length] quadruples.
 */
export function mapRuns(xs: ArrayLike<number>, count: number): Int32Array {
  const out: number[] = [];
  let x = 0;
  while (x < count) {
    const sx = xs[x] as number;
    let e = x + 1;
    if (e < count && xs[e] === sx + 1) {
      while (e < count && xs[e] === (xs[e - 1] as number) + 1) e++;
      out.push(RUN_COPY, x, sx, e - x);
    } else {
      while (e < count && xs[e] === sx) e++;
      out.push(RUN_REPEAT, x, sx, e - x);
    }
    x = e;
  }
  return Int32Array.from(out);
}

const RUN_COPY = 0;
const RUN_REPEAT = 1;

/**
 * Row producer for `encodeGreyRows`: the scikit-image nearest map (geometry/nearest.ts) from the
 * source grid (`sw × sh`, which may extend past the decoded pixels with zeros: pad mode) to the
 * target. A row is built run by run (mapRuns): a long copy run is one memcpy, a repeat run one
 * read; output rows that map to the same source row are copies of the previous one. About 2.5×
 * faster than a per-pixel gather on the BCSS masks.
 */
function resizedRows(src: PixelRows, sw: number, sh: number, tw: number, th: number): RowFiller {
  const ys = nearestIndexMap(sh, th);
  const xs = nearestIndexMap(sw, tw);
  const data = new Uint8Array(src.data.buffer, src.data.byteOffset, src.data.byteLength);
  // Columns that read a real pixel (the map is monotonic, so they come first); the rest are padding.
  let real = 0;
  while (real < tw && (xs[real] as number) < src.width) real++;
  const runs = mapRuns(xs, real);
  const nRuns = runs.length / 4;
  // The last gathered row, for output rows that repeat it (upscaling): a copy, not a gather.
  let prevY = -1;
  let prevRow: Uint8Array | null = null;
  return (y0, rows, buf, stride) => {
    for (let r = 0; r < rows; r++) {
      const sy = ys[y0 + r] as number;
      const o = r * stride + 1;
      if (sy === prevY && prevRow !== null) {
        buf.set(prevRow, o);
      } else if (sy >= src.height) {
        buf.fill(0, o, o + tw);
      } else {
        const base = src.offset + sy * src.stride;
        for (let k = 0; k < nRuns; k++) {
          const at = o + (runs[4 * k + 1] as number);
          const from = base + (runs[4 * k + 2] as number);
          const len = runs[4 * k + 3] as number;
          if (runs[4 * k] === RUN_COPY) {
            if (len >= 16) buf.set(data.subarray(from, from + len), at);
            else for (let j = 0; j < len; j++) buf[at + j] = data[from + j] as number;
          } else {
            const v = data[from] as number;
            for (let j = 0; j < len; j++) buf[at + j] = v;
          }
        }
        if (real < tw) buf.fill(0, o + real, o + tw);
      }
      prevY = sy;
      prevRow = buf.subarray(o, o + tw);
    }
  };
}

/**
 * Every base-mask pixel must be a class code. With codes 0..max (BCSS: 0..21) one word-wise scan
 * covers the whole buffer, row filter bytes included (they are 0..4 after decoding, so they pass
 * whenever max ≥ 4); otherwise the pixels are checked row by row.
 */
function checkValues(src: PixelRows, classCodes: Iterable<number>, label: string): void {
  const codes = [...classCodes];
  const maxCode = Math.max(0, ...codes);
  const max = contiguousMax(codes);
  if (max !== null && max < 127 && (src.offset === 0 || max >= 4) && !anyAbove(src.data, max)) return;
  const seen = new Uint8Array(256);
  for (let y = 0; y < src.height; y++) {
    const base = src.offset + y * src.stride;
    for (let x = 0; x < src.width; x++) seen[src.data[base + x] as number] = 1;
  }
  const present: number[] = [];
  seen.forEach((v, value) => {
    if (v === 1) present.push(value);
  });
  const bad = disallowedValues(Uint8Array.from(present), codes);
  if (bad.length > 0) {
    const shown = bad.slice(0, 8).join(', ') + (bad.length > 8 ? ', …' : '');
    throw new IntegrityError(`${label}: values ${shown} are not class codes (0..${maxCode})`, {
      expected: `values in 0..${maxCode}`,
      actual: shown,
    });
  }
}
