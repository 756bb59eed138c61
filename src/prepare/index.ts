// `bcss prepare`: training-ready outputs from a finished download folder, offline.
export type * from './types.js';
export { prepareSplits, SPLIT_PARTS, SPLIT_SCHEMES, SPLIT_LAYOUTS, LINK_MODES, EVA_IMAGE_FOLDER, EVA_ROOT } from './prepare-splits.js';
export type { PrepareSplitsHooks } from './prepare-splits.js';
export { prepareTiles, normaliseTilesOptions, checkTilesOptions } from './prepare-tiles.js';
export { prepareGallery } from './prepare-gallery.js';
export { prepareStats, CLASS_STATS_PATH } from './prepare-stats.js';
export { loadPairs } from './load-pairs.js';
export { pairFileNames } from './pair-files.js';
export { labelMapping, GROUP_VALUES } from './label-mapping.js';
export { CLASS_PALETTE } from './class-palette.js';
export { CACHE_DIR } from './item-cache.js';
