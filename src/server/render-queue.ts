import { realClock, type Clock } from './http/token-bucket.js';

/**
 * The DSA renders regions with a few workers; a queue models that: at most `concurrency` renders
 * at a time, each holding its slot for `msPerMegapixel` × output megapixels of modelled time
 * (a timer, not CPU) plus the real work. It also bounds how many regions are decoded at once,
 * which keeps the server's memory bounded under a burst of requests.
 */
export class RenderQueue {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly msPerMegapixel: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`RenderQueue: expected a concurrency >= 1 but received ${concurrency}`);
    if (!(msPerMegapixel >= 0)) throw new RangeError(`RenderQueue: expected msPerMegapixel >= 0 but received ${msPerMegapixel}`);
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  async run<T>(megapixels: number, work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active += 1;
    try {
      const delay = this.msPerMegapixel * megapixels;
      if (delay > 0) await this.clock.sleep(delay);
      return await work();
    } finally {
      const next = this.waiters.shift();
      // Hand the slot straight to the next waiter so `active` never overshoots.
      if (next) next();
      else this.active -= 1;
    }
  }
}
