import type { GdcFile, ServedFile } from '../dataset-types.js';
import type { DemoSlideFile } from './demo-slide-file.js';
import { girderDate } from './deterministic-ids.js';

export interface DemoSlideViews {
  /** The Girder file of the slide's item. */
  file: ServedFile;
  /** The slide's GDC record. */
  gdc: GdcFile;
  /** The TIFF for tile passthrough, when the slide has a real file. */
  storedTiff?: () => Promise<string>;
}

/**
 * One slide file as Girder and GDC show it: the same bytes, size and md5 behind both (sizes read
 * through getters, so a lazily made file is measured, never guessed), and `ready` when the bytes
 * are made on first need.
 */
export function demoSlideViews(input: {
  bytes: Pick<DemoSlideFile, 'size' | 'md5' | 'open'>;
  /** The real file, or null for stand-in bytes. */
  tiff: DemoSlideFile | null;
  fileName: string;
  itemId: string;
  fileId: string;
  gdcId: string;
}): DemoSlideViews {
  const { bytes, tiff, fileName, itemId, fileId } = input;
  const lazy = tiff === null ? {} : { ready: () => tiff.ready() };
  const file: ServedFile = {
    id: fileId,
    itemId,
    name: fileName,
    get size() {
      return bytes.size;
    },
    mimeType: 'application/octet-stream',
    created: girderDate(fileId, 125),
    updated: girderDate(fileId, 125),
    ...lazy,
    open: (range) => bytes.open(range),
  };
  const gdc: GdcFile = {
    fileId: input.gdcId,
    fileName,
    get size() {
      return bytes.size;
    },
    get md5() {
      return bytes.md5;
    },
    dataFormat: 'SVS',
    access: 'open',
    ...lazy,
    open: (range) => bytes.open(range),
  };
  if (tiff === null) return { file, gdc };
  return { file, gdc, storedTiff: async () => (await tiff.ready(), tiff.path) };
}
