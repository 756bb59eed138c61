/**
 * When `wsis` is among the components, an image rendered from a local slide waits for its own
 * slide's download, not for the whole run: one promise per slide file the run fetches, settled by
 * the `wsis` step. Slides the run does not fetch (already verified, or not asked for) need no wait.
 */

export class SlideArrivals {
  private readonly pending = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>();

  /** `names`: the slide files this run downloads. */
  constructor(names: Iterable<string>) {
    for (const name of names) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // a waiter reports it; nobody waiting is fine too
      this.pending.set(name, { promise, resolve, reject });
    }
  }

  /** True when this run downloads the slide (an image of it waits for that). */
  expects(name: string): boolean {
    return this.pending.has(name);
  }

  /** Resolves once the slide is in place, rejects with its download's error; at once for a slide not being fetched. */
  wait(name: string): Promise<void> {
    return this.pending.get(name)?.promise ?? Promise.resolve();
  }

  arrived(name: string): void {
    this.pending.get(name)?.resolve();
  }

  failed(name: string, err: unknown): void {
    this.pending.get(name)?.reject(err);
  }

  /** Ends every wait still open (the run stopped before those slides were started). */
  abandon(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
  }
}
