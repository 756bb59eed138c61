// Public surface of the pure geometry module.
export type * from './types.js';
export { levelCount, roundHalfEven, round4, planRegion, predictOutputSize } from './region-size.js';
export { nearestIndexMap, resizeNearest } from './nearest.js';
export {
  resolutionSuffix,
  roiFileName,
  mmPerPixel,
  formatMm,
  parseRoiFileName,
  parseHistomicsTkMaskName,
} from './naming.js';
export type { RoiFileNameParts, HistomicsTkMaskNameParts } from './naming.js';
export { rasteriseRoi } from './rasterise.js';
export type { RasteriseOptions, RasterisedRoi } from './rasterise.js';
export { elementPolygon } from './element-geometry.js';
export { fillPolygon } from './polygon-fill.js';
export { pillowPolygonMask, pillowPolygonSpans } from './pillow-polygon.js';
export type { OutlineMode } from './pillow-polygon.js';
export { numpyArgsortQuick, pandasDescendingOrder } from './tie-order.js';
export { parseGtCodesTable } from './gt-codes-table.js';
