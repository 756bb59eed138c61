/**
 * `wsis`: the slides themselves, from the NCI GDC (docs/protocols.md, "GDC files query" and "GDC data download"; docs/wsis.md). All wanted slides are
 * resolved with one `POST /files` (the remote context caches the lookup, so every slide of the run
 * shares it), each record is held to its real shape (gdc-checks.ts), and `GET /data/{file_id}` is
 * streamed to `<wsi-dir>/<file_name>` by the resumable downloader: size and whole-file md5 checked,
 * stored atomically, a `.part` kept across runs.
 */
import { join } from 'node:path';
import { AuthError, BcssError, IntegrityError } from '../../errors.js';
import { gdcAuthHeaders } from '../../remote/gdc-client.js';
import type { GdcFileHit } from '../../remote/types.js';
import { downloadResumable } from '../../transfer/resumable-download.js';
import type { TransferOptions } from '../../transfer/types.js';
import type { Artifact } from '../artifacts.js';
import type { LockEntry } from '../lock-file.js';
import type { PipelineEvent } from '../types.js';
import { wsiSlideNames } from '../wsi-artifacts.js';
import { checkFreeSpace, remainingBytes, wsiFolder } from '../wsi-space.js';
import type { StepContext } from './step-context.js';

export interface WsiStepExtras {
  emit: (event: PipelineEvent) => void;
  /** The run's test overrides of the engine (backoff, sleep); the same knobs apply here. */
  overrides?: Partial<TransferOptions>;
  /** Progress lines at most this often per slide (ms, default 5000). */
  progressEveryMs?: number;
}

/** The one GDC record of this slide, or an error that says why there is none. */
async function recordOf(ctx: StepContext, name: string): Promise<GdcFileHit> {
  const lookup = await ctx.remote.gdcLookup(wsiSlideNames(ctx.options.rois));
  const hit = lookup.files.get(name);
  if (hit !== undefined) return hit;
  const refused = lookup.refused.find((r) => r.name === name);
  if (refused !== undefined) throw new IntegrityError(`${name}: GDC record refused, ${refused.issue}`, { hint: 'Check --gdc-url: the answer carries values no real record has.' });
  if (lookup.ambiguous.includes(name)) throw new BcssError('remote', `${name}: the GDC holds several files of this name; which one is meant is unknowable`);
  throw new BcssError('remote', `${name}: not found on the GDC (${ctx.options.gdcUrl})`, { hint: 'Check --gdc-url, or take the slide from the DSA with the wsi-scripts component.' });
}

function checkUsable(hit: GdcFileHit, hasToken: boolean): void {
  if (hit.state !== 'released') {
    throw new BcssError('remote', `${hit.fileName}: the GDC file ${hit.fileId} is in state "${hit.state}", not released`, { hint: 'Try again once the GDC has released it.' });
  }
  if (hit.access !== 'open' && !hasToken) {
    throw new AuthError(`${hit.fileName}: the GDC file ${hit.fileId} is ${hit.access} access: no access, not retried`, {
      hint: 'Set BCSS_GDC_TOKEN (environment or config file) to a GDC token with access to it.',
    });
  }
}

function formatMb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Throttled per-slide progress: bytes, rate and ETA. */
function progressReporter(name: string, total: number, extras: WsiStepExtras): (bytes: number) => void {
  const every = extras.progressEveryMs ?? 5000;
  const t0 = performance.now();
  let got = 0;
  let last = t0;
  return (bytes) => {
    got += bytes;
    extras.emit({ type: 'bytes', bytes });
    const now = performance.now();
    if (now - last < every) return;
    last = now;
    const rate = got / Math.max(1e-3, (now - t0) / 1000);
    const eta = rate > 0 ? Math.ceil((total - got) / rate) : null;
    extras.emit({ type: 'log', level: 'info', message: `wsis/${name}: ${formatMb(got)} this run, ${formatMb(rate)}/s, ETA ${eta === null ? '?' : `${eta} s`}` });
  };
}

export async function fetchWsi(ctx: StepContext, artifact: Artifact, extras: WsiStepExtras): Promise<LockEntry> {
  const name = artifact.slideFileName;
  if (name === null || artifact.path === null) throw new Error(`wsis artifact ${artifact.id} has no slide name`);
  const { options } = ctx;
  const hit = await recordOf(ctx, name);
  checkUsable(hit, options.gdcToken !== undefined);
  const dir = wsiFolder(options, ctx.outDir);
  // Refused before a byte is fetched when the slide cannot fit (a full disk mid-file still keeps the part).
  await checkFreeSpace(dir, await remainingBytes(dir, hit.fileName, hit.fileSize), hit.fileName);
  const url = `${options.gdcUrl.replace(/\/+$/, '')}/data/${hit.fileId}`;
  const o = extras.overrides ?? {};
  // The run's summary counts these requests, bytes and retries with the engine's own.
  const stats = ctx.remote.transfer.stats;
  const progress = progressReporter(hit.fileName, hit.fileSize, extras);
  const result = await downloadResumable({
    url,
    destPath: join(dir, hit.fileName),
    expectedBytes: hit.fileSize,
    expectedMd5: hit.md5sum.toLowerCase(),
    label: hit.fileName,
    ...gdcAuthHeaders(options.gdcToken),
    maxRetries: options.maxRetries,
    idleTimeoutMs: options.idleTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs,
    ...(o.baseDelayMs === undefined ? {} : { baseDelayMs: o.baseDelayMs }),
    ...(o.maxDelayMs === undefined ? {} : { maxDelayMs: o.maxDelayMs }),
    ...(o.sleep === undefined ? {} : { sleep: o.sleep }),
    ...(o.random === undefined ? {} : { random: o.random }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    onRequest: () => (stats.requests += 1),
    onBytes: (n) => {
      stats.bytes += n;
      progress(n);
    },
    onRetry: (reason, delayMs, from) => {
      stats.retries += 1;
      extras.emit({ type: 'retry', url, attempt: 0, delayMs, reason: `${reason}; resuming from byte ${from}` });
    },
    onRestart: (reason) => extras.emit({ type: 'log', level: 'warn', message: reason }),
  });
  if (result.resumedFrom > 0) {
    extras.emit({ type: 'log', level: 'info', message: `${hit.fileName}: continued from byte ${result.resumedFrom} of an earlier run's part` });
  }
  return {
    id: artifact.id,
    kind: 'wsis',
    path: artifact.path,
    bytes: result.bytes,
    sha256: result.sha256,
    mtimeMs: result.mtimeMs,
    source: { url, params: artifact.params },
    sourceChecksum: { md5: result.md5 },
    status: 'done',
    completed: ctx.now().toISOString(),
  };
}
