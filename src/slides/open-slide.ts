/**
 * A SlideSource over a real SVS / tiled TIFF file: geotiff.js for structure and metadata,
 * sharp (libtiff) for pixels, because sharp decodes Aperio's abbreviated RGB JPEG tiles with the
 * right colours and about 10x faster than geotiff.js (docs/imaging.md#aperio-jpeg-tiles, #slide-reading).
 */
import { basename } from 'node:path';
import sharp from 'sharp';
import { UsageError } from '../errors.js';
import { parseAperioDescription } from './aperio-description.js';
import { readTiffStructure } from './tiff-structure.js';
import type { ClassifiedIfd } from './tiff-structure.js';
import type { RawPixels, SlideSource, StoredLevel } from './types.js';
import { validateReadRect } from './validate-rect.js';
import type { Rect } from './validate-rect.js';

/** Objects returned by openSlide also say which IFD each stored level comes from. */
export interface FileSlideSource extends SlideSource {
  readonly path: string;
  /** IFD index (sharp `page`) of each entry of `levels`. */
  readonly levelIfds: readonly number[];
  /** True when the base IFD's ImageDescription is an Aperio one. */
  readonly isAperio: boolean;
}

/**
 * Resolution tags coarser than this are treated as absent: they are document defaults
 * (72/96/300 dpi, or libvips' 1 px/mm), not a microscope calibration. 10 µm/px is coarser
 * than any whole-slide scan (a 1.25x objective gives about 8 µm/px).
 */
const MAX_PLAUSIBLE_MM_PER_PIXEL = 0.01;

function mmFromResolution(resolution: number | null, unit: number | null): number | null {
  if (resolution === null) return null;
  // TIFF 6.0: ResolutionUnit defaults to 2 (inch); 1 means "no absolute unit".
  const u = unit ?? 2;
  const mm = u === 2 ? 25.4 / resolution : u === 3 ? 10 / resolution : null;
  return mm !== null && Number.isFinite(mm) && mm > 0 && mm <= MAX_PLAUSIBLE_MM_PER_PIXEL ? mm : null;
}

/**
 * Keep only tiled IFDs with the base image's aspect ratio: a level of downsample d has size
 * floor-or-round(W/d) x (H/d), so its height may differ from H*w/W by about one pixel. Anything
 * further off is another image (e.g. a tiled label) and is not part of the pyramid.
 */
function pyramidLevels(tiled: readonly ClassifiedIfd[]): ClassifiedIfd[] {
  const base = tiled[0];
  if (base === undefined) return [];
  return tiled.filter((ifd) => {
    const expected = (base.height * ifd.width) / base.width;
    return Math.abs(ifd.height - expected) <= 1 + 0.01 * expected && ifd.width <= base.width;
  });
}

export async function openSlide(path: string): Promise<FileSlideSource> {
  const structure = await readTiffStructure(path);
  const ifds = pyramidLevels(structure.levels);
  const base = ifds[0] as ClassifiedIfd; // readTiffStructure guarantees one tiled IFD
  const name = basename(path);

  for (const ifd of ifds) {
    if (ifd.bitsPerSample.some((b) => b !== 8)) {
      throw new UsageError(
        `${name}: IFD ${ifd.index} has ${ifd.bitsPerSample.join('/')}-bit samples; only 8-bit slides are supported`,
      );
    }
  }

  const description = parseAperioDescription(base.description);
  let mmX: number | null;
  let mmY: number | null;
  let magnification: number | null = null;
  if (description.isAperio) {
    mmX = description.mpp === null ? null : description.mpp * 0.001;
    mmY = mmX;
    magnification = description.appMag;
  } else {
    mmX = mmFromResolution(base.xResolution, base.resolutionUnit);
    mmY = mmFromResolution(base.yResolution, base.resolutionUnit);
  }

  const levels: StoredLevel[] = ifds.map((ifd) => ({
    width: ifd.width,
    height: ifd.height,
    downsample: base.width / ifd.width,
  }));
  const levelIfds = ifds.map((ifd) => ifd.index);
  let closed = false;

  return {
    path,
    width: base.width,
    height: base.height,
    tileWidth: base.tileWidth ?? base.width,
    tileHeight: base.tileHeight ?? base.height,
    mmX,
    mmY,
    magnification,
    levels,
    levelIfds,
    isAperio: description.isAperio,
    async readRaw(levelIndex: number, rect: Rect): Promise<RawPixels> {
      if (closed) throw new Error(`${name}: readRaw called after close()`);
      validateReadRect(levels, levelIndex, rect, `${name} readRaw`);
      const page = levelIfds[levelIndex] as number;
      // limitInputPixels: false because large levels exceed sharp's 16383² default even for
      // metadata (docs/imaging.md#what-cannot-be-read). toColourspace('srgb') is a no-op for RGB and expands grey.
      const { data, info } = await sharp(path, { page, limitInputPixels: false })
        .extract({ left: rect.left, top: rect.top, width: rect.width, height: rect.height })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3 || info.width !== rect.width || info.height !== rect.height) {
        throw new Error(
          `${name}: sharp returned ${info.width}x${info.height}x${info.channels}, ` +
            `expected ${rect.width}x${rect.height}x3`,
        );
      }
      return { data, width: info.width, height: info.height, channels: 3 };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
