/**
 * BCSS file names and the numbers that go into requests (docs/dataset.md#file-names, #resolution-rules).
 *
 * Names follow the original script, `"%s_xmin%d_ymin%d_%s.png" % (roi, xmin, ymin, suffix)`, so
 * existing copies and consumers keep working. Requests, however, must NOT copy its `%.4f` of
 * `0.001 * mpp`: the double for 0.00025 is slightly above 0.00025, so `%.4f` sends `0.0003` and
 * the "MPP-0.2500" files are really 0.3 µm/px. We send `formatMm(mmPerPixel(mpp))` instead.
 */
import type { Resolution } from './types.js';

const ROI_NAME = /^TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}-DX1$/;

/**
 * Python's `'%.<digits>f' % x`: the exact binary value of `x` rounded to `digits` decimals, exact
 * ties to even. JavaScript's `toFixed` also rounds the exact value but breaks exact ties away from
 * zero. An exact tie needs x·10^d to end in .5 exactly, which for a double happens iff x·2^(d+1)
 * is an odd integer (e.g. 0.03125 at 4 decimals, 0.125 at 2): only there do we step the last digit
 * back to the even neighbour. Everywhere else `toFixed` is already Python's answer.
 */
export function formatFixedHalfEven(x: number, digits: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`formatFixedHalfEven: expected a finite number but received ${x}`);
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new RangeError(`formatFixedHalfEven: expected 0..20 digits but received ${digits}`);
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const ax = Math.abs(x);
  // toFixed switches to exponent notation from 1e21; such doubles are integers anyway.
  if (ax >= 1e21) return sign + BigInt(ax).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  let s = ax.toFixed(digits);
  const scaled = ax * 2 ** (digits + 1); // exact: multiplying by a power of two
  if (Number.isInteger(scaled) && scaled % 2 === 1) {
    let n = BigInt(s.replace('.', ''));
    if (n % 2n === 1n) {
      n -= 1n; // toFixed picked the larger neighbour; the even one is just below
      const t = n.toString().padStart(digits + 1, '0');
      s = digits > 0 ? `${t.slice(0, t.length - digits)}.${t.slice(t.length - digits)}` : t;
    }
  }
  return sign + s;
}

function requirePositive(what: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`expected a positive finite ${what} but received ${String(v)}`);
  }
}

/** The name suffix: `MPP-%.4f` (e.g. MPP-0.2500), `MAG-%.2f` (e.g. MAG-20.00) or `MAG-0` at base. */
export function resolutionSuffix(res: Resolution): string {
  switch (res.kind) {
    case 'mpp':
      requirePositive('mpp', res.mpp);
      // Python's %-formatting breaks exact ties to even; toFixed would not (0.03125 -> 0.0313).
      return `MPP-${formatFixedHalfEven(res.mpp, 4)}`;
    case 'mag':
      requirePositive('magnification', res.magnification);
      return `MAG-${formatFixedHalfEven(res.magnification, 2)}`;
    case 'base':
      return 'MAG-0';
    default:
      throw new RangeError(`unknown resolution kind ${JSON.stringify((res as { kind: unknown }).kind)}`);
  }
}

/**
 * The file name of an ROI's image and mask, as the authors' script names them; xmin/ymin are
 * base-resolution pixels.
 *
 * @example
 * ```ts
 * import { roiFileName } from 'bcss';
 * roiFileName('TCGA-A1-A0SK-DX1', 45749, 25055, { kind: 'mpp', mpp: 0.25 });
 * // 'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png'
 * ```
 */
export function roiFileName(roiName: string, xmin: number, ymin: number, res: Resolution): string {
  if (typeof roiName !== 'string' || !ROI_NAME.test(roiName)) {
    throw new RangeError(`expected an ROI name like TCGA-A1-A0SK-DX1 but received ${JSON.stringify(roiName)}`);
  }
  for (const [name, v] of [
    ['xmin', xmin],
    ['ymin', ymin],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`expected a non-negative integer ${name} but received ${String(v)}`);
    }
  }
  return `${roiName}_xmin${xmin}_ymin${ymin}_${resolutionSuffix(res)}.png`;
}

/**
 * Millimetres per pixel for `mm_x`/`mm_y`: the double nearest the true value mpp/1000, where mpp
 * is the decimal the user wrote (the shortest decimal of the double). Shifting the decimal
 * exponent and parsing does that in one correctly rounded step; `mpp / 1000` rounds the
 * already-rounded mpp again and is an ulp off for about a quarter of 3-decimal values
 * (0.12 / 1000 = 0.00011999999999999999), which would then go on the wire.
 */
export function mmPerPixel(mpp: number): number {
  requirePositive('mpp', mpp);
  const [mantissa, exp = '0'] = String(mpp).split('e');
  return Number(`${mantissa}e${Number(exp) - 3}`);
}

/**
 * The shortest decimal that parses back to exactly `mm` (what Python's float() on the server
 * reads), written out without exponent notation because `String(1e-7)` is "1e-7": 0.00025 ->
 * "0.00025". Not `%.4f`: four decimals of millimetres cannot hold 0.00025 at all, and the double
 * just above the tie rounds up to "0.0003" (the original's defect). A fixed `%.8f` (HistomicsTK)
 * is fine for 0.25 but silently changes values with more digits.
 */
export function formatMm(mm: number): string {
  requirePositive('mm per pixel', mm);
  const s = String(mm); // ECMAScript Number::toString is the shortest round-trip form
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const exp = Number(m[3]);
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`;
  // Only reachable from 1e21 upward, i.e. every digit is in front of the decimal point.
  return digits.padEnd(exp + 1, '0');
}

/** Every BCSS name variant of docs/dataset.md#file-names (Drive, script, MMSeg-truncated, BCSS-WSSS patches). */
const ROI_FILE =
  /^(?<roi>TCGA-(?<site>[0-9A-Z]{2})-(?<case>[0-9A-Z]{4})-DX1)_xmin(?<xmin>\d+)_ymin(?<ymin>\d+)_(?<res>MPP-\d+(?:\.\d{4})?|MAG-\d+(?:\.\d{2})?)(?:\+(?<patch>\d+)(?:\[(?<tags>[01]{4})\])?)?\.png$/;

export interface RoiFileNameParts {
  /** e.g. TCGA-A1-A0SK-DX1 */
  roi: string;
  /** Tissue source site, e.g. A1. */
  site: string;
  /** Participant code, e.g. A0SK. */
  caseId: string;
  xmin: number;
  ymin: number;
  /** The suffix as written, e.g. MPP-0.2500, MPP-0 (MMSeg-truncated), MAG-40.00, MAG-0. */
  resolution: string;
  /** BCSS-WSSS patch index after `+`. */
  patch?: number;
  /** BCSS-WSSS train patches: four binary class-presence digits in brackets. */
  tags?: string;
}

function safeInt(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Parses a base file name (no directories); null when it is not a BCSS ROI name.
 *
 * @example
 * ```ts
 * import { parseRoiFileName } from 'bcss';
 * parseRoiFileName('TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MAG-20.00.png')?.roi; // 'TCGA-A1-A0SK-DX1'
 * ```
 */
export function parseRoiFileName(name: string): RoiFileNameParts | null {
  const g = ROI_FILE.exec(name)?.groups;
  if (g === undefined) return null;
  const xmin = safeInt(g.xmin);
  const ymin = safeInt(g.ymin);
  if (xmin === null || ymin === null || g.roi === undefined || g.site === undefined || g.case === undefined) return null;
  if (g.res === undefined) return null;
  const parts: RoiFileNameParts = { roi: g.roi, site: g.site, caseId: g.case, xmin, ymin, resolution: g.res };
  if (g.patch !== undefined) {
    const patch = safeInt(g.patch);
    if (patch === null) return null;
    parts.patch = patch;
  }
  if (g.tags !== undefined) parts.tags = g.tags;
  return parts;
}

const HTK_MASK =
  /^(?<slide>TCGA-(?<site>[0-9A-Z]{2})-[0-9A-Z]{4}[^_]*)_left-(?<left>\d+)_top-(?<top>\d+)(?:_mag-BASE|_bottom-(?<bottom>\d+)_right-(?<right>\d+))\.png$/;

export interface HistomicsTkMaskNameParts {
  /** The full slide name, e.g. TCGA-A2-A0YE-01Z-00-DX1.8A2E3094-5755-42BC-969D-7F0A2ECA0F39. */
  slide: string;
  site: string;
  left: number;
  top: number;
  /** Present in the current `_bottom-…_right-…` form, absent in the 2019 `_mag-BASE` form. */
  bottom?: number;
  right?: number;
}

/** HistomicsTK mask names: `<slide>_left-L_top-T_mag-BASE.png` or `…_bottom-B_right-R.png`. */
export function parseHistomicsTkMaskName(name: string): HistomicsTkMaskNameParts | null {
  const g = HTK_MASK.exec(name)?.groups;
  if (g === undefined || g.slide === undefined || g.site === undefined) return null;
  const left = safeInt(g.left);
  const top = safeInt(g.top);
  if (left === null || top === null) return null;
  const parts: HistomicsTkMaskNameParts = { slide: g.slide, site: g.site, left, top };
  if (g.bottom !== undefined || g.right !== undefined) {
    const bottom = safeInt(g.bottom);
    const right = safeInt(g.right);
    if (bottom === null || right === null) return null;
    parts.bottom = bottom;
    parts.right = right;
  }
  return parts;
}
