/** One physically stored pyramid level of a slide. */
export interface StoredLevel {
  /** Pixel size of this level. */
  width: number;
  height: number;
  /** Base width / this width (1 for level 0). */
  downsample: number;
}

export interface RawPixels {
  /** Interleaved 8-bit RGB, row-major, no padding. */
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/**
 * A readable whole-slide image: a real SVS/TIFF file or a virtual (demo) slide.
 * Levels are listed finest first; `levels[0]` is the base resolution.
 */
export interface SlideSource {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  /** Millimetres per base pixel (Aperio MPP × 0.001), or null. */
  readonly mmX: number | null;
  readonly mmY: number | null;
  /** Objective power (Aperio AppMag), or null. */
  readonly magnification: number | null;
  readonly levels: readonly StoredLevel[];
  /** Read `[left, left+width) × [top, top+height)` in the pixels of stored level `levelIndex`. */
  readRaw(levelIndex: number, rect: { left: number; top: number; width: number; height: number }): Promise<RawPixels>;
  close(): Promise<void>;
}
