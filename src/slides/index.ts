// Public surface of the slides module: WSI structure, region pixels, and the demo's virtual slides.
export type { RawPixels, SlideSource, StoredLevel } from './types.js';
export { aperioValue, aperioValues, parseAperioDescription } from './aperio-description.js';
export type { AperioDescription, ParsedDescription } from './aperio-description.js';
export { classifyIfds, readTiffStructure } from './tiff-structure.js';
export type { ClassifiedIfd, IfdInfo, IfdRole, TiffStructure } from './tiff-structure.js';
export { openSlide } from './open-slide.js';
export type { FileSlideSource } from './open-slide.js';
export { slideGeometry, storedLevelIndex } from './slide-geometry.js';
export { DEFAULT_MAX_STRIP_PIXELS, readRegion, readRegionStrips, resizeKernelFor } from './region-reader.js';
export type { RegionStrip } from './region-reader.js';
export { createMirroredSlide, loadBasePixels, mirrorIndex } from './mirrored-slide.js';
export type { MirroredSlideOptions } from './mirrored-slide.js';
