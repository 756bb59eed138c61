/**
 * `bcss download`: plan → fetch → lock. The one entry point the CLI calls.
 *
 * Order of business:
 * 1. (not --dry-run) make sure the output folder is writable, take the run lease (BusyError if
 *    another run holds it), delete temp files left by a killed run, open the run log, read the
 *    lock (a damaged one is moved aside; its valid entries are kept).
 * 2. Plan locally: every artifact's state from the lock and the disk. If all are done, no request
 *    is made at all.
 * 3. Otherwise connect (token, DSA listing; figshare/GDC lazily) and fetch the rest with a bounded
 *    worker pool. A per-artifact failure is recorded and the run goes on (unless failFast);
 *    authentication and disk failures end the run, since every other artifact would fail too.
 * 4. Write meta/, flush the lock, close the log, release the lease, return the summary.
 */
import { join, resolve } from 'node:path';
import { builtinSlides, DSA_FOLDER_ID, findSlideForRoi } from '../catalog/index.js';
import { AuthError, BusyError, DiskError, isBcssError, UsageError } from '../errors.js';
import { removeStaleTempFiles } from '../storage/atomic-file.js';
import { acquireLease } from '../storage/run-lease.js';
import type { Transfer, TransferEvent } from '../transfer/types.js';
import { runDryRun } from './dry-run.js';
import { sha256Hex } from './hash-file.js';
import { planLocal } from './plan.js';
import { canonicalJson, type Artifact } from './artifacts.js';
import { folderRois, mergeRecord } from './dataset-spec.js';
import { checkFolderDataset } from './folder-dataset.js';
import { ensureOutDir } from './out-dir.js';
import { LOCK_FILE_NAME, LockStore, readLock, type LockEntry, type LockOptions } from './lock-file.js';
import { openRemote, type RemoteContext } from './remote-context.js';
import { openRunLog, type RunLog } from './run-log.js';
import { redactError, redactEvent, SecretBox } from './secrets.js';
import { fetchAnnotations } from './steps/annotations.js';
import { fetchImage } from './steps/images.js';
import { fetchMask } from './steps/masks.js';
import { buildMetaFiles, writeMetaFiles } from './steps/meta.js';
import type { StepContext } from './steps/step-context.js';
import { OptionalSourceUnavailable, writeWsiScript } from './steps/wsi-scripts.js';
import { fetchWsi } from './steps/wsis.js';
import { toolVersion } from './tool-version.js';
import type { ArtifactStatus, Component, DownloadOptions, DownloadSummary, PipelineEvent } from './types.js';
import { runPool } from './worker-pool.js';
import { withDownloadDefaults, type DownloadParams } from './defaults.js';
import { makeTransfer, needsSlides, type RunDownloadHooks } from './run-setup.js';

export type { RunDownloadHooks } from './run-setup.js';


/** Checks the few things the CLI's validation cannot know are needed here. */
export function checkDownloadOptions(options: DownloadOptions): void {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UsageError(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
  }
  if (options.components.length === 0) throw new UsageError('no components to download');
  if (options.rois.length === 0) throw new UsageError('no ROIs selected');
  if (options.outDir.trim() === '') throw new UsageError('the output folder is empty');
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

function countsFor(components: readonly Component[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of components) out[c] = { done: 0, skipped: 0, failed: 0 };
  return out;
}

function bump(counts: Record<string, Record<string, number>>, kind: string, status: ArtifactStatus): void {
  const row = (counts[kind] ??= { done: 0, skipped: 0, failed: 0 });
  row[status] = (row[status] ?? 0) + 1;
}

/**
 * Most tasks of each kind at once. The lanes enforce politeness; these caps only keep one kind
 * from taking every worker. Images and masks get more than their lanes allow, so a task that is
 * finishing (transfer, header check, fsync, rename, lock) never leaves a lane slot idle: the
 * next one is already queued on the lane when a slot frees.
 */
export function kindCaps(options: DownloadOptions): Record<Component, number> {
  const lane = (name: string, fallback: number): number => options.lanes[name]?.concurrency ?? fallback;
  return {
    // Twice the render lane: a render's slot frees when its answer starts, while its task still
    // receives and checks the bytes, so the next task must already be waiting on the lane.
    images: lane('dsa-render', 4) * 2,
    // A mask holds a figshare slot for its redirect, then an object-store slot for the blob.
    masks: lane('figshare', 1) * 2 + 2,
    annotations: lane('dsa', 4),
    'wsi-scripts': 1,
    wsis: options.gdcConcurrency ?? 2,
  };
}

/**
 * Images rendered before the DSA listing is in (artifact id → the catalog's item id): the first
 * ones of the fetch list, as many as the render lane runs at once. Only for the catalog's own DSA
 * folder, where its ids are the real ones; the listing still confirms each before it is stored.
 */
export function earlyRenders(toFetch: readonly Artifact[], options: DownloadOptions): Map<string, string> {
  const out = new Map<string, string>();
  if (options.folderId !== DSA_FOLDER_ID) return out;
  const room = options.lanes['dsa-render']?.concurrency ?? 4;
  const catalog = builtinSlides();
  for (const a of toFetch) {
    if (out.size >= room) break;
    if (a.kind !== 'images' || a.roi === null) continue;
    const id = findSlideForRoi(a.roi, catalog)?.dsaItemId;
    if (id !== undefined) out.set(a.id, id);
  }
  return out;
}

/**
 * The catalog's item ids of the first slides the fetch list needs, looked up while the listing
 * runs: at least as many as the `dsa` lane has slots beside the listing, and as many as there are
 * early renders. Only for the catalog's own DSA folder (where its ids are the real ones); another
 * folder's items would only answer 400.
 */
export function earlyGeometryItems(toFetch: readonly Artifact[], options: DownloadOptions, earlyRenderCount = 0): string[] {
  if (options.folderId !== DSA_FOLDER_ID) return [];
  const room = Math.max(1, (options.lanes.dsa?.concurrency ?? 4) - 1, earlyRenderCount);
  const catalog = builtinSlides();
  const ids: string[] = [];
  for (const a of toFetch) {
    if (ids.length >= room) break;
    if (a.roi === null || (a.kind !== 'images' && a.kind !== 'masks')) continue;
    if (a.kind === 'masks' && options.resolution.kind === 'base') continue;
    const id = findSlideForRoi(a.roi, catalog)?.dsaItemId;
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The DSA items whose `/tiles` the fetch list needs, in the order it needs them. */
function geometryItems(toFetch: readonly Artifact[], options: DownloadOptions, remote: RemoteContext): string[] {
  const ids = new Set<string>();
  for (const a of toFetch) {
    if (a.roi === null || (a.kind !== 'images' && a.kind !== 'masks')) continue;
    if (a.kind === 'masks' && options.resolution.kind === 'base') continue;
    try {
      ids.add(remote.slideFor(a.roi).itemId);
    } catch {
      // An unresolved slide: the artifact's own step reports it.
    }
  }
  return [...ids];
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
  const now = hooks.now ?? (() => new Date());
  const t0 = performance.now();
  const redact = secrets.redactor();
  const outDir = resolve(options.outDir);

  let log: RunLog | null = null;
  const emit = (event: PipelineEvent): void => {
    const safe = redactEvent(event, redact);
    try {
      hooks.onEvent?.(safe);
    } catch {
      // A failing renderer must not fail the download.
    }
    log?.event(safe);
  };
  const onTransferEvent = (e: TransferEvent): void => {
    if (e.type === 'retry') emit({ type: 'retry', url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason });
    else if (e.type === 'bytes') emit({ type: 'bytes', bytes: e.bytes });
    else if (e.type === 'request') log?.line('debug', `${e.lane} request #${e.attempt} ${e.url}`);
    else log?.line('debug', `${e.lane} ${e.status} ${e.url}`);
  };

  if (options.dryRun) {
    // A dry run says up front what the real run would: another dataset in the folder is refused.
    if (options.replace !== true) await checkFolderDataset(outDir, (await readLock(outDir, { moveAside: false })).lock, options, now);
    return runDryRun({ options, outDir, secrets, emit, hooks, onTransferEvent, t0 });
  }

  await ensureOutDir(outDir);
  const lease = await acquireLease(outDir, hooks.lease);
  const counts = countsFor(options.components);
  const failures: DownloadSummary['failures'] = [];
  let transfer: Transfer | null = null;
  let fatal: unknown = null;
  let openStore: LockStore | null = null;
  let metaInFlight: Promise<unknown> | null = null;
  let windingDown = false;
  const lockPath = join(outDir, LOCK_FILE_NAME);
  try {
    let read = await readLock(outDir, { moveAside: true, now });
    // One folder, one dataset: another spec is refused here, before anything is written.
    const folder = await checkFolderDataset(outDir, read.lock, options, now);
    if (folder.replacedTo !== undefined) read = { lock: null };
    const removed = await removeStaleTempFiles(outDir, 0);
    log = await openRunLog(outDir, now(), redact, now);
    log.line('info', `bcss ${toolVersion()} download into ${outDir}`);
    if (folder.replacedTo !== undefined) emit({ type: 'log', level: 'info', message: `--replace: moved the folder's previous dataset to ${folder.replacedTo}` });
    if (removed.length > 0) emit({ type: 'log', level: 'info', message: `removed ${removed.length} temp file(s) left by an interrupted run` });
    if (read.warning !== undefined) emit({ type: 'log', level: 'warn', message: read.warning });

    // Subset runs add to the folder: WSI scripts and meta/ describe every ROI it holds.
    const held = folderRois(mergeRecord(folder.previous, options, []), options);
    const previousEntries = new Map((read.lock?.artifacts ?? []).map((a) => [a.id, a] as const));
    const { artifacts, toFetch: fetchList, skipped } = await planLocal(options, outDir, (id) => previousEntries.get(id), held);
    const record = mergeRecord(folder.previous, options, artifacts.map((a) => a.id));
    const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: lockOptionsOf(options), dataset: record, now, redact });
    openStore = store;
    // What the last run journaled, and a grown dataset record, go into bcss.lock.json before this
    // run adds to it (so ROIs planned by an interrupted run still count as planned).
    if (read.journal === true || canonicalJson(record) !== canonicalJson(folder.previous)) await store.compact();
    const scriptOptions: DownloadOptions = { ...options, rois: held };
    for (const f of fetchList) log.line('info', `to fetch ${f.artifact.id}: ${f.reason}`);
    const toFetch = fetchList.map((f) => f.artifact);
    emit({ type: 'plan', total: artifacts.length, toFetch: toFetch.length, skipped: skipped.length, expectedBytes: null });
    for (const s of skipped) {
      // A re-hash that confirmed the file refreshes the recorded mtime, so the next run skips the hash.
      // A failed write is retried by the next one and reported by the final flush.
      if (s.rehashed) store.set(s.entry).catch(() => undefined);
      bump(counts, s.artifact.kind, 'skipped');
      emit({ type: 'artifact-done', id: s.artifact.id, kind: s.artifact.kind, path: s.entry.path, bytes: s.entry.bytes, status: 'skipped' });
    }

    // meta/ depends on the options only: written while the network work runs (once the first
    // requests are on their way), not after it.
    let metaWork: ReturnType<typeof writeMetaFiles> | null = null;
    const startMeta = (): ReturnType<typeof writeMetaFiles> => {
      // Once: from the timer below or from the end of the run, whichever comes first; never after
      // the run has begun to wind down (its lease must cover every write).
      if (metaWork === null && !windingDown) {
        metaWork = writeMetaFiles(outDir, buildMetaFiles({ ...scriptOptions, components: record.components as Component[] }, toolVersion()), (id) => store.get(id), now);
        metaInFlight = metaWork.catch(() => undefined); // awaited below, or in `finally` if the run ends early
      }
      return metaWork ?? Promise.resolve({ entries: [], written: 0 });
    };

    if (toFetch.length > 0) {
      transfer = makeTransfer(options, secrets, onTransferEvent, hooks);
      const early = earlyRenders(toFetch, options);
      const remote = openRemote({
        // The WSI scripts list every ROI of the folder, so the listing must resolve them all.
        options: scriptOptions,
        transfer,
        needSlides: needsSlides(toFetch, options),
        emit,
        onSecret: (s) => secrets.add(s),
        earlyGeometry: earlyGeometryItems(toFetch, options, early.size),
        ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      });
      const ctx: StepContext = { outDir, options, remote, now };
      // Log in and list the DSA folder; meanwhile the first renders go out on the catalog's ids
      // (see renderImage) and every other task waits for the listing.
      let connectFailed = false;
      const connected = remote.connect().then(() => remote.prefetchGeometry(geometryItems(toFetch, options, remote)));
      connected.catch(() => {
        connectFailed = true;
      });
      const stop = (): boolean =>
        connectFailed || fatal !== null || lease.lost || hooks.signal?.aborted === true || (options.failFast && failures.length > 0);
      const renderImage = async (a: Artifact): Promise<LockEntry> => {
        const itemId = early.get(a.id);
        if (itemId !== undefined && a.roi !== null) {
          const roi = a.roi;
          const confirm = async (): Promise<string> => {
            await connected;
            return remote.slideFor(roi).itemId;
          };
          try {
            return await fetchImage(ctx, a, { itemId, authenticated: remote.authenticated, confirm });
          } catch (err) {
            // Rendered again only if the listing names another item: any other failure would repeat.
            const confirmed = await confirm().catch(() => null);
            if (confirmed === null || confirmed === itemId) throw err;
            log?.line('info', `${a.id}: rendered early from the catalog's item ${itemId}, but the DSA lists ${confirmed}; rendering it again`);
          }
        }
        return fetchImage(ctx, a);
      };
      const runOne = async (a: Artifact): Promise<void> => {
        if (!early.has(a.id)) {
          try {
            await connected;
          } catch {
            return; // the run fails with the connection's error, not one per artifact
          }
        }
        const shownPath = a.path ?? a.id;
        emit({ type: 'artifact-start', id: a.id, kind: a.kind, path: shownPath });
        try {
          let entry: LockEntry | null;
          let warning: string | undefined;
          switch (a.kind) {
            case 'images':
              entry = await renderImage(a);
              break;
            case 'masks':
              entry = await fetchMask(ctx, a);
              break;
            case 'annotations':
              entry = await fetchAnnotations(ctx, a);
              break;
            case 'wsis':
              entry = await fetchWsi(ctx, a, { emit, overrides: { ...hooks.transferOverrides, ...(hooks.signal === undefined ? {} : { signal: hooks.signal }) } });
              break;
            case 'wsi-scripts': {
              const outcome = await writeWsiScript({ ...ctx, options: scriptOptions }, a, toolVersion());
              entry = outcome.entry;
              warning = outcome.warning;
              break;
            }
          }
          if (warning !== undefined) emit({ type: 'log', level: 'warn', message: warning });
          if (entry === null) {
            bump(counts, a.kind, 'skipped');
            emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: shownPath, bytes: 0, status: 'skipped' });
            return;
          }
          await store.set(entry);
          bump(counts, a.kind, 'done');
          emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: entry.path, bytes: entry.bytes, status: 'done' });
        } catch (err) {
          if (err instanceof OptionalSourceUnavailable) {
            emit({ type: 'log', level: 'warn', message: err.message });
            bump(counts, a.kind, 'skipped');
            emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: shownPath, bytes: 0, status: 'skipped' });
            return;
          }
          if (connectFailed) return; // an early render cut short by the failed login or listing
          if (hooks.signal?.aborted === true) {
            // Cut short by Ctrl-C: not a failure of the item; the rerun fetches it.
            bump(counts, a.kind, 'planned');
            return;
          }
          if ((err instanceof AuthError || err instanceof DiskError) && fatal === null) fatal = err;
          const reason = redact(err instanceof Error ? err.message : String(err));
          failures.push({ item: a.id, reason, kind: isBcssError(err) ? err.kind : 'internal' });
          bump(counts, a.kind, 'failed');
          emit({ type: 'artifact-failed', id: a.id, kind: a.kind, path: shownPath, reason });
        }
      };
      // The early renders first: they need no listing, so they start while it is on the wire.
      const ordered = [...toFetch.filter((a) => early.has(a.id)), ...toFetch.filter((a) => !early.has(a.id))];
      const pool = runPool(
        ordered.map((a) => ({ kind: a.kind, run: () => runOne(a) })),
        { concurrency: options.concurrency, caps: kindCaps(options), stop },
      );
      setImmediate(startMeta);
      const notStarted = await pool;
      // A failed login or listing ends the run here, with its own error (unless Ctrl-C cut it short).
      if (hooks.signal?.aborted !== true) await connected;
      for (const t of notStarted) bump(counts, t.kind, 'planned');
      if (lease.lost && fatal === null) {
        fatal = new BusyError(`another bcss run took over the output folder ${outDir} while this one was stalled; this run stopped`, {
          hint: 'Let the other run finish; a later rerun fetches whatever is still missing.',
        });
      }
    }

    const meta = await (metaWork ?? startMeta());
    for (const e of meta.entries) store.set(e).catch(() => undefined);
    if (meta.written > 0) emit({ type: 'log', level: 'info', message: `meta/: wrote ${meta.written} file(s)` });
    await store.close();
  } finally {
    // No write of this run may outlive its lease.
    windingDown = true;
    await metaInFlight;
    // Whatever happened, what was recorded reaches the disk before the lease is given up (if
    // the compaction fails, the journal still holds it for the next run).
    await (openStore as LockStore | null)?.close().catch(() => undefined);
    const stats = transfer?.stats ?? { requests: 0, bytes: 0, retries: 0 };
    log?.line(
      'info',
      `finished: ${stats.requests} requests, ${stats.bytes} bytes, ${stats.retries} retries, ${failures.length} failure(s), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    await log?.close().catch(() => undefined);
    await lease.release().catch(() => undefined);
  }

  // An abort (Ctrl-C) is not thrown: the summary tells what finished; the caller sees its signal.
  if (fatal !== null) throw fatal;
  const stats = transfer?.stats ?? { requests: 0, bytes: 0, retries: 0 };
  return {
    requests: stats.requests,
    bytes: stats.bytes,
    retries: stats.retries,
    seconds: (performance.now() - t0) / 1000,
    failures,
    components: counts,
    outDir,
    lockPath,
    logPath: (log as RunLog | null)?.path ?? null,
    dryRun: false,
    ...(hooks.signal?.aborted === true ? { interrupted: true } : {}),
  };
}
