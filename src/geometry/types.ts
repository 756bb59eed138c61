/** Slide facts that decide the size of a `tiles/region` answer (docs/protocols.md#tiles-metadata, docs/imaging.md#region-size). */
export interface SlideGeometry {
  /** Base (full-resolution) width and height in pixels. */
  sizeX: number;
  sizeY: number;
  /** large_image's level count: level `levels - 1` is full resolution, each lower level halves. */
  levels: number;
  /** Objective power, or null when the slide does not report it. */
  magnification: number | null;
  /** Millimetres per base pixel, or null when unknown. */
  mmX: number | null;
  mmY: number | null;
  /** Which large_image levels are physically stored; default: only level `levels - 1`. */
  stored?: (level: number) => boolean;
}

/** The parameters of `GET /item/{id}/tiles/region` that affect geometry (units = base_pixels). */
export interface RegionRequest {
  left?: number;
  top?: number;
  right?: number;
  bottom?: number;
  regionWidth?: number;
  regionHeight?: number;
  /** Maximum output width/height; when either is set, magnification and mm are ignored for sizing. */
  width?: number;
  height?: number;
  magnification?: number;
  mmX?: number;
  mmY?: number;
  exact?: boolean;
}

export interface PixelRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export type RegionPlan =
  | { empty: true; reason: string }
  | {
      empty: false;
      /** Output size in pixels. */
      width: number;
      height: number;
      /** The region in base pixels after rounding and clamping. */
      bounds: PixelRect;
      /** Requested (possibly fractional) large_image level. */
      level: number;
      /** The stored level pixels are read from. */
      readLevel: number;
      /** The region in pixels of `readLevel`. */
      readBounds: PixelRect;
    };

/** How an output image's resolution is named and requested. */
export type Resolution = { kind: 'mpp'; mpp: number } | { kind: 'mag'; magnification: number } | { kind: 'base' };

/** A DSA annotation element as stored in the annotation JSON (base-resolution coordinates). */
export interface AnnotationElement {
  type: string;
  id?: string;
  group?: string;
  label?: { value: string };
  points?: number[][];
  center?: number[];
  width?: number;
  height?: number;
  rotation?: number;
  [key: string]: unknown;
}

/** One row of HistomicsTK's GT-codes table (docs/dataset.md#annotations-to-masks). */
export interface GtCode {
  group: string;
  overlayOrder: number;
  code: number;
  isRoi: boolean;
  isBackground: boolean;
}

/** A single-channel 8-bit label image placed in slide coordinates. */
export interface LabelMask {
  data: Uint8Array;
  width: number;
  height: number;
  /** Slide coordinate (base pixels) of pixel [0, 0]. */
  xmin: number;
  ymin: number;
}
