/**
 * TIFF/SVS structure: the image file directories (IFDs) of a file and their roles
 * (docs/imaging.md#ifd-roles). geotiff.js reads the tags; pixels are sharp's job (open-slide.ts).
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { fromFile } from 'geotiff';
import type { GeoTIFFImage } from 'geotiff';
import { UsageError } from '../errors.js';

export type IfdRole = 'level' | 'thumbnail' | 'label' | 'macro' | 'other';

/** The tags of one IFD that matter for reading it. */
export interface IfdInfo {
  /** Position in the file's IFD chain; sharp's `page` option takes this number. */
  index: number;
  width: number;
  height: number;
  tiled: boolean;
  /** Tile size, or null for stripped IFDs. */
  tileWidth: number | null;
  tileHeight: number | null;
  compression: number;
  photometric: number | null;
  newSubfileType: number;
  samplesPerPixel: number;
  bitsPerSample: number[];
  description: string | null;
  /** XResolution / YResolution in pixels per ResolutionUnit, or null when absent. */
  xResolution: number | null;
  yResolution: number | null;
  /** 1 = none, 2 = inch, 3 = centimetre (TIFF 6.0 default 2 when a resolution is given). */
  resolutionUnit: number | null;
}

export interface ClassifiedIfd extends IfdInfo {
  role: IfdRole;
}

export interface TiffStructure {
  ifds: ClassifiedIfd[];
  /** Tiled IFDs, finest first (sorted by width, descending). */
  levels: ClassifiedIfd[];
  thumbnail: ClassifiedIfd | null;
  label: ClassifiedIfd | null;
  macro: ClassifiedIfd | null;
}

/** Aperio's JPEG 2000 codes: 33003 = YCbCr, 33005 = RGB. */
const JPEG2000: ReadonlyMap<number, string> = new Map([
  [33003, 'Aperio JPEG 2000 YCbCr'],
  [33005, 'Aperio JPEG 2000 RGB'],
]);

function descriptionWord(description: string | null): string | null {
  if (description === null) return null;
  // Aperio's label/macro descriptions are the library line, then `label 387x463` / `macro 1280x431`.
  for (const line of description.split(/\r?\n|\r/u)) {
    const word = line.trim().split(/\s+/u)[0]?.toLowerCase();
    if (word === 'label' || word === 'macro') return word;
  }
  return null;
}

/**
 * Assign roles from all signals together (docs/imaging.md#ifd-roles): tiled → pyramid level;
 * stripped + (NewSubfileType 1 or a `label` line) → label; stripped + (NewSubfileType 9 or `macro`)
 * → macro; any other stripped IFD 1 → thumbnail. NewSubfileType alone is not enough: Aperio
 * thumbnails carry 0 like level 0, and pyramids written by libvips mark reduced levels with 1
 * (which is why "tiled" is checked first).
 */
export function classifyIfds(ifds: readonly IfdInfo[]): ClassifiedIfd[] {
  return ifds.map((ifd) => {
    let role: IfdRole;
    const word = descriptionWord(ifd.description);
    if (ifd.tiled) role = 'level';
    else if (ifd.newSubfileType === 1 || word === 'label') role = 'label';
    else if (ifd.newSubfileType === 9 || word === 'macro') role = 'macro';
    else if (ifd.index === 1) role = 'thumbnail';
    else role = 'other';
    return { ...ifd, role };
  });
}

/** Sniff the first bytes so that an HTML error page or a truncated download gets a clear message. */
async function assertTiffMagic(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const magic = head.subarray(0, bytesRead);
    const ok =
      bytesRead === 4 &&
      ((magic[0] === 0x49 && magic[1] === 0x49 && magic[3] === 0x00 && (magic[2] === 42 || magic[2] === 43)) ||
        (magic[0] === 0x4d && magic[1] === 0x4d && magic[2] === 0x00 && (magic[3] === 42 || magic[3] === 43)));
    if (!ok) {
      const shown = JSON.stringify(magic.toString('latin1'));
      throw new UsageError(
        `Not a TIFF/SVS file: ${basename(path)} starts with ${shown} (${bytesRead} bytes read), ` +
          `expected "II*\\0" or "MM\\0*" (or BigTIFF "II+\\0" / "MM\\0+")`,
        { hint: 'The file may be an HTML error page or an incomplete download; fetch it again.' },
      );
    }
  } finally {
    await handle.close();
  }
}

function numberOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** RATIONAL tags arrive from geotiff as [numerator, denominator]. */
function rational(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : null;
  if (value !== null && typeof value === 'object' && 'length' in value) {
    const arr = Array.from(value as ArrayLike<number>);
    const [num, den] = arr;
    if (num === undefined) return null;
    const v = den === undefined ? num : num / den;
    return Number.isFinite(v) && v > 0 ? v : null;
  }
  return null;
}

async function readIfd(image: GeoTIFFImage, index: number): Promise<IfdInfo> {
  const fd = image.fileDirectory;
  const description = await fd.loadValue('ImageDescription');
  const bits = fd.getValue('BitsPerSample');
  const tiled = image.isTiled;
  return {
    index,
    width: image.getWidth(),
    height: image.getHeight(),
    tiled,
    tileWidth: tiled ? image.getTileWidth() : null,
    tileHeight: tiled ? image.getTileHeight() : null,
    compression: numberOr(fd.getValue('Compression'), 1),
    photometric: numberOr(fd.getValue('PhotometricInterpretation'), null),
    newSubfileType: numberOr(fd.getValue('NewSubfileType'), 0),
    samplesPerPixel: numberOr(fd.getValue('SamplesPerPixel'), 1),
    bitsPerSample: bits === undefined ? [1] : Array.from(bits),
    description: typeof description === 'string' ? description.replace(/\0+$/u, '') : null,
    xResolution: rational(await fd.loadValue('XResolution')),
    yResolution: rational(await fd.loadValue('YResolution')),
    resolutionUnit: fd.hasTag('ResolutionUnit') ? numberOr(await fd.loadValue('ResolutionUnit'), null) : null,
  };
}

/**
 * List and classify the IFDs of a TIFF/SVS file.
 * Throws a UsageError for non-TIFF content, for files without a tiled image, and for JPEG 2000
 * pyramids (sharp's prebuilt libvips has no OpenJPEG, docs/imaging.md#what-cannot-be-read).
 */
export async function readTiffStructure(path: string): Promise<TiffStructure> {
  await assertTiffMagic(path);
  let tiff;
  try {
    tiff = await fromFile(path);
  } catch (err) {
    throw new UsageError(`Cannot parse TIFF structure of ${basename(path)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const infos: IfdInfo[] = [];
  try {
    const count = await tiff.getImageCount();
    for (let i = 0; i < count; i++) infos.push(await readIfd(await tiff.getImage(i), i));
  } catch (err) {
    throw new UsageError(`Cannot read the image directories of ${basename(path)}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await tiff.close();
  }

  const ifds = classifyIfds(infos);
  const levels = ifds.filter((ifd) => ifd.role === 'level').sort((a, b) => b.width - a.width || a.index - b.index);
  for (const level of levels) {
    const codec = JPEG2000.get(level.compression);
    if (codec !== undefined) {
      throw new UsageError(
        `JPEG 2000 SVS is not supported: ${basename(path)} IFD ${level.index} uses Compression ` +
          `${level.compression} (${codec}), and neither sharp's libvips nor geotiff.js can decode it`,
        { hint: 'Use the JPEG-compressed copy of the slide, or convert it to a JPEG tiled TIFF first.' },
      );
    }
  }
  if (levels.length === 0) {
    throw new UsageError(
      `Not a tiled whole-slide image: ${basename(path)} has ${ifds.length} image director` +
        `${ifds.length === 1 ? 'y' : 'ies'} and none is tiled`,
    );
  }
  return {
    ifds,
    levels,
    thumbnail: ifds.find((ifd) => ifd.role === 'thumbnail') ?? null,
    label: ifds.find((ifd) => ifd.role === 'label') ?? null,
    macro: ifds.find((ifd) => ifd.role === 'macro') ?? null,
  };
}
