/**
 * What makes reruns free: per-ROI records of the inputs (size + mtime, as the download's lock
 * and rsync do) and the options an output was made from, plus the output files' sizes. A record
 * whose key matches and whose outputs are all still there means the ROI needs no work at all.
 * Records live in `<root>/.bcss-prepare/<namespace>/<ROI>.json`, one small file per ROI, so an
 * interrupted run keeps what it finished.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
// Allowed exception to the module rule: prepare reuses transfer's crash-safe small-file write.
import { writeFileAtomic } from '../storage/atomic-file.js';

export const CACHE_DIR = '.bcss-prepare';

export interface FileFingerprint {
  size: number;
  mtimeMs: number;
}

export async function fingerprint(path: string): Promise<FileFingerprint> {
  const info = await stat(path);
  return { size: info.size, mtimeMs: info.mtimeMs };
}

/** Output files as recorded: path relative to the dataset root and size in bytes. */
export interface OutputFile {
  path: string;
  bytes: number;
}

/** True when every file exists with the recorded size. */
export async function outputsIntact(root: string, files: readonly OutputFile[]): Promise<boolean> {
  for (const f of files) {
    const info = await stat(join(root, f.path)).catch(() => null);
    if (info === null || !info.isFile() || info.size !== f.bytes) return false;
  }
  return true;
}

/**
 * Writes only when the bytes differ, so reruns leave files (and their mtimes) untouched.
 * Returns true when it wrote.
 */
export async function writeIfChanged(path: string, content: string | Uint8Array): Promise<boolean> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const current = await readFile(path).catch(() => null);
  if (current !== null && Buffer.compare(current, bytes) === 0) return false;
  await writeFileAtomic(path, bytes);
  return true;
}

interface CacheRecord<T> {
  key: string;
  value: T;
}

export class ItemCache<T> {
  readonly dir: string;

  constructor(root: string, namespace: string) {
    this.dir = join(root, CACHE_DIR, namespace);
  }

  private file(roi: string): string {
    return join(this.dir, `${roi}.json`);
  }

  /** The stored value when it was made with exactly `key`; null otherwise (missing, stale, unreadable). */
  async get(roi: string, key: string): Promise<T | null> {
    const text = await readFile(this.file(roi), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const rec = JSON.parse(text) as Partial<CacheRecord<T>>;
      return rec.key === key && rec.value !== undefined ? rec.value : null;
    } catch {
      return null; // a damaged record only costs a recomputation
    }
  }

  async put(roi: string, key: string, value: T): Promise<void> {
    await writeIfChanged(this.file(roi), `${JSON.stringify({ key, value })}\n`);
  }

  /** Drops records of ROIs no longer in the dataset. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.endsWith('.json') && !keep.has(name.slice(0, -'.json'.length))) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }
}

/** A cache key: the inputs' fingerprints and the options, in a fixed order. */
export function cacheKey(parts: readonly unknown[]): string {
  return JSON.stringify(parts);
}
