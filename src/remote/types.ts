/**
 * Shapes the remote clients hand to the pipeline: the few fields of each service's answers that
 * bcss relies on, already validated (docs/protocols.md#girder-item-listing, #tiles-metadata, #figshare-file-fields, #gdc-files-query).
 */

/** How to log in to Girder; structurally the same as the pipeline's `Credentials`. */
export type GirderCredentials =
  | { kind: 'anonymous' }
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'login'; username: string; password: string };

/** A Girder item document (docs/protocols.md#girder-item-listing), reduced to what bcss uses. */
export interface GirderItem {
  id: string;
  name: string;
  folderId: string;
  /** Sum of the item's file sizes in bytes, when the server reports it. */
  size: number | null;
  /** True when the item carries a large image (a slide). */
  largeImage: boolean;
}

/** `GET /item/{id}/tiles` (docs/protocols.md#tiles-metadata): everything the region-size algorithm needs, plus tile sizes. */
export interface TilesInfo {
  sizeX: number;
  sizeY: number;
  levels: number;
  magnification: number | null;
  mmX: number | null;
  mmY: number | null;
  tileWidth: number;
  tileHeight: number;
}

/** A figshare `PublicFile` (docs/protocols.md#figshare-file-fields). */
export interface FigshareFileInfo {
  id: number;
  name: string;
  size: number;
  downloadUrl: string;
  /** 32 lower-case hex computed by figshare: the checksum to verify against. */
  computedMd5: string;
  suppliedMd5: string | null;
  isLinkOnly: boolean;
  mimetype: string;
}

/** One GDC `files` hit (docs/protocols.md#gdc-files-query). */
export interface GdcFileHit {
  fileId: string;
  fileName: string;
  md5sum: string;
  fileSize: number;
  access: string;
  state: string;
  dataFormat: string;
}
