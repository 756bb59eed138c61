import type { PipelineEvent } from '../types.js';
import type { TransferOptions } from '../../transfer/types.js';
import type { ImageRouting } from '../image-routing.js';
import type { OpenedRemote, RemoteContext } from '../remote-context.js';
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

/** What a step of the download run's table gets besides: the run-wide state it may need. */
export interface RunStepContext extends StepContext {
  /** The services, connecting while the first steps run (see `connected`). */
  remote: OpenedRemote;
  /** The options with every ROI the folder holds (the WSI scripts list them all). */
  folderOptions: DownloadOptions;
  /** Images rendered before the DSA listing is in: artifact id → the catalog's item id. */
  early: ReadonlyMap<string, string>;
  /** Settles once the services are logged in and the DSA folder is listed. */
  connected: Promise<unknown>;
  /** A line for the run log. */
  log: (message: string) => void;
  /** The run's events (steps that report their own progress, e.g. slide bytes). */
  emit: (event: PipelineEvent) => void;
  /** `--image-source`: the breaker, the slide folder and the slides this run downloads. */
  images: ImageRouting;
  /** The run's engine overrides (tests: backoff, sleep) and Ctrl-C, for steps with their own transfers. */
  transferOverrides: Partial<TransferOptions>;
}
