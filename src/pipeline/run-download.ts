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
import { access, constants as fsConstants, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AuthError, BusyError, DiskError, UsageError } from '../errors.js';
import { removeStaleTempFiles } from '../transfer/atomic-file.js';
import { acquireLease } from '../transfer/run-lease.js';
import type { Transfer, TransferEvent } from '../transfer/types.js';
import type { Artifact } from './artifacts.js';
import { runDryRun } from './dry-run.js';
import { sha256Hex } from './hash-file.js';
import { planLocal } from './plan.js';
import { LOCK_FILE_NAME, LockStore, readLock, type LockEntry, type LockOptions } from './lock-file.js';
import { connectRemote, type RemoteContext } from './remote-context.js';
import { openRunLog, type RunLog } from './run-log.js';
import { redactError, redactEvent, SecretBox } from './secrets.js';
import { fetchAnnotations } from './steps/annotations.js';
import { fetchImage } from './steps/images.js';
import { fetchMask } from './steps/masks.js';
import { buildMetaFiles, writeMetaFiles } from './steps/meta.js';
import type { StepContext } from './steps/step-context.js';
import { OptionalSourceUnavailable, writeWsiScript } from './steps/wsi-scripts.js';
import { toolVersion } from './tool-version.js';
import type { ArtifactStatus, Component, DownloadOptions, DownloadSummary, PipelineEvent } from './types.js';
import { runPool } from './worker-pool.js';
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

async function ensureWritableDir(outDir: string): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
    const info = await stat(outDir);
    if (!info.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(outDir, fsConstants.W_OK);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new DiskError(outDir, `cannot write to the output folder ${outDir} (${typeof code === 'string' ? code : (err as Error).message})`, {
      hint: 'Choose another folder with --out, or fix its permissions.',
      cause: err,
    });
  }
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

export async function runDownload(options: DownloadOptions, hooks: RunDownloadHooks = {}): Promise<DownloadSummary> {
  checkDownloadOptions(options);
  const secrets = new SecretBox(options.credentials);
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

  if (options.dryRun) return runDryRun({ options, outDir, secrets, emit, hooks, onTransferEvent, t0 });

  await ensureWritableDir(outDir);
  const lease = await acquireLease(outDir, hooks.lease);
  const counts = countsFor(options.components);
  const failures: Array<{ item: string; reason: string }> = [];
  let transfer: Transfer | null = null;
  let fatal: unknown = null;
  let openStore: LockStore | null = null;
  const lockPath = join(outDir, LOCK_FILE_NAME);
  try {
    const removed = await removeStaleTempFiles(outDir, 0);
    log = await openRunLog(outDir, now(), redact, now);
    log.line('info', `bcss ${toolVersion()} download into ${outDir}`);
    if (removed.length > 0) emit({ type: 'log', level: 'info', message: `removed ${removed.length} temp file(s) left by an interrupted run` });

    const read = await readLock(outDir, { moveAside: true, now });
    if (read.warning !== undefined) emit({ type: 'log', level: 'warn', message: read.warning });
    const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: lockOptionsOf(options), now, redact });
    openStore = store;

    const { artifacts, toFetch: fetchList, skipped } = await planLocal(options, outDir, (id) => store.get(id));
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

    if (toFetch.length > 0) {
      transfer = makeTransfer(options, secrets, onTransferEvent, hooks);
      const remote: RemoteContext = await connectRemote({
        options,
        transfer,
        needSlides: needsSlides(toFetch, options),
        emit,
        onSecret: (s) => secrets.add(s),
        ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      });
      const ctx: StepContext = { outDir, options, remote, now };
      const stop = (): boolean =>
        fatal !== null || lease.lost || hooks.signal?.aborted === true || (options.failFast && failures.length > 0);
      const runOne = async (a: Artifact): Promise<void> => {
        const shownPath = a.path ?? a.id;
        emit({ type: 'artifact-start', id: a.id, kind: a.kind, path: shownPath });
        try {
          let entry: LockEntry | null;
          let warning: string | undefined;
          switch (a.kind) {
            case 'images':
              entry = await fetchImage(ctx, a);
              break;
            case 'masks':
              entry = await fetchMask(ctx, a);
              break;
            case 'annotations':
              entry = await fetchAnnotations(ctx, a);
              break;
            case 'wsi-scripts': {
              const outcome = await writeWsiScript(ctx, a, toolVersion());
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
          if ((err instanceof AuthError || err instanceof DiskError) && fatal === null) fatal = err;
          const reason = redact(err instanceof Error ? err.message : String(err));
          failures.push({ item: a.id, reason });
          bump(counts, a.kind, 'failed');
          emit({ type: 'artifact-failed', id: a.id, kind: a.kind, path: shownPath, reason });
        }
      };
      const lane = (name: string, fallback: number): number => options.lanes[name]?.concurrency ?? fallback;
      const notStarted = await runPool(
        toFetch.map((a) => ({ kind: a.kind, run: () => runOne(a) })),
        {
          concurrency: options.concurrency,
          caps: {
            images: lane('dsa-render', 4),
            // One more than the lane allows, so decoding/resizing overlaps the next download.
            masks: lane('figshare', 1) + 1,
            annotations: lane('dsa', 4),
            'wsi-scripts': 1,
          },
          stop,
        },
      );
      for (const t of notStarted) bump(counts, t.kind, 'planned');
      if (lease.lost && fatal === null) {
        fatal = new BusyError(`another bcss run took over the output folder ${outDir} while this one was stalled; this run stopped`, {
          hint: 'Let the other run finish; a later rerun fetches whatever is still missing.',
        });
      }
    }

    const meta = await writeMetaFiles(outDir, buildMetaFiles(options, toolVersion()), (id) => store.get(id), now);
    for (const e of meta.entries) store.set(e).catch(() => undefined);
    if (meta.written > 0) emit({ type: 'log', level: 'info', message: `meta/: wrote ${meta.written} file(s)` });
    await store.flush();
  } finally {
    // Whatever happened, what was recorded reaches the disk before the lease is given up.
    await (openStore as LockStore | null)?.flush().catch(() => undefined);
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
  };
}
