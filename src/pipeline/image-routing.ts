/**
 * The run-wide state behind `--image-source` (docs/local-render.md): which source each ROI image
 * is asked of, the DSA circuit breaker, the slides this run downloads (an image waits for its
 * own), the slide folder, and a bound on local renders at once (they are CPU and memory, not
 * network: a few strips and sharp's threads each).
 */
import type { Artifact } from './artifacts.js';
import { DsaBreaker } from './dsa-breaker.js';
import { SlideArrivals } from './slide-arrivals.js';
import type { DownloadOptions, ImageSource } from './types.js';
import { wsiFolder } from './wsi-space.js';

/** Local renders at once: each is CPU-bound and holds a few strips, so two keep both cores busy within a few hundred MB. */
export const LOCAL_RENDERS_AT_ONCE = 2;

/** A counting semaphore. */
export class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.free += 1;
    }
  }
}

export interface ImageRouting {
  mode: ImageSource;
  /** `auto` with PNG images: a failed DSA render may be made from the local slide (JPEG renders cannot). */
  fallback: boolean;
  breaker: DsaBreaker;
  arrivals: SlideArrivals;
  /** The slide folder: `--wsi-dir` or OUT/wsis. */
  wsiDir: string;
  /** `wsis` is among the components: a slide not yet here is on its way. */
  wsisRequested: boolean;
  localSlots: Slots;
  /** Images made from a local slide after the DSA failed for them (or was down). */
  fallbacks: number;
  /** The login or listing failed without ending the run (auto/wsi): the DSA steps report this. */
  connectError: Error | null;
}

export function imageSourceOf(options: Pick<DownloadOptions, 'imageSource'>): ImageSource {
  return options.imageSource ?? 'auto';
}

export function makeImageRouting(options: DownloadOptions, outDir: string, toFetch: readonly Artifact[], onBreakerOpen: (reason: string) => void): ImageRouting {
  const mode = imageSourceOf(options);
  const slides = toFetch.flatMap((a) => (a.kind === 'wsis' && a.slideFileName !== null ? [a.slideFileName] : []));
  return {
    mode,
    fallback: mode === 'auto' && options.encoding === 'png',
    breaker: new DsaBreaker(onBreakerOpen),
    arrivals: new SlideArrivals(slides),
    wsiDir: wsiFolder(options, outDir),
    wsisRequested: options.components.includes('wsis'),
    localSlots: new Slots(LOCAL_RENDERS_AT_ONCE),
    fallbacks: 0,
    connectError: null,
  };
}

/**
 * Whether an artifact's step talks to the DSA (and so waits for the login and listing): slides
 * come from the GDC, masks at base resolution need no slide metadata, and with `wsi` images and
 * masks read the local slides only.
 */
export function needsDsa(a: Pick<Artifact, 'kind'>, options: Pick<DownloadOptions, 'resolution' | 'imageSource'>): boolean {
  if (a.kind === 'wsis') return false;
  // With `wsi`, masks take their size from the local slide, as the images do.
  if (a.kind === 'masks') return options.resolution.kind !== 'base' && imageSourceOf(options) !== 'wsi';
  if (a.kind === 'images') return imageSourceOf(options) !== 'wsi';
  return true;
}

/**
 * The fetch order: slides first when images may be made from them, so that a worker never waits
 * on a slide whose download has not been started (with `--concurrency 1` it would wait forever).
 */
export function fetchOrder(toFetch: readonly Artifact[], options: DownloadOptions): Artifact[] {
  if (imageSourceOf(options) === 'dsa' || !toFetch.some((a) => a.kind === 'images' || a.kind === 'masks')) return [...toFetch];
  return [...toFetch.filter((a) => a.kind === 'wsis'), ...toFetch.filter((a) => a.kind !== 'wsis')];
}
