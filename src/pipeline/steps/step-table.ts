/**
 * The download run's steps, one per component: how an artifact of that kind is fetched, and how
 * many of its kind may be in progress at once. A new component is one entry here.
 */
import type { Artifact } from '../artifacts.js';
import type { LockEntry } from '../lock-file.js';
import { toolVersion } from '../tool-version.js';
import type { Component, DownloadOptions } from '../types.js';
import { fetchAnnotations } from './annotations.js';
import { imageBySource } from './image-source.js';
import { maskSizeSource } from './mask-size.js';
import { fetchMask } from './masks.js';
import type { RunStepContext } from './step-context.js';
import { writeWsiScript } from './wsi-scripts.js';
import { fetchWsi } from './wsis.js';

/** A step's result: the lock entry (null: nothing to store, counted as skipped) and a warning to show. */
export interface StepOutcome {
  entry: LockEntry | null;
  warning?: string;
}

export interface DownloadStep {
  run: (ctx: RunStepContext, artifact: Artifact) => Promise<StepOutcome>;
  /**
   * Most tasks of this kind at once. The lanes enforce politeness; these caps only keep one kind
   * from taking every worker.
   */
  cap: (options: DownloadOptions) => number;
}

const lane = (options: DownloadOptions, name: string, fallback: number): number => options.lanes[name]?.concurrency ?? fallback;

export const DOWNLOAD_STEPS: Record<Component, DownloadStep> = {
  images: {
    run: async (ctx, a) => ({ entry: await imageBySource(ctx, a) }),
    // Twice the render lane: a render's slot frees when its answer starts, while its task still
    // receives and checks the bytes, so the next task must already be waiting on the lane.
    cap: (o) => lane(o, 'dsa-render', 4) * 2,
  },
  masks: {
    run: async (ctx, a) => ({ entry: await fetchMask(ctx, a, maskSizeSource(ctx, a)) }),
    // A mask holds a figshare slot for its redirect, then an object-store slot for the blob.
    cap: (o) => lane(o, 'figshare', 1) * 2 + 2,
  },
  annotations: {
    run: async (ctx, a) => ({ entry: await fetchAnnotations(ctx, a) }),
    cap: (o) => lane(o, 'dsa', 4),
  },
  'wsi-scripts': {
    // The scripts list every ROI the folder holds, not only this run's.
    run: (ctx, a) => writeWsiScript({ ...ctx, options: ctx.folderOptions }, a, toolVersion()),
    cap: () => 1,
  },
  wsis: {
    run: async (ctx, a) => {
      const name = a.slideFileName ?? '';
      try {
        const entry = await fetchWsi(ctx, a, { emit: ctx.emit, overrides: ctx.transferOverrides });
        // An image waiting for this slide may render it once the lock line is written; the
        // file is already in place (renamed, folder synced), which is all the render needs.
        ctx.images.arrivals.arrived(name);
        return { entry };
      } catch (err) {
        ctx.images.arrivals.failed(name, err);
        throw err;
      }
    },
    // Whole slides, like gdc-client: a few at a time saturate a link without flooding the GDC.
    cap: (o) => o.gdcConcurrency ?? 2,
  },
};

/**
 * Most tasks of each kind at once. Images and masks get more than their lanes allow, so a task
 * that is finishing (transfer, header check, fsync, rename, lock) never leaves a lane slot idle:
 * the next one is already queued on the lane when a slot frees.
 */
export function kindCaps(options: DownloadOptions): Record<Component, number> {
  const caps = {} as Record<Component, number>;
  for (const [kind, step] of Object.entries(DOWNLOAD_STEPS) as Array<[Component, DownloadStep]>) caps[kind] = step.cap(options);
  return caps;
}
