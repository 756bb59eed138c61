import type { Readable } from 'node:stream';
import type { AnnotationElement, SlideGeometry } from '../geometry/types.js';
import type { SlideSource } from '../slides/types.js';

/** Byte range, end exclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ServedFile {
  id: string;
  itemId: string;
  name: string;
  size: number;
  mimeType: string | null;
  created: string;
  updated: string;
  sha512?: string;
  /**
   * Present when the bytes are made on first need (the demo's slide files): `size` may only be
   * read after this has resolved. Servers await it before describing or sending the file.
   */
  ready?(): Promise<void>;
  open(range?: ByteRange): Readable;
}

export interface AnnotationDocument {
  _id: string;
  itemId: string;
  creatorId: string;
  created: string;
  updated: string;
  updatedId: string;
  public: boolean;
  _version: number;
  annotation: { name: string; description: string; elements: AnnotationElement[]; attributes?: Record<string, unknown> };
}

export interface ServedSlideImage {
  tileWidth: number;
  tileHeight: number;
  /** levels, sizes, mm, magnification and stored levels as large_image would report them. */
  geometry: SlideGeometry;
  open(): Promise<SlideSource>;
  /**
   * The path of a JPEG-tiled TIFF of exactly these pixels (made on first call), when there is
   * one: its stored tiles are passed through by the large_image tile routes.
   */
  storedTiff?(): Promise<string>;
}

export interface ServedItem {
  id: string;
  name: string;
  folderId: string;
  creatorId: string;
  description: string;
  created: string;
  updated: string;
  files: ServedFile[];
  /** null for items without a large image. */
  largeImage: { fileId: string; sourceName: string } | null;
  slide: ServedSlideImage | null;
  annotations(): Promise<AnnotationDocument[]>;
}

export interface ServedFolder {
  id: string;
  name: string;
  description: string;
  parentId: string;
  parentCollection: 'collection' | 'user' | 'folder';
  creatorId: string;
  created: string;
  updated: string;
  public: boolean;
}

export interface ServedCollection {
  id: string;
  name: string;
}

export interface FigshareFileMeta {
  size: number;
  md5: string;
}

export interface FigshareFile {
  id: number;
  name: string;
  mimetype: string;
  /** Size and md5 of the bytes `read` returns; may render and cache the file. */
  meta(): Promise<FigshareFileMeta>;
  read(): Promise<Buffer>;
}

export interface GdcFile {
  fileId: string;
  fileName: string;
  size: number;
  md5: string;
  dataFormat: string;
  access: 'open' | 'controlled';
  /** As ServedFile.ready: `size` and `md5` may only be read after this has resolved. */
  ready?(): Promise<void>;
  open(range?: ByteRange): Readable;
}

/** Everything `bcss serve` exposes; built from the demo generator or a data folder. */
export interface ServedDataset {
  collection: ServedCollection;
  folders: ServedFolder[];
  items: ServedItem[];
  figshare: { articleId: number; title: string; doi: string; files: FigshareFile[] };
  gdc: { files: GdcFile[] };
  /** roiBounds.csv-format table matching this dataset (scaled demo), or null. */
  roiTablePath: string | null;
}
