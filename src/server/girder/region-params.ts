import type { RegionRequest, SlideGeometry } from '../../geometry/types.js';
import { restError } from './girder-errors.js';
import { parsePythonFloat } from './python-float.js';

/** `tiles/region` parameters after large_image's `_parseParams` type conversion (docs/protocols.md#tiles-region). */
export interface RegionParams {
  left?: number;
  top?: number;
  right?: number;
  bottom?: number;
  regionWidth?: number;
  regionHeight?: number;
  units: string;
  unitsWH?: string;
  width?: number;
  height?: number;
  magnification?: number;
  mmX?: number;
  mmY?: number;
  exact: boolean;
  fill?: string;
  frame?: number;
  encoding: string;
  jpegQuality: number;
  jpegSubsampling: number;
  tiffCompression: string;
  contentDisposition?: string;
}

const incorrect = (name: string): never => {
  throw restError(`"${name}" parameter is an incorrect type.`);
};

function float(params: Record<string, string>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  return parsePythonFloat(v) ?? incorrect(name);
}

function int(params: Record<string, string>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  return /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : incorrect(name);
}

/**
 * Type-check the listed parameters like large_image (bad value → 400 `"<p>" parameter is an
 * incorrect type.`); unknown parameters are passed through and ignored.
 */
export function parseRegionParams(params: Record<string, string>): RegionParams {
  const p: RegionParams = {
    left: float(params, 'left'),
    top: float(params, 'top'),
    right: float(params, 'right'),
    bottom: float(params, 'bottom'),
    regionWidth: float(params, 'regionWidth'),
    regionHeight: float(params, 'regionHeight'),
    units: params.units ?? 'base_pixels',
    unitsWH: params.unitsWH,
    width: int(params, 'width'),
    height: int(params, 'height'),
    magnification: float(params, 'magnification'),
    mmX: float(params, 'mm_x'),
    mmY: float(params, 'mm_y'),
    exact: ['true', 'on', 'yes', '1'].includes((params.exact ?? '').toLowerCase()),
    fill: params.fill,
    frame: int(params, 'frame'),
    encoding: params.encoding ?? 'JPEG',
    jpegQuality: int(params, 'jpegQuality') ?? 95,
    jpegSubsampling: int(params, 'jpegSubsampling') ?? 0,
    tiffCompression: params.tiffCompression ?? 'raw',
    contentDisposition: params.contentDisposition,
  };
  if (params.style !== undefined) {
    try {
      JSON.parse(params.style);
    } catch {
      incorrect('style');
    }
  }
  if (params.resample !== undefined && !/^(true|false|on|off|yes|no|[0-3])$/i.test(params.resample.trim())) {
    incorrect('resample');
  }
  return p;
}

/** MIME type per encoding; large_image's encodings are case-sensitive. */
export const ENCODING_MIME: Record<string, string> = {
  JPEG: 'image/jpeg',
  JFIF: 'image/jpeg',
  PNG: 'image/png',
  TIFF: 'image/tiff',
  TILED: 'image/tiff',
};

const MM_PER_UNIT: Record<string, number> = {};
for (const [factor, names] of [
  [1e-6, ['nm', 'nanometer', 'nanometers']],
  [1e-3, ['um', '\u00b5m', '\u03bcm', 'micron', 'microns', 'micrometer', 'micrometers']],
  [1, ['mm', 'millimeter', 'millimeters']],
  [1e3, ['m', 'meter', 'meters']],
  [1e6, ['km', 'kilometer', 'kilometers']],
] as const) {
  for (const n of names) MM_PER_UNIT[n] = factor;
}
const BASE_UNITS = new Set(['base', 'base_pixel', 'base_pixels']);
const SCALED_UNITS = new Set(['pixel', 'pixels', 'mag_pixel', 'mag_pixels', 'magnification_pixel', 'magnification_pixels']);

/** Base pixels per unit on each axis, or a 400 for unknown units / missing calibration. */
function unitScale(units: string, p: RegionParams, g: SlideGeometry): [number, number] {
  if (BASE_UNITS.has(units)) return [1, 1];
  if (units === 'fraction') return [g.sizeX, g.sizeY];
  if (SCALED_UNITS.has(units)) {
    // Pixels at the requested scale: base pixels per output pixel.
    if (p.width === undefined && p.height === undefined) {
      if (p.magnification && g.magnification) return [g.magnification / p.magnification, g.magnification / p.magnification];
      if ((p.mmX || p.mmY) && g.mmX && g.mmY) {
        const mx = p.mmX || p.mmY || 0; // one of them is set (checked above)
        const my = p.mmY || p.mmX || 0;
        return [mx / g.mmX, my / g.mmY];
      }
    }
    return [1, 1];
  }
  const mm = MM_PER_UNIT[units];
  if (mm === undefined) throw restError(`Value Error: Invalid units '${units}'`);
  if (!g.mmX || !g.mmY) throw restError(`Value Error: Units of ${units} need the slide's mm_x and mm_y, which are unknown`);
  return [mm / g.mmX, mm / g.mmY];
}

/** The geometry request in base pixels (planRegion's units). */
export function toBaseRequest(p: RegionParams, g: SlideGeometry): RegionRequest {
  const [sx, sy] = unitScale(p.units, p, g);
  const [wx, wy] = p.unitsWH === undefined ? [sx, sy] : unitScale(p.unitsWH, p, g);
  const scaled = (v: number | undefined, k: number): number | undefined => (v === undefined ? undefined : v * k);
  return {
    left: scaled(p.left, sx),
    top: scaled(p.top, sy),
    right: scaled(p.right, sx),
    bottom: scaled(p.bottom, sy),
    regionWidth: scaled(p.regionWidth, wx),
    regionHeight: scaled(p.regionHeight, wy),
    width: p.width,
    height: p.height,
    magnification: p.magnification,
    mmX: p.mmX,
    mmY: p.mmY,
    exact: p.exact,
  };
}
