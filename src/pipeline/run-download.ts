/**
 * `bcss download`: plan → fetch → lock. The one entry point the CLI calls.
 *
 * Order of business (the phases of a {@link DownloadRun}, download-run.ts):
 * 1. open (not --dry-run): make sure the output folder is writable, take the run lease
 *    (BusyError if another run holds it), read the lock (a damaged one is moved aside; its valid
 *    entries are kept), delete temp files left by a killed run, open the run log, and plan
 *    locally: every artifact's state from the lock and the disk. If all are done, no request is
 *    made at all.
 * 2. fetch: connect (token, DSA listing; figshare/GDC lazily) and fetch the rest with a bounded
 *    worker pool, each artifact by its kind's step (steps/step-table.ts). A per-artifact failure
 *    is recorded and the run goes on (unless failFast); authentication and disk failures end the
 *    run, since every other artifact would fail too.
 * 3. close: write meta/, flush the lock, close the log, release the lease; return the summary.
 */
import { UsageError } from '../errors.js';
import { withDownloadDefaults, type DownloadParams } from './defaults.js';
import { DownloadRun } from './download-run.js';
import { runDryRun } from './dry-run.js';
import { checkFolderDataset } from './folder-dataset.js';
import { sha256Hex } from './hash-file.js';
import { readLock, type LockOptions } from './lock-file.js';
import type { RunDownloadHooks } from './run-setup.js';
import { redactError, SecretBox } from './secrets.js';
import type { DownloadOptions, DownloadSummary } from './types.js';

export { earlyGeometryItems } from './geometry-prefetch.js';
export { earlyRenders } from './steps/images.js';
export { kindCaps } from './steps/step-table.js';
export type { RunDownloadHooks } from './run-setup.js';


/** Checks the few things the CLI's validation cannot know are needed here. */
export function checkDownloadOptions(options: DownloadOptions): void {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UsageError(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  }
  if (options.components.length === 0) throw new UsageError('no components to download');
  if (options.rois.length === 0) throw new UsageError('no ROIs selected');
  if (options.outDir.trim() === '') throw new UsageError('the output folder is empty');
  if (options.imageSource === 'wsi' && options.encoding === 'jpeg' && options.components.includes('images')) {
    throw new UsageError('--image-source wsi renders lossless PNG images only; it cannot make --encoding jpeg ones', {
      hint: 'Drop --encoding jpeg, or take JPEG renders from the DSA with --image-source dsa.',
    });
  }
}

export function lockOptionsOf(options: DownloadOptions): LockOptions {
  const table = options.rois.map((r) => `${r.name},${r.xmin},${r.ymin},${r.xmax},${r.ymax},${r.maskFileId}`).join('\n');
  return {
    resolution: options.resolution,
    encoding: options.encoding,
    maskAlign: options.maskAlign,
    roiTableSha256: sha256Hex(table),
    rois: options.rois.length,
    components: [...options.components],
  };
}

/**
 * Downloads the BCSS dataset (or the part `params` names) into `params.out`: plans from the lock
 * and the disk, fetches what is missing or damaged with per-host politeness and retries, verifies
 * every artifact, writes `meta/`, the lock and a run log, and returns a summary. A rerun with
 * everything in place makes no request. Only the output folder is required; every other field
 * has the CLI's default (see {@link DownloadParams}).
 *
 * Throws a {@link BcssError} subclass for run-wide failures (usage, authentication, disk, a busy
 * folder); per-artifact failures are listed in `summary.failures` instead.
 *
 * @example
 * ```ts
 * import { runDownload } from 'bcss';
 * const summary = await runDownload({ out: 'BCSS', components: ['masks'], resolution: { kind: 'base' } });
 * console.log(summary.components.masks); // { done: 151, skipped: 0, failed: 0 }
 * ```
 */
export async function runDownload(params: DownloadParams, hooks: RunDownloadHooks = {}): Promise<DownloadSummary> {
  const options = withDownloadDefaults(params);
  checkDownloadOptions(options);
  const secrets = new SecretBox(options.credentials).addTokens(options);
  try {
    return await download(options, hooks, secrets);
  } catch (err) {
    // Whatever ends the run reaches the terminal: no credential may ride along in it.
    throw redactError(err, secrets.redactor());
  }
}

async function download(options: DownloadOptions, hooks: RunDownloadHooks, secrets: SecretBox): Promise<DownloadSummary> {
  const run = new DownloadRun(options, hooks, secrets);
  if (options.dryRun) {
    // A dry run says up front what the real run would: another dataset in the folder is refused.
    const now = hooks.now ?? (() => new Date());
    if (options.replace !== true) await checkFolderDataset(run.outDir, (await readLock(run.outDir, { moveAside: false })).lock, options, now);
    return runDryRun({ options, outDir: run.outDir, secrets, emit: run.emit, hooks, onTransferEvent: run.onTransferEvent, t0: performance.now() });
  }
  let completed = false;
  try {
    const toFetch = await run.open(lockOptionsOf(options));
    await run.fetch(toFetch);
    completed = true;
  } finally {
    await run.close(completed);
  }
  return run.summary();
}
