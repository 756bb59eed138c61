/** Time source for throttling and modelled delays; tests pass a fake one. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket shared by every response of one service, so `bandwidthBytesPerSec` caps the
 * total rate like a thin uplink would, not each response separately. Takers are served first
 * come, first served; the bucket holds at most `capacity` bytes (a ~50 ms burst).
 */
export class TokenBucket {
  readonly capacity: number;
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly bytesPerSec: number,
    private readonly clock: Clock = realClock,
    capacity?: number,
  ) {
    if (!(bytesPerSec > 0) || !Number.isFinite(bytesPerSec)) {
      throw new RangeError(`TokenBucket: expected a positive finite rate but received ${bytesPerSec}`);
    }
    this.capacity = capacity ?? Math.max(16 * 1024, Math.ceil(bytesPerSec / 20));
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Resolves when `bytes` may be sent. */
  take(bytes: number): Promise<void> {
    const turn = this.queue.then(() => this.acquire(bytes));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.bytesPerSec) / 1000);
    this.last = now;
  }

  private async acquire(bytes: number): Promise<void> {
    let left = bytes;
    while (left > 0) {
      const want = Math.min(left, this.capacity);
      this.refill();
      if (this.tokens >= want) {
        this.tokens -= want;
        left -= want;
        continue;
      }
      await this.clock.sleep(Math.ceil(((want - this.tokens) * 1000) / this.bytesPerSec));
    }
  }
}
