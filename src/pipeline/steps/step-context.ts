import type { RemoteContext } from '../remote-context.js';
import type { DownloadOptions } from '../types.js';
import type { MaskZipSource } from './masks-zip.js';

/** What every fetch step gets: the run's options, output folder and the resolved services. */
export interface StepContext {
  outDir: string;
  options: DownloadOptions;
  remote: RemoteContext;
  now: () => Date;
  /** Base masks from figshare's article ZIP (absent: one request per mask). */
  maskZip?: MaskZipSource;
}
