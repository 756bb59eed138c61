import type { SlideSource } from '../../slides/types.js';

/** A slide source borrowed from the cache; call `release` exactly once when done reading. */
export interface SourceLease {
  source: SlideSource;
  release: () => void;
}

interface Entry {
  opening: Promise<SlideSource>;
  users: number;
}

/** Close a source whose opening may have failed; closing errors have nobody to report to. */
function closeQuietly(opening: Promise<SlideSource>): void {
  opening.then(
    (source) => source.close().catch(() => undefined),
    () => undefined,
  );
}

/**
 * Open slide sources, shared between requests and kept in least-recently-used order. Opening is
 * the expensive part of a render (a demo slide mirrors its whole base image, ~50 ms and ~20 MB;
 * a file slide holds a descriptor), so a source is opened once and reused, but at most `maxOpen`
 * sources are kept open: beyond that the least recently used one that nobody is reading is
 * closed. A source being read is never closed, so the number open can briefly exceed the bound
 * by the number of concurrent renders (which the render queue bounds).
 */
export class SourceCache {
  /** Map order is the LRU order: first = least recently used. */
  private readonly entries = new Map<string, Entry>();
  private opens = 0;

  constructor(readonly maxOpen: number) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw new RangeError(`SourceCache: expected maxOpen >= 1 but received ${maxOpen}`);
  }

  /** How many sources are open (or opening) now. */
  get size(): number {
    return this.entries.size;
  }

  /** How many times a source was actually opened (for tests and logs). */
  get openCount(): number {
    return this.opens;
  }

  async acquire(key: string, open: () => Promise<SlideSource>): Promise<SourceLease> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      this.opens += 1;
      const opening = open();
      const created: Entry = { opening, users: 0 };
      // A failed open is forgotten so that a later request retries (and reports) it.
      opening.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
      entry = created;
    }
    this.entries.set(key, entry);
    entry.users += 1;
    const held = entry;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.users -= 1;
      this.trim();
    };
    this.trim();
    try {
      return { source: await held.opening, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Close least recently used idle sources until at most `maxOpen` remain. */
  private trim(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxOpen) break;
      if (entry.users > 0) continue;
      this.entries.delete(key);
      closeQuietly(entry.opening);
    }
  }

  /** Close everything (server shutdown), in use or not. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.opening.catch(() => null))?.close()));
  }
}
