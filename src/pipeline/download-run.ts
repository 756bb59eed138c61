/**
 * One download run, in three phases: `open()` takes the lease, reads the lock and plans;
 * `fetch()` runs the worker pool over the step table (steps/step-table.ts); `close()` writes
 * meta/, flushes the lock, closes the log and gives the lease up. `summary()` then tells what
 * happened, or throws the run-wide failure (authentication, disk, a lost lease).
 */
import { join, resolve } from 'node:path';
import { AuthError, BusyError, DiskError, isBcssError } from '../errors.js';
import { removeStaleTempFiles } from '../storage/atomic-file.js';
import { acquireLease, type Lease } from '../storage/run-lease.js';
import type { Transfer, TransferEvent } from '../transfer/types.js';
import { canonicalJson, type Artifact } from './artifacts.js';
import { folderRois, mergeRecord, type DatasetRecord } from './dataset-spec.js';
import { checkFolderDataset } from './folder-dataset.js';
import { imageSourceOf, LOCK_FILE_NAME, LockStore, readLock, type LockOptions } from './lock-file.js';
import { describeError, isDsaUnavailable } from './dsa-breaker.js';
import { ensureOutDir } from './out-dir.js';
import { planLocal } from './plan.js';
import { earlyGeometryItems, geometryItems } from './geometry-prefetch.js';
import { fetchOrder, makeImageRouting, needsDsa, type ImageRouting } from './image-routing.js';
import { openRemote } from './remote-context.js';
import { openRunLog, type RunLog } from './run-log.js';
import { makeTransfer, needsSlides, type RunDownloadHooks } from './run-setup.js';
import { redactEvent, type SecretBox } from './secrets.js';
import { earlyRenders } from './steps/images.js';
import { openMaskZipSource, type MaskZipSource } from './steps/masks-zip.js';
import { buildMetaFiles, writeMetaFiles } from './steps/meta.js';
import type { RunStepContext } from './steps/step-context.js';
import { DOWNLOAD_STEPS, kindCaps } from './steps/step-table.js';
import { OptionalSourceUnavailable } from './steps/wsi-scripts.js';
import { toolVersion } from './tool-version.js';
import type { ArtifactStatus, Component, DownloadOptions, DownloadSummary, PipelineEvent } from './types.js';
import { runPool } from './worker-pool.js';

type Counts = Record<string, Record<string, number>>;
type MetaWork = ReturnType<typeof writeMetaFiles>;

function countsFor(components: readonly Component[]): Counts {
  const out: Counts = {};
  for (const c of components) out[c] = { done: 0, skipped: 0, failed: 0 };
  return out;
}

/** What `open()` learnt: the fetch list, and what meta/ and the WSI scripts describe. */
interface OpenedPlan {
  toFetch: Artifact[];
  store: LockStore;
  record: DatasetRecord;
  /** The options with every ROI the folder holds (subset runs add to the folder). */
  folderOptions: DownloadOptions;
}

export class DownloadRun {
  readonly outDir: string;
  private readonly t0 = performance.now();
  private readonly now: () => Date;
  private readonly redact: (text: string) => string;
  private readonly counts: Counts;
  private readonly failures: DownloadSummary['failures'] = [];
  private log: RunLog | null = null;
  private lease: Lease | null = null;
  private plan: OpenedPlan | null = null;
  private transfer: Transfer | null = null;
  /** A failure that ends the run for every artifact (authentication, disk, a lost lease). */
  private fatal: unknown = null;
  /** The login or listing failed: the run ends with that error, not one per artifact. */
  private connectFailed = false;
  /** Images made this run, per source (the summary's `imageSources`). */
  private readonly bySource = { dsa: 0, wsi: 0 };
  private routing: ImageRouting | null = null;
  /** Set once the run gives up its lease: no write may start after. */
  private windingDown = false;
  private metaWork: MetaWork | null = null;
  private metaSettled: Promise<unknown> | null = null;

  constructor(
    private readonly options: DownloadOptions,
    private readonly hooks: RunDownloadHooks,
    private readonly secrets: SecretBox,
  ) {
    this.now = hooks.now ?? (() => new Date());
    this.redact = secrets.redactor();
    this.outDir = resolve(options.outDir);
    this.counts = countsFor(options.components);
  }

  readonly emit = (event: PipelineEvent): void => {
    const safe = redactEvent(event, this.redact);
    try {
      this.hooks.onEvent?.(safe);
    } catch {
      // A failing renderer must not fail the download.
    }
    this.log?.event(safe);
  };

  readonly onTransferEvent = (e: TransferEvent): void => {
    if (e.type === 'retry') this.emit({ type: 'retry', url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason });
    else if (e.type === 'bytes') this.emit({ type: 'bytes', bytes: e.bytes });
    else if (e.type === 'request') this.log?.line('debug', `${e.lane} request #${e.attempt} ${e.url}`);
    else this.log?.line('debug', `${e.lane} ${e.status} ${e.url}`);
  };

  private bump(kind: string, status: ArtifactStatus): void {
    const row = (this.counts[kind] ??= { done: 0, skipped: 0, failed: 0 });
    row[status] = (row[status] ?? 0) + 1;
  }

  /**
   * Takes the lease (BusyError if another run holds it), reads the lock (a damaged one is moved
   * aside), refuses another dataset, removes a killed run's temp files, opens the log and plans
   * locally. Returns what is left to fetch; skipped artifacts are reported here.
   */
  async open(lockOptions: LockOptions): Promise<readonly Artifact[]> {
    const { options, outDir, now } = this;
    await ensureOutDir(outDir);
    this.lease = await acquireLease(outDir, this.hooks.lease);
    let read = await readLock(outDir, { moveAside: true, now });
    // One folder, one dataset: another spec is refused here, before anything is written.
    const folder = await checkFolderDataset(outDir, read.lock, options, now);
    if (folder.replacedTo !== undefined) read = { lock: null };
    const removed = await removeStaleTempFiles(outDir, 0);
    const log = (this.log = await openRunLog(outDir, now(), this.redact, now));
    log.line('info', `bcss ${toolVersion()} download into ${outDir}`);
    if (folder.replacedTo !== undefined) this.emit({ type: 'log', level: 'info', message: `--replace: moved the folder's previous dataset to ${folder.replacedTo}` });
    if (removed.length > 0) this.emit({ type: 'log', level: 'info', message: `removed ${removed.length} temp file(s) left by an interrupted run` });
    if (read.warning !== undefined) this.emit({ type: 'log', level: 'warn', message: read.warning });

    // Subset runs add to the folder: WSI scripts and meta/ describe every ROI it holds.
    const held = folderRois(mergeRecord(folder.previous, options, []), options);
    const previousEntries = new Map((read.lock?.artifacts ?? []).map((a) => [a.id, a] as const));
    const { artifacts, toFetch: fetchList, skipped } = await planLocal(options, outDir, (id) => previousEntries.get(id), held);
    const record = mergeRecord(folder.previous, options, artifacts.map((a) => a.id));
    const store = new LockStore({ outDir, previous: read.lock, toolVersion: toolVersion(), options: lockOptions, dataset: record, now, redact: this.redact });
    const toFetch = fetchList.map((f) => f.artifact);
    this.plan = { toFetch, store, record, folderOptions: { ...options, rois: held } };
    // What the last run journaled, and a grown dataset record, go into bcss.lock.json before this
    // run adds to it (so ROIs planned by an interrupted run still count as planned).
    if (read.journal === true || canonicalJson(record) !== canonicalJson(folder.previous)) await store.compact();
    for (const f of fetchList) log.line('info', `to fetch ${f.artifact.id}: ${f.reason}`);
    this.emit({ type: 'plan', total: artifacts.length, toFetch: toFetch.length, skipped: skipped.length, expectedBytes: null });
    for (const s of skipped) {
      // A re-hash that confirmed the file refreshes the recorded mtime, so the next run skips the hash.
      // A failed write is retried by the next one and reported by the final flush.
      if (s.rehashed) store.set(s.entry).catch(() => undefined);
      this.bump(s.artifact.kind, 'skipped');
      this.emit({ type: 'artifact-done', id: s.artifact.id, kind: s.artifact.kind, path: s.entry.path, bytes: s.entry.bytes, status: 'skipped' });
    }
    return toFetch;
  }

  /**
   * meta/ depends on the options only: written while the network work runs (once the first
   * requests are on their way), not after it. Once: from the fetch or from `close()`, whichever
   * comes first; never after the run has begun to wind down (its lease must cover every write).
   */
  private startMeta(): MetaWork {
    const plan = this.plan;
    if (plan !== null && this.metaWork === null && !this.windingDown) {
      const metaOptions = { ...plan.folderOptions, components: plan.record.components as Component[] };
      this.metaWork = writeMetaFiles(this.outDir, buildMetaFiles(metaOptions, toolVersion()), (id) => plan.store.get(id), this.now);
      this.metaSettled = this.metaWork.catch(() => undefined); // awaited by close(), also when the run ends early
    }
    return this.metaWork ?? Promise.resolve({ entries: [], written: 0 });
  }

  /** Connects (token, DSA listing; figshare/GDC lazily) and opens the masks' ZIP route. */
  private connect(toFetch: readonly Artifact[], plan: OpenedPlan): { ctx: RunStepContext; maskZip: MaskZipSource } {
    const { options, outDir, hooks } = this;
    const transfer = (this.transfer = makeTransfer(options, this.secrets, this.onTransferEvent, hooks));
    const early = earlyRenders(toFetch, options);
    const routing = (this.routing = makeImageRouting(options, outDir, toFetch, (reason) =>
      this.emit({ type: 'log', level: 'warn', message: `the DSA looks down (${reason}): the remaining ROI images whose slide is at hand are rendered from it without asking the DSA` }),
    ));
    const remote = openRemote({
      // The WSI scripts list every ROI of the folder, so the listing must resolve them all.
      options: plan.folderOptions,
      transfer,
      needSlides: needsSlides(toFetch, options),
      emit: this.emit,
      onSecret: (s) => this.secrets.add(s),
      earlyGeometry: earlyGeometryItems(toFetch, options, early.size),
      onListingFailed: (err) => {
        if (routing.fallback && isDsaUnavailable(err)) routing.breaker.trip(`the DSA folder listing failed after its retries: ${describeError(err)}`);
      },
      ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
    });
    const maskZip = openMaskZipSource({
      outDir,
      options,
      remote,
      wanted: toFetch.flatMap((a) => (a.kind === 'masks' && a.roi !== null ? [a.roi.maskFileId] : [])),
      emit: this.emit,
      elapsedSeconds: () => (performance.now() - this.t0) / 1000,
    });
    // Log in and list the DSA folder; meanwhile the first renders go out on the catalog's ids
    // (the images step) and every other task that needs the DSA waits for the listing. Slides
    // (GDC) and images from local slides never wait for it; a run that needs no DSA does not log in.
    const connected = toFetch.some((a) => needsDsa(a, options))
      ? remote.connect().then(() => remote.prefetchGeometry(geometryItems(toFetch.filter((a) => (a.kind !== 'images' && a.kind !== 'masks') || !routing.breaker.open), options, remote)))
      : Promise.resolve();
    connected.catch((err: unknown) => this.onConnectFailed(err, routing));
    const ctx: RunStepContext = {
      outDir,
      options,
      remote,
      now: this.now,
      maskZip,
      folderOptions: plan.folderOptions,
      early,
      connected,
      images: routing,
      log: (message) => this.log?.line('info', message),
      emit: this.emit,
      transferOverrides: { ...this.hooks.transferOverrides, ...(this.hooks.signal === undefined ? {} : { signal: this.hooks.signal }) },
    };
    return { ctx, maskZip };
  }

  /**
   * True once no new task may start: a fatal error, a lost lease, Ctrl-C, or --fail-fast. A failed
   * DSA login or listing is not among them: the tasks that need the DSA end at once (fetchOneStep),
   * and the slides from the GDC go on.
   */
  private readonly stop = (): boolean =>
    this.fatal !== null ||
    this.lease?.lost === true ||
    this.hooks.signal?.aborted === true ||
    (this.options.failFast && this.failures.length > 0);

  /**
   * A failed login or listing. With `--image-source dsa`, or for a refused login, it ends the run
   * (as it always has); otherwise images may still come from local slides, so the breaker opens,
   * and the steps that need the DSA fail one by one with this error.
   */
  private onConnectFailed(err: unknown, routing: ImageRouting): void {
    if (routing.mode === 'dsa' || (routing.mode === 'auto' && !routing.fallback) || !isDsaUnavailable(err)) {
      this.connectFailed = true;
      return;
    }
    routing.connectError = err instanceof Error ? err : new Error(String(err));
    routing.breaker.trip(`the DSA login failed: ${describeError(err)}`);
  }

  /** Fetches `toFetch` with the bounded worker pool, each artifact by its kind's step. */
  async fetch(toFetch: readonly Artifact[]): Promise<void> {
    const plan = this.plan;
    if (plan === null || toFetch.length === 0) return;
    const { ctx, maskZip } = this.connect(toFetch, plan);
    // The early renders first: they need no listing, so they start while it is on the wire. Only
    // the slides go before them, when images may be made from them (image-routing.ts).
    const early = toFetch.filter((a) => ctx.early.has(a.id));
    const ordered = fetchOrder([...early, ...toFetch.filter((a) => !ctx.early.has(a.id))], this.options);
    const pool = runPool(
      ordered.map((a) => ({ kind: a.kind, run: () => this.fetchOne(ctx, plan.store, a) })),
      { concurrency: this.options.concurrency, caps: kindCaps(this.options), stop: this.stop },
    );
    setImmediate(() => void this.startMeta());
    const notStarted = await pool;
    ctx.images.arrivals.abandon(new Error('the run stopped before this slide was fetched'));
    await maskZip.close();
    // A failed login or listing ends the run here, with its own error (unless Ctrl-C cut it short).
    await ctx.connected.catch(() => undefined);
    if (this.hooks.signal?.aborted !== true && this.connectFailed) await ctx.connected;
    for (const t of notStarted) this.bump(t.kind, 'planned');
    if (this.lease?.lost === true && this.fatal === null) {
      this.fatal = new BusyError(`another bcss run took over the output folder ${this.outDir} while this one was stalled; this run stopped`, {
        hint: 'Let the other run finish; a later rerun fetches whatever is still missing.',
      });
    }
  }

  /** One artifact: its step, then the lock; a failure is recorded, never thrown. */
  private async fetchOne(ctx: RunStepContext, store: LockStore, a: Artifact): Promise<void> {
    const shownPath = a.path ?? a.id;
    try {
      await this.fetchOneStep(ctx, store, a, shownPath);
    } finally {
      // Images waiting for a slide that will now never start must not wait for ever.
      if (this.stop()) ctx.images.arrivals.abandon(new Error('the run stopped before this slide was fetched'));
    }
  }

  private async fetchOneStep(ctx: RunStepContext, store: LockStore, a: Artifact, shownPath: string): Promise<void> {
    if (!ctx.early.has(a.id) && needsDsa(a, this.options)) {
      try {
        await ctx.connected;
      } catch (err) {
        if (this.connectFailed) return; // the run fails with the connection's error, not one per artifact
        // auto/wsi: images (and the masks' sizes) may still come from their slides (the step decides); the rest fail here.
        if (a.kind !== 'images' && a.kind !== 'masks') {
          this.recordFailure(a, shownPath, err);
          return;
        }
      }
    }
    this.emit({ type: 'artifact-start', id: a.id, kind: a.kind, path: shownPath });
    try {
      const { entry, warning } = await DOWNLOAD_STEPS[a.kind].run(ctx, a);
      if (warning !== undefined) this.emit({ type: 'log', level: 'warn', message: warning });
      if (entry === null) {
        this.bump(a.kind, 'skipped');
        this.emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: shownPath, bytes: 0, status: 'skipped' });
        return;
      }
      await store.set(entry);
      if (entry.kind === 'images') this.bySource[imageSourceOf(entry)] += 1;
      this.bump(a.kind, 'done');
      this.emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: entry.path, bytes: entry.bytes, status: 'done' });
    } catch (err) {
      this.recordFailure(a, shownPath, err);
    }
  }

  private recordFailure(a: Artifact, shownPath: string, err: unknown): void {
    if (err instanceof OptionalSourceUnavailable) {
      this.emit({ type: 'log', level: 'warn', message: err.message });
      this.bump(a.kind, 'skipped');
      this.emit({ type: 'artifact-done', id: a.id, kind: a.kind, path: shownPath, bytes: 0, status: 'skipped' });
      return;
    }
    if (this.connectFailed && needsDsa(a, this.options)) return; // e.g. an early render cut short by the failed login or listing
    if (this.hooks.signal?.aborted === true) {
      // Cut short by Ctrl-C: not a failure of the item; the rerun fetches it.
      this.bump(a.kind, 'planned');
      return;
    }
    if ((err instanceof AuthError || err instanceof DiskError) && this.fatal === null) this.fatal = err;
    const reason = this.redact(err instanceof Error ? err.message : String(err));
    this.failures.push({ item: a.id, reason, kind: isBcssError(err) ? err.kind : 'internal' });
    this.bump(a.kind, 'failed');
    this.emit({ type: 'artifact-failed', id: a.id, kind: a.kind, path: shownPath, reason });
  }

  /**
   * Ends the run. `completed` (open and fetch ran through): meta/ is written and the lock flushed,
   * and their errors are thrown. Always, and whatever happened: what was recorded reaches the disk
   * (if the compaction fails, the journal still holds it), the log closes and the lease is given up.
   */
  async close(completed: boolean): Promise<void> {
    try {
      const store = this.plan?.store;
      if (completed && store !== undefined) {
        const meta = await (this.metaWork ?? this.startMeta());
        for (const e of meta.entries) store.set(e).catch(() => undefined);
        if (meta.written > 0) this.emit({ type: 'log', level: 'info', message: `meta/: wrote ${meta.written} file(s)` });
        await store.close();
      }
    } finally {
      // No write of this run may outlive its lease.
      this.windingDown = true;
      await this.metaSettled;
      await this.plan?.store.close().catch(() => undefined);
      const stats = this.stats();
      this.log?.line(
        'info',
        `finished: ${stats.requests} requests, ${stats.bytes} bytes, ${stats.retries} retries, ${this.failures.length} failure(s), ${this.seconds().toFixed(1)} s`,
      );
      await this.log?.close().catch(() => undefined);
      await this.lease?.release().catch(() => undefined);
    }
  }

  private stats(): { requests: number; bytes: number; retries: number } {
    return this.transfer?.stats ?? { requests: 0, bytes: 0, retries: 0 };
  }

  private seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** The run's summary, or its run-wide failure. An abort (Ctrl-C) is not thrown: the caller sees its signal. */
  summary(): DownloadSummary {
    if (this.fatal !== null) throw this.fatal instanceof Error ? this.fatal : new Error(JSON.stringify(this.fatal));
    const stats = this.stats();
    return {
      requests: stats.requests,
      bytes: stats.bytes,
      retries: stats.retries,
      seconds: this.seconds(),
      failures: this.failures,
      components: this.counts,
      outDir: this.outDir,
      lockPath: join(this.outDir, LOCK_FILE_NAME),
      logPath: this.log?.path ?? null,
      dryRun: false,
      ...(this.options.components.includes('images') ? { imageSources: { ...this.bySource, fallbacks: this.routing?.fallbacks ?? 0 } } : {}),
      ...(this.hooks.signal?.aborted === true ? { interrupted: true } : {}),
    };
  }
}
