// Library entry point, for users who script around bcss. Importing it does no
// work: data files are read and slides opened only when a function is called.
export * from './errors.js';
export * from './geometry/index.js';
export * from './catalog/index.js';
export * from './slides/index.js';
export { runDownload, runVerify, failedRois, LOCK_FILE_NAME } from './pipeline/index.js';
export type { RunDownloadHooks, RunVerifyOptions, LockFile, LockEntry } from './pipeline/index.js';
export type * from './pipeline/types.js';
export { startServer } from './server/start-server.js';
export type { ServerOptions, RunningServer } from './server/start-server.js';
export { loadDemoDataset } from './server/demo/demo-dataset.js';
export { loadDataDir } from './server/data-dir/data-dir-dataset.js';
export type * from './server/dataset-types.js';
