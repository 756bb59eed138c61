// `bcss/server`: the local DSA/Girder + figshare + GDC server and the datasets it serves.
export { startServer } from './start-server.js';
export type { ServerOptions, RunningServer, RequestLogEntry } from './start-server.js';
export { loadDemoDataset } from './demo/demo-dataset.js';
export { loadDataDir } from './data-dir/data-dir-dataset.js';
export type * from './dataset-types.js';
