/**
 * A cache of computed buffers bounded in bytes: concurrent requests for one key share one
 * computation, a failed one is forgotten (so a later request retries it), and beyond the bound the
 * oldest settled entries go first (FIFO: the demo's tile reads sweep a slide row by row, so age
 * is as good a guide as recency, at no bookkeeping cost per hit).
 */
export class BoundedBufferCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  /** Settled entries and their sizes, oldest first. */
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    let p = this.entries.get(key);
    if (p === undefined) {
      p = make();
      this.entries.set(key, p);
      p.then(
        (buf) => this.account(key, buf.length),
        () => this.entries.delete(key),
      );
    }
    return p;
  }

  /** Bytes held by settled entries (for tests). */
  get size(): number {
    return this.bytes;
  }

  private account(key: string, size: number): void {
    if (!this.entries.has(key)) return;
    this.sizes.set(key, size);
    this.bytes += size;
    for (const [old, oldSize] of this.sizes) {
      if (this.bytes <= this.maxBytes) break;
      this.sizes.delete(old);
      this.entries.delete(old);
      this.bytes -= oldSize;
    }
  }
}
