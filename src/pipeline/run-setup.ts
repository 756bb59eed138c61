import { createTransfer } from '../transfer/create-transfer.js';
import type { LeaseOptions } from '../storage/run-lease.js';
import type { Transfer, TransferEvent, TransferOptions } from '../transfer/types.js';
import type { Artifact } from './artifacts.js';
import { needsDsa } from './image-routing.js';
import type { SecretBox } from './secrets.js';
import type { DownloadOptions, PipelineEvent } from './types.js';

export interface RunDownloadHooks {
  onEvent?: (event: PipelineEvent) => void;
  signal?: AbortSignal;
  /** Test hooks for the engine (tiny backoff, injected fetch…); applied over the options. */
  transferOverrides?: Partial<TransferOptions>;
  /** Injected clock for timestamps (lock, log name). */
  now?: () => Date;
  /** Test hook: lease timings (a short heartbeat to see a takeover within a test). */
  lease?: LeaseOptions;
}

/** The transfer engine for a run: options' politeness and timeouts, overrides last. */
export function makeTransfer(
  options: DownloadOptions,
  secrets: SecretBox,
  onTransferEvent: (e: TransferEvent) => void,
  hooks: RunDownloadHooks,
): Transfer {
  return createTransfer({
    lanes: options.lanes,
    maxRetries: options.maxRetries,
    headersTimeoutMs: options.headersTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    ...(options.maxJsonBytes === undefined ? {} : { maxJsonBytes: options.maxJsonBytes }),
    secrets: () => secrets.list(),
    onEvent: onTransferEvent,
    ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
    ...hooks.transferOverrides,
  });
}

/** Which artifacts need DSA items: all but masks at base resolution, slides (from the GDC) and images made from local slides only. */
export function needsSlides(artifacts: readonly Artifact[], options: DownloadOptions): boolean {
  return artifacts.some((a) => needsDsa(a, options));
}
