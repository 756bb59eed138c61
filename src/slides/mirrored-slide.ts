/**
 * Virtual slides for the demo server: any size, built from one real image by mirrored tiling, so a
 * gigapixel slide never exists in memory. Pixel (x, y) of the virtual slide is base pixel
 * (m(x, W), m(y, H)) with m(v, n) = v mod 2n < n ? v mod 2n : 2n − 1 − (v mod 2n): the image,
 * then its mirror image, then the image again… which has no seams (neighbours across a period
 * boundary are the same base pixel).
 */
import sharp from 'sharp';
import { openSlide } from './open-slide.js';
import type { RawPixels, SlideSource, StoredLevel } from './types.js';
import { validateReadRect } from './validate-rect.js';
import type { Rect } from './validate-rect.js';

/** Decode level 0 of a slide file once (the demo keeps it in memory). */
export async function loadBasePixels(path: string): Promise<RawPixels> {
  const slide = await openSlide(path);
  try {
    return await slide.readRaw(0, { left: 0, top: 0, width: slide.width, height: slide.height });
  } finally {
    await slide.close();
  }
}

export interface MirroredSlideOptions {
  width: number;
  height: number;
  /** Millimetres per base pixel (both axes), or null. */
  mm: number | null;
  magnification: number | null;
  /** Tile size reported to large_image's level math; default 240 like Aperio. */
  tileSize?: number;
  /**
   * Downsamples of the stored levels, starting with 1. Default [1, 4, 16, 64], keeping only
   * levels at least one tile wide and high (Aperio-like storage).
   */
  storedDownsamples?: number[];
}

/** The mirrored-tiling index m(v, n) for v ≥ 0. */
export function mirrorIndex(v: number, n: number): number {
  const p = v % (2 * n);
  return p < n ? p : 2 * n - 1 - p;
}

/** One stored level's source image, plus its left-right mirror so every run is a forward copy. */
interface LevelSource {
  pixels: RawPixels;
  flopped: Buffer;
}

function flop(px: RawPixels): Buffer {
  const out = Buffer.allocUnsafe(px.data.length);
  const rowLen = px.width * 3;
  for (let y = 0; y < px.height; y++) {
    const row = y * rowLen;
    for (let x = 0; x < px.width; x++) {
      const s = row + x * 3;
      const d = row + (px.width - 1 - x) * 3;
      out[d] = px.data[s] as number;
      out[d + 1] = px.data[s + 1] as number;
      out[d + 2] = px.data[s + 2] as number;
    }
  }
  return out;
}

/**
 * Fill one output row: columns [left, left + width) of the mirrored tiling of source row `sy`.
 * In period 2W, positions p < W are base columns p.. ascending (a run in the image), and positions
 * p ≥ W are base columns 2W − 1 − p descending, i.e. flopped columns p − W ascending: so the row
 * is at most ⌈width / W⌉ + 1 Buffer.copy calls, never a per-pixel loop.
 */
function fillRow(src: LevelSource, sy: number, left: number, width: number, out: Buffer, outOffset: number): void {
  const w = src.pixels.width;
  const rowStart = sy * w * 3;
  let x = left;
  let o = outOffset;
  const end = left + width;
  while (x < end) {
    const p = x % (2 * w);
    const forward = p < w;
    const col = forward ? p : p - w;
    const run = Math.min(w - col, end - x);
    const from = forward ? src.pixels.data : src.flopped;
    from.copy(out, o, rowStart + col * 3, rowStart + (col + run) * 3);
    o += run * 3;
    x += run;
  }
}

function positiveInteger(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`createMirroredSlide: ${name} must be a positive integer, got ${JSON.stringify(v) ?? typeof v}`);
  }
  return v;
}

function positiveOrNull(name: string, v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`createMirroredSlide: ${name} must be a positive number or null, got ${JSON.stringify(v) ?? typeof v}`);
  }
  return v;
}

function checkBase(base: RawPixels): void {
  positiveInteger('base.width', base.width);
  positiveInteger('base.height', base.height);
  if (base.channels !== 3 || base.data.length !== base.width * base.height * 3) {
    throw new RangeError(
      `createMirroredSlide: base must be ${base.width}x${base.height} RGB (${base.width * base.height * 3} bytes), ` +
        `got ${base.data.length} bytes with ${String(base.channels)} channels`,
    );
  }
}

/**
 * Size of the image whose mirrored tiling is stored level `downsample` of every virtual slide
 * over `base`: the base shrunk by that factor. Level pixels repeat with period twice this size.
 */
export function mirroredLevelSourceSize(base: Pick<RawPixels, 'width' | 'height'>, downsample: number): { width: number; height: number } {
  if (downsample === 1) return { width: base.width, height: base.height };
  return { width: Math.max(1, Math.round(base.width / downsample)), height: Math.max(1, Math.round(base.height / downsample)) };
}

/**
 * Shrunk and flopped copies of a base image, shared by every virtual slide built from it: the demo
 * opens 151 slides over one 20 MB base, and re-mirroring it per slide cost ~50 ms and 20 MB each.
 * Keyed weakly by the base, so the copies go when the base does.
 */
const levelCache = new WeakMap<RawPixels, Map<number, Promise<LevelSource>>>();

function sharedLevelSource(base: RawPixels, downsample: number): Promise<LevelSource> {
  let perBase = levelCache.get(base);
  if (perBase === undefined) {
    perBase = new Map();
    levelCache.set(base, perBase);
  }
  let p = perBase.get(downsample);
  if (p === undefined) {
    if (downsample === 1) {
      p = Promise.resolve({ pixels: base, flopped: flop(base) });
    } else {
      const { width: w, height: h } = mirroredLevelSourceSize(base, downsample);
      p = sharp(base.data, { raw: { width: base.width, height: base.height, channels: 3 } })
        .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer()
        .then((data) => {
          const pixels: RawPixels = { data, width: w, height: h, channels: 3 };
          return { pixels, flopped: flop(pixels) };
        });
    }
    const cache = perBase;
    cache.set(downsample, p);
    p.catch(() => cache.delete(downsample)); // let a later call retry
  }
  return p;
}

/**
 * A SlideSource whose base level is the mirrored tiling of `base`. Lower stored levels are the
 * mirrored tiling of `base` shrunk once by the level's downsample (sharp, Lanczos 3). That is an
 * approximation of the true downsample of the virtual base (it differs near period boundaries and
 * where W / downsample is not an integer), which is fine for a demo: sizes and level choice are
 * exact, pixels at coarse levels are only plausible.
 *
 * The shrunk copies are computed lazily on first use of a level, once per base image.
 */
export function createMirroredSlide(base: RawPixels, options: MirroredSlideOptions): SlideSource {
  checkBase(base);
  const width = positiveInteger('width', options.width);
  const height = positiveInteger('height', options.height);
  const tileSize = positiveInteger('tileSize', options.tileSize ?? 240);
  const mm = positiveOrNull('mm', options.mm);
  const magnification = positiveOrNull('magnification', options.magnification);

  let downsamples: number[];
  if (options.storedDownsamples === undefined) {
    downsamples = [1, 4, 16, 64].filter(
      (d) => d === 1 || (Math.floor(width / d) >= tileSize && Math.floor(height / d) >= tileSize),
    );
  } else {
    downsamples = [...options.storedDownsamples];
    downsamples.forEach((d, i) => {
      if (!Number.isFinite(d) || d < 1 || (i > 0 && d <= (downsamples[i - 1] as number))) {
        throw new RangeError(
          `createMirroredSlide: storedDownsamples must be increasing numbers ≥ 1, got [${downsamples.join(', ')}]`,
        );
      }
    });
    if (downsamples[0] !== 1) {
      throw new RangeError(`createMirroredSlide: storedDownsamples must start with 1, got [${downsamples.join(', ')}]`);
    }
  }

  // Level sizes floored like Aperio's writer; downsample is base width / level width (contract).
  const levels: StoredLevel[] = downsamples.map((d) => {
    const w = Math.max(1, Math.floor(width / d));
    const h = Math.max(1, Math.floor(height / d));
    return { width: w, height: h, downsample: width / w };
  });

  const levelSource = (index: number): Promise<LevelSource> => sharedLevelSource(base, downsamples[index] as number);

  let closed = false;
  return {
    width,
    height,
    tileWidth: tileSize,
    tileHeight: tileSize,
    mmX: mm,
    mmY: mm,
    magnification,
    levels,
    async readRaw(levelIndex: number, rect: Rect): Promise<RawPixels> {
      if (closed) throw new Error('mirrored slide: readRaw called after close()');
      validateReadRect(levels, levelIndex, rect, 'mirrored slide readRaw');
      const src = await levelSource(levelIndex);
      const rowLen = rect.width * 3;
      const out = Buffer.allocUnsafe(rowLen * rect.height);
      // Rows repeat with period 2H: build each distinct source row once and copy it after that.
      const built = new Map<number, number>();
      for (let y = 0; y < rect.height; y++) {
        const sy = mirrorIndex(rect.top + y, src.pixels.height);
        const done = built.get(sy);
        if (done !== undefined) {
          out.copy(out, y * rowLen, done * rowLen, (done + 1) * rowLen);
        } else {
          fillRow(src, sy, rect.left, rect.width, out, y * rowLen);
          built.set(sy, y);
        }
      }
      return { data: out, width: rect.width, height: rect.height, channels: 3 };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
