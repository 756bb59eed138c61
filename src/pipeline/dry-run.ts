/**
 * `--dry-run`: the plan without writing anything — no lease, no lock (a damaged one is only
 * reported), no log, no folder. Remote metadata is read (token, listing, `/tiles`) so the
 * expected pixel sizes are real (with `--image-source wsi`, from the local slide files and not
 * the DSA); if the services cannot be reached the plan is still listed, without sizes. Free space is checked on the nearest existing folder.
 */
import { join } from 'node:path';
import { AuthError } from '../errors.js';
import { predictOutputSize } from '../geometry/region-size.js';
import type { SlideGeometry } from '../geometry/types.js';
import { builtinSlides } from '../catalog/slides.js';
import { readSlideFolder, slideFileFor, type SlideFolder } from '../render/slide-files.js';
import { openSlide } from '../slides/open-slide.js';
import { slideGeometry } from '../slides/slide-geometry.js';
import type { TransferEvent } from '../transfer/types.js';
import type { Artifact } from './artifacts.js';
import { estimateBytes } from './estimate.js';
import { freeBytesFor } from './free-space.js';
import { checkFreeSpace, wsiBytesToFetch, wsiFolder } from './wsi-space.js';
import { planLocal } from './plan.js';
import { LOCK_FILE_NAME, readLock } from './lock-file.js';
import { connectRemote, type RemoteContext } from './remote-context.js';
import { makeTransfer, needsSlides, type RunDownloadHooks } from './run-setup.js';
import type { SecretBox } from './secrets.js';

export { freeBytesFor } from './free-space.js';
import type { DownloadOptions, DownloadSummary, PipelineEvent } from './types.js';

export interface DryRunInput {
  options: DownloadOptions;
  outDir: string;
  secrets: SecretBox;
  emit: (e: PipelineEvent) => void;
  hooks: RunDownloadHooks;
  onTransferEvent: (e: TransferEvent) => void;
  t0: number;
}

/** Where a slide's geometry comes from in the plan: the DSA's `/tiles`, or (`--image-source wsi`) the local file. */
type GeometryLookup = (roi: NonNullable<Artifact['roi']>) => Promise<SlideGeometry>;

function dsaGeometry(remote: RemoteContext): GeometryLookup {
  return (roi) => remote.geometryFor(remote.slideFor(roi).itemId);
}

/**
 * With `--image-source wsi` images and masks are sized from the local slide, so the plan reads
 * the slide files' headers instead of asking the DSA; a slide not on disk yet (fetched by this
 * run's `wsis`) leaves its ROIs without sizes. Each file is opened once.
 */
function localGeometry(wsiDir: string): GeometryLookup {
  let folder: Promise<SlideFolder> | undefined;
  const bySlide = new Map<string, Promise<SlideGeometry>>();
  return async (roi) => {
    folder ??= readSlideFolder(wsiDir).catch(() => ({ dir: wsiDir, names: [] }));
    const found = slideFileFor(roi, await folder, builtinSlides());
    if (!found.ok) throw new Error(found.reason);
    let geometry = bySlide.get(found.path);
    if (geometry === undefined) {
      geometry = openSlide(found.path).then(async (source) => {
        try {
          return slideGeometry(source);
        } finally {
          await source.close().catch(() => undefined);
        }
      });
      bySlide.set(found.path, geometry);
    }
    return geometry;
  };
}

async function expectedSize(a: Artifact, options: DownloadOptions, lookup: GeometryLookup | null): Promise<{ width: number; height: number } | null> {
  const roi = a.roi;
  if (roi === null || (a.kind !== 'images' && a.kind !== 'masks')) return null;
  if (options.resolution.kind === 'base' && a.kind === 'masks') return { width: roi.xmax - roi.xmin, height: roi.ymax - roi.ymin };
  if (lookup === null) return null;
  try {
    const geometry = await lookup(roi);
    return predictOutputSize(geometry, { left: roi.xmin, top: roi.ymin, right: roi.xmax, bottom: roi.ymax }, options.resolution);
  } catch {
    return null;
  }
}

export async function runDryRun(input: DryRunInput): Promise<DownloadSummary> {
  const { options, outDir, secrets, emit, hooks } = input;
  const read = await readLock(outDir, { moveAside: false });
  if (read.warning !== undefined) emit({ type: 'log', level: 'warn', message: read.warning });
  const entries = new Map((read.lock?.artifacts ?? []).map((e) => [e.id, e] as const));
  const local = await planLocal(options, outDir, (id) => entries.get(id));
  const { artifacts } = local;
  const toFetch = local.toFetch.map((f) => f.artifact);

  const transfer = makeTransfer(options, secrets, input.onTransferEvent, hooks);
  let remote: RemoteContext | null = null;
  const localSizes = options.imageSource === 'wsi';
  if (!localSizes && toFetch.some((a) => a.kind === 'images' || a.kind === 'masks')) {
    try {
      remote = await connectRemote({
        options,
        transfer,
        needSlides: needsSlides(toFetch, options),
        emit,
        onSecret: (s) => secrets.add(s),
        ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      });
    } catch (err) {
      if (err instanceof AuthError) throw err;
      emit({ type: 'log', level: 'warn', message: `could not reach the DSA, so pixel sizes are unknown: ${(err as Error).message}` });
    }
  }

  // Slides: their GDC records' sizes, less what parts already hold.
  const wsiBytes = await wsiBytesToFetch(toFetch, options, outDir, transfer).catch((err: unknown) => {
    if (err instanceof AuthError) throw err;
    emit({ type: 'log', level: 'warn', message: `could not reach the GDC, so slide sizes are unknown: ${(err as Error).message}` });
    return new Map<string, number>();
  });
  const lookup = localSizes ? localGeometry(wsiFolder(options, outDir)) : remote === null ? null : dsaGeometry(remote);
  const plan = await Promise.all(
    toFetch.map(async (a) => {
      const size = await expectedSize(a, options, lookup);
      const est = a.kind === 'wsis' ? (wsiBytes.get(a.id) ?? null) : estimateBytes(a.kind, size, options.encoding);
      return {
        id: a.id,
        kind: a.kind,
        path: a.path ?? a.id,
        ...(size === null ? {} : { width: size.width, height: size.height }),
        ...(est === null ? {} : { estimatedBytes: est }),
      };
    }),
  );
  const estimated = plan.reduce((sum, p) => sum + (p.estimatedBytes ?? 0), 0);
  const free = await freeBytesFor(outDir);
  const counts: Record<string, Record<string, number>> = {};
  for (const c of options.components) counts[c] = { planned: 0, skipped: 0 };
  const count = (kind: string, key: 'planned' | 'skipped'): void => {
    const row = (counts[kind] ??= { planned: 0, skipped: 0 });
    row[key] = (row[key] ?? 0) + 1;
  };
  for (const a of toFetch) count(a.kind, 'planned');
  for (const s of local.skipped) count(s.artifact.kind, 'skipped');
  emit({ type: 'plan', total: artifacts.length, toFetch: toFetch.length, skipped: artifacts.length - toFetch.length, expectedBytes: estimated });
  if (free !== undefined && estimated > free) {
    emit({
      type: 'log',
      level: 'warn',
      message: `about ${estimated} bytes are needed but only ${free} are free on the file system of ${outDir}`,
    });
  }
  if (wsiBytes.size > 0) {
    const slideBytes = [...wsiBytes.values()].reduce((a, b) => a + b, 0);
    emit({ type: 'log', level: 'info', message: `wsis: ${wsiBytes.size} slide(s), ${slideBytes} bytes (${(slideBytes / 1e9).toFixed(2)} GB) to fetch into ${wsiFolder(options, outDir)}` });
    await checkFreeSpace(wsiFolder(options, outDir), slideBytes, `--components wsis`);
  }
  return {
    requests: transfer.stats.requests,
    bytes: transfer.stats.bytes,
    retries: transfer.stats.retries,
    seconds: (performance.now() - input.t0) / 1000,
    failures: [],
    components: counts,
    outDir,
    lockPath: join(outDir, LOCK_FILE_NAME),
    logPath: null,
    dryRun: true,
    plan,
    estimatedBytes: estimated,
    ...(free === undefined ? {} : { freeBytes: free }),
  };
}
