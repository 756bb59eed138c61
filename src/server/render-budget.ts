/**
 * A memory budget for `tiles/region` renders (`bcss serve --render-memory-mb`). Each render asks
 * for its estimated peak memory and waits until it fits; it gives the memory back when its
 * answer has been sent (a buffered body, or a stream's working set, lives that long). So however
 * many near-maximum regions arrive, and however slowly their clients read, at most the budget is
 * held by renders — the rest wait in the queue holding nothing but their request.
 *
 * Large renders may take at most `largeShare` of the budget together, so small renders (a
 * thumbnail, a 256 × 256 tile) always find room and answer at once. Waiters are served in
 * arrival order, except that a large one that does not fit yet does not hold back small ones.
 */
export interface RenderBudgetOptions {
  /** Total bytes renders may hold at once. */
  capacityBytes: number;
  /** A render asking for more than this is "large" (default capacity / 16). */
  largeAboveBytes?: number;
  /** Share of the capacity large renders may hold together (default 0.75). */
  largeShare?: number;
}

interface Waiter {
  bytes: number;
  large: boolean;
  grant: () => void;
}

export const DEFAULT_RENDER_MEMORY_MB = 768;

export class RenderBudget {
  readonly capacity: number;
  readonly largeAbove: number;
  readonly largeCap: number;
  private used = 0;
  private usedLarge = 0;
  private readonly waiters: Waiter[] = [];

  constructor(options: RenderBudgetOptions) {
    if (!(options.capacityBytes > 0)) throw new RangeError(`RenderBudget: expected a capacity > 0 but received ${options.capacityBytes}`);
    this.capacity = options.capacityBytes;
    this.largeAbove = options.largeAboveBytes ?? this.capacity / 16;
    this.largeCap = this.capacity * (options.largeShare ?? 0.75);
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Wait until `bytes` fit, then hold them; the returned function gives them back (idempotent).
   * A request above what it could ever get is clamped, so it runs alone rather than never.
   */
  async acquire(bytes: number): Promise<() => void> {
    const large = bytes > this.largeAbove;
    const cost = Math.max(0, Math.min(bytes, large ? this.largeCap : this.capacity));
    // Large renders keep their arrival order among themselves; a small one that fits goes at once.
    const queuedLarge = large && this.waiters.some((w) => w.large);
    if (!queuedLarge && this.fits(cost, large)) this.take(cost, large);
    else await new Promise<void>((grant) => this.waiters.push({ bytes: cost, large, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= cost;
      if (large) this.usedLarge -= cost;
      this.drain();
    };
  }

  private fits(cost: number, large: boolean): boolean {
    return this.used + cost <= this.capacity && (!large || this.usedLarge + cost <= this.largeCap);
  }

  private take(cost: number, large: boolean): void {
    this.used += cost;
    if (large) this.usedLarge += cost;
  }

  private drain(): void {
    let largeBlocked = false;
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as Waiter;
      const ok = this.fits(w.bytes, w.large) && !(w.large && largeBlocked);
      if (w.large && !ok) largeBlocked = true;
      if (ok) {
        this.waiters.splice(i, 1);
        this.take(w.bytes, w.large);
        w.grant();
      } else i++;
    }
  }
}

/** Bytes per pixel a buffered render holds at its peak: RGB read, RGBA resample, encoder buffers. */
const BUFFERED_BYTES_PER_READ_PIXEL = 3;
const BUFFERED_BYTES_PER_OUT_PIXEL = 8;
/** A streamed render's working set per strip pixel (source rows, resampled strip, encoder state). */
const STREAM_BYTES_PER_STRIP_PIXEL = 16;

/** Estimated peak memory of one render (see docs/security-serve.md for the measured basis). */
export function renderCost(kind: 'buffered' | 'streamed', readPixels: number, outPixels: number, stripPixels: number): number {
  if (kind === 'streamed') return STREAM_BYTES_PER_STRIP_PIXEL * stripPixels * Math.max(1, Math.min(4, readPixels / Math.max(1, outPixels)));
  return BUFFERED_BYTES_PER_READ_PIXEL * readPixels + BUFFERED_BYTES_PER_OUT_PIXEL * outPixels + 1024 * 1024;
}
