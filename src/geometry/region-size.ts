/**
 * The output size of large_image's `GET /item/{id}/tiles/region` (docs/imaging.md#region-size), ported
 * step by step in IEEE doubles and in large_image's operation order, so that `bcss` can predict
 * the exact pixel size of every RGB it asks for (and reject anything else), and `bcss serve` can
 * answer with the size a real DSA would.
 *
 * Why not just `floor(rw * mmNative / mmWanted)`: large_image rounds log2 ratios to 4 decimals,
 * so 0.252/0.25 = 1.008 becomes 2^0.0115 = 1.0080038 and the naive prediction is 1 px short for
 * some regions (docs/imaging.md#region-size-examples example 16).
 *
 * Known residual differences from CPython, all at the last-ulp level and only relevant when a
 * value sits within one ulp of an integer or of a 4-decimal tie: V8's `Math.log`/`**` vs libm's
 * `log`/`pow`, and Python ≥ 3.12's compensated `sum()` when three ratios (magnification, mm_x
 * and mm_y together) are averaged. Two ratios (mm_x with mm_y) sum identically.
 */
import { UsageError } from '../errors.js';
import { formatFixedHalfEven, mmPerPixel } from './naming.js';
import type { PixelRect, RegionPlan, RegionRequest, Resolution, SlideGeometry } from './types.js';

/**
 * large_image's pyramid level count: level `levels - 1` is full resolution and each lower level
 * halves. The OpenSlide source uses this formula verbatim and refuses slides where it gives < 1
 * (smaller than half a tile); large_image's TIFF source clamps to 1. We clamp, so a tiny slide
 * still has its one full-resolution level.
 */
export function levelCount(sizeX: number, sizeY: number, tileWidth: number, tileHeight: number): number {
  for (const [name, v] of [
    ['sizeX', sizeX],
    ['sizeY', sizeY],
    ['tileWidth', tileWidth],
    ['tileHeight', tileHeight],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`levelCount: expected a positive ${name} but received ${v}`);
  }
  // Math.log(2), not Math.LN2 or Math.log2: the same operations as large_image's Python.
  const n = Math.ceil(Math.max(Math.log(sizeX / tileWidth), Math.log(sizeY / tileHeight)) / Math.log(2)) + 1;
  return Math.max(1, n);
}

/** Python's `round(x)`: nearest integer, exact halves to the even neighbour. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`roundHalfEven: expected a finite number but received ${x}`);
  const f = Math.floor(x);
  // x - floor(x) is exact in binary floating point, so the tie test below is exact too.
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r + 0; // normalise -0
}

/**
 * Python's `round(x, 4)`: the double nearest to x rounded (exactly, ties to even) to 4 decimals.
 * `Number(x.toFixed(4))` agrees except on exact binary ties (odd multiples of 1/32), where
 * toFixed rounds away from zero: round(0.03125, 4) is 0.0312 in Python, 0.0313 via toFixed.
 */
export function round4(x: number): number {
  if (!Number.isFinite(x)) return x; // Python returns inf/nan unchanged
  return Number(formatFixedHalfEven(x, 4));
}

const present = (v: number | null | undefined): v is number => v !== undefined && v !== null;

function requireFinite(name: string, v: number | null | undefined): void {
  if (present(v) && !Number.isFinite(v)) throw new RangeError(`planRegion: expected a finite ${name} but received ${v}`);
}

function validate(slide: SlideGeometry, req: RegionRequest): void {
  const { sizeX, sizeY, levels } = slide;
  if (!Number.isSafeInteger(sizeX) || sizeX < 1 || !Number.isSafeInteger(sizeY) || sizeY < 1) {
    throw new RangeError(`planRegion: expected a positive integer slide size but received ${sizeX} x ${sizeY}`);
  }
  if (!Number.isSafeInteger(levels) || levels < 1) {
    throw new RangeError(`planRegion: expected a positive integer level count but received ${levels}`);
  }
  for (const key of ['magnification', 'mmX', 'mmY'] as const) {
    const v = slide[key];
    if (present(v) && (!Number.isFinite(v) || v < 0)) {
      throw new RangeError(`planRegion: expected a non-negative slide ${key} or null but received ${v}`);
    }
  }
  for (const key of ['left', 'top', 'right', 'bottom', 'regionWidth', 'regionHeight'] as const) requireFinite(key, req[key]);
  for (const key of ['width', 'height'] as const) {
    const v = req[key];
    // large_image: "Invalid output width or height.  Minimum value is 0."
    if (present(v) && (!Number.isSafeInteger(v) || v < 0)) {
      throw new RangeError(`planRegion: expected a non-negative integer ${key} but received ${v}`);
    }
  }
  for (const key of ['magnification', 'mmX', 'mmY'] as const) {
    const v = req[key];
    // A negative value is a math domain error (HTTP 400) in large_image; 0 counts as "not given".
    if (present(v) && (!Number.isFinite(v) || v < 0)) {
      throw new RangeError(`planRegion: expected a non-negative ${key} but received ${v}`);
    }
  }
}

/** One axis of `_getRegionBounds` for base_pixels: negative = offset from the far edge. */
function axisBounds(
  start: number | undefined,
  end: number | undefined,
  length: number | undefined,
  size: number,
): [number, number] {
  let a = start;
  let b = end;
  if (present(a) && a < 0) a += size;
  if (present(b) && b < 0) b += size;
  const lo = present(a) ? a : present(b) && present(length) ? b - length : 0;
  const hi = present(b) ? b : present(length) ? lo + length : size;
  const l = Math.min(size, Math.max(0, roundHalfEven(lo)));
  const r = Math.min(size, Math.max(l, roundHalfEven(hi)));
  return [l, r];
}

/**
 * `_calculateWidthHeight`: the largest size inside maxW x maxH with the region's aspect ratio.
 * Python truthiness is kept on purpose: a 0 counts as missing for the 16x rule.
 */
function fitWidthHeight(maxW: number | null, maxH: number | null, rw: number, rh: number): [number, number] {
  if (rw === 0 || rh === 0) return [0, 0];
  let w = maxW;
  let h = maxH;
  if (h && !w) w = h * 16;
  if (w && !h) h = w * 16;
  if (!present(w) || !present(h)) {
    // large_image crashes here (None * float -> HTTP 500); refuse clearly instead.
    throw new RangeError('planRegion: width=0 needs a height (and height=0 a width)');
  }
  const sw = Math.max(1, Math.trunc((rw * h) / rh));
  const sh = Math.max(1, Math.trunc((rh * w) / rw));
  if (sw === w || (w * rh > h * rw && sh !== h)) return [sw, Math.trunc(h)];
  return [Math.trunc(w), sh];
}

/** OpenSlide's `getPreferredLevel`: the nearest stored level at or above the wanted resolution. */
function preferredLevel(level: number, top: number, stored: (level: number) => boolean): number {
  let k = Math.max(0, Math.min(level, top));
  while (k < top && !stored(k)) k += 1;
  return k;
}

const empty = (reason: string): RegionPlan => ({ empty: true, reason });

/**
 * What `tiles/region` renders for `req` on `slide` (units = base_pixels): output size, the
 * requested (fractional) level, the stored level read and the region in that level's pixels.
 * An empty plan is the server's 200 with a zero-length body. `level` is `levels - 1` when the
 * size came from width/height or when no scale could be applied (unknown slide metadata).
 */
export function planRegion(slide: SlideGeometry, req: RegionRequest): RegionPlan {
  validate(slide, req);
  const top = slide.levels - 1;
  const stored = slide.stored ?? ((k: number) => k === top);
  const exact = req.exact === true;
  const bySize = present(req.width) || present(req.height);

  // getLevelForMagnification(rounding=None), evaluated before the bounds as large_image does.
  let magLevel: number | null = null;
  if (!bySize) {
    const ratios: number[] = [];
    if (req.magnification && slide.magnification) ratios.push(req.magnification / slide.magnification);
    if (req.mmX && slide.mmX) ratios.push(slide.mmX / req.mmX);
    if (req.mmY && slide.mmY) ratios.push(slide.mmY / req.mmY);
    const logs = ratios.map((r) => round4(Math.log(r) / Math.log(2)));
    if (logs.length === 0) {
      magLevel = top;
    } else {
      if (exact && logs.some((r) => !Number.isInteger(r) || r !== logs[0])) {
        return empty(`exact: requested scale is not a whole power of two (log2 ratios ${logs.join(', ')})`);
      }
      let sum = 0;
      for (const r of logs) sum += r;
      magLevel = top + round4(sum / logs.length);
      if (exact && (magLevel > top || magLevel < 0)) {
        return empty(`exact: requested level ${magLevel} is outside the pyramid 0..${top}`);
      }
    }
  }

  const [left, right] = axisBounds(req.left, req.right, req.regionWidth, slide.sizeX);
  const [topPx, bottom] = axisBounds(req.top, req.bottom, req.regionHeight, slide.sizeY);
  const bounds: PixelRect = { left, top: topPx, right, bottom };
  const rw = right - left;
  const rh = bottom - topPx;

  let maxW: number | null;
  let maxH: number | null;
  if (magLevel !== null) {
    // getMagnificationForLevel: scale is 1 at full resolution, else 2^(top - level) (no clamp).
    const scale = magLevel === top ? 1 : 2 ** (top - magLevel);
    [maxW, maxH] = scale === 1 ? [rw, rh] : [rw / scale, rh / scale];
  } else {
    maxW = req.width ?? null;
    maxH = req.height ?? null;
  }
  const [outW, outH] = fitWidthHeight(maxW, maxH, rw, rh);
  if (outW === 0 || outH === 0) {
    return empty(`nothing to render: region ${rw} x ${rh} base px gives ${outW} x ${outH} output px`);
  }

  let readLevel = top;
  let readBounds: PixelRect = { ...bounds };
  if (outW !== rw || outH !== rh) {
    const step = Math.ceil(round4(Math.log(Math.min(outW / rw, outH / rh)) / Math.log(2)));
    const level = preferredLevel(Math.max(0, top + step), top, stored);
    if (level < top) {
      const f = 2 ** (top - level);
      const l = Math.trunc(left / f);
      const t = Math.trunc(topPx / f);
      readBounds = {
        left: l,
        top: t,
        right: Math.max(Math.trunc(right / f), l + 1),
        bottom: Math.max(Math.trunc(bottom / f), t + 1),
      };
      readLevel = level;
    }
  }
  if (exact && magLevel !== null && magLevel !== readLevel) {
    return empty(`exact: level ${magLevel} is not stored (would read level ${readLevel})`);
  }
  return { empty: false, width: outW, height: outH, bounds, level: magLevel ?? top, readLevel, readBounds };
}

/**
 * The size the DSA will send for an ROI at a resolution, exactly as `bcss` requests it: mm_x =
 * mm_y = mmPerPixel(mpp) (sent as formatMm of it, which parses back to the same double), or
 * magnification, or base pixels.
 */
export function predictOutputSize(
  slide: SlideGeometry,
  bounds: PixelRect,
  res: Resolution,
): { width: number; height: number } {
  const req: RegionRequest = { left: bounds.left, top: bounds.top, right: bounds.right, bottom: bounds.bottom };
  // 0 would silently mean "not given" to large_image (base size), so refuse it here.
  const value = res.kind === 'mpp' ? res.mpp : res.kind === 'mag' ? res.magnification : 1;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`predictOutputSize: expected a positive ${res.kind} but received ${value}`);
  }
  if (res.kind === 'mpp') {
    req.mmX = mmPerPixel(res.mpp);
    req.mmY = req.mmX;
  } else if (res.kind === 'mag') {
    req.magnification = res.magnification;
  }
  const plan = planRegion(slide, req);
  if (plan.empty) {
    throw new UsageError(
      `region (${bounds.left}, ${bounds.top})-(${bounds.right}, ${bounds.bottom}) renders nothing: ${plan.reason}`,
    );
  }
  return { width: plan.width, height: plan.height };
}
