// Library entry point: the pure building blocks, for users who script around bcss.
export * from './errors.js';
export type * from './geometry/types.js';
export type * from './catalog/types.js';
export type * from './slides/types.js';
