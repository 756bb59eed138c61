// The download pipeline's public surface: what the CLI (and library users) call.
export { runDownload, checkDownloadOptions } from './run-download.js';
export type { RunDownloadHooks } from './run-setup.js';
export { runVerify, type RunVerifyOptions } from './verify.js';
export { failedRois } from './failed-items.js';
export { LOCK_FILE_NAME } from './lock-file.js';
export type { LockFile, LockEntry } from './lock-file.js';
export { ALL_COMPONENTS } from './types.js';
export type * from './types.js';
