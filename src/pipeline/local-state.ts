/**
 * Decides, before any request, whether an artifact's file is already done (docs/architecture.md#decisions-worth-knowing).
 *
 * Hash policy: an artifact is trusted without re-hashing only when the lock entry's parameters
 * match, the file has the locked size AND the same mtime the lock recorded right after writing or
 * last hashing it — the stat heuristic of git's index, make and rsync. Any other case (size or
 * mtime differ, e.g. a hand edit, a copy without -p, a restore) re-hashes the file and compares
 * SHA-256. This keeps a rerun over ~10 GB of images instant while still catching edits, which
 * change the mtime; `bcss verify` always re-hashes everything for the paranoid check.
 */
import { stat } from 'node:fs/promises';
import type { Artifact } from './artifacts.js';
import { canonicalJson } from './artifacts.js';
import { toDiskError } from '../storage/disk-error.js';
import { hashFile } from './hash-file.js';
import type { LockEntry } from './lock-file.js';
import { fileOnDisk } from './wsi-artifacts.js';

export type LocalDecision =
  /** The file matches the lock. `entry` is the (possibly refreshed-mtime) lock entry. */
  | { action: 'skip'; entry: LockEntry; rehashed: boolean }
  | { action: 'fetch'; reason: string };

export async function decideLocalState(outDir: string, artifact: Artifact, entry: LockEntry | undefined): Promise<LocalDecision> {
  if (entry === undefined) return { action: 'fetch', reason: 'not in the lock file' };
  if (artifact.path !== null && entry.path !== artifact.path) {
    return { action: 'fetch', reason: `the lock names another file (${entry.path})` };
  }
  if (entry.kind !== artifact.kind) return { action: 'fetch', reason: `the lock records it as ${entry.kind}` };
  if (canonicalJson(entry.source.params) !== canonicalJson(artifact.params)) {
    return { action: 'fetch', reason: 'its parameters changed since it was written' };
  }
  const abs = fileOnDisk(outDir, entry);
  let info;
  try {
    info = await stat(abs);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { action: 'fetch', reason: 'file missing' };
    throw toDiskError(err, abs, 'read');
  }
  if (!info.isFile()) return { action: 'fetch', reason: 'not a regular file' };
  if (info.size !== entry.bytes) return { action: 'fetch', reason: `size ${info.size} differs from the lock (${entry.bytes})` };
  if (entry.mtimeMs !== undefined && entry.mtimeMs === info.mtimeMs) return { action: 'skip', entry, rehashed: false };
  let sha256: string;
  try {
    ({ sha256 } = await hashFile(abs));
  } catch (err) {
    throw toDiskError(err, abs, 'read');
  }
  if (sha256 !== entry.sha256) return { action: 'fetch', reason: 'content changed (SHA-256 differs from the lock)' };
  return { action: 'skip', entry: { ...entry, mtimeMs: info.mtimeMs }, rehashed: true };
}

/** Runs `decideLocalState` for many artifacts with a small I/O concurrency. */
export async function decideAll(
  outDir: string,
  artifacts: readonly Artifact[],
  lookup: (id: string) => LockEntry | undefined,
  concurrency = 4,
): Promise<LocalDecision[]> {
  const out = new Array<LocalDecision>(artifacts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < artifacts.length) {
      const i = next++;
      const a = artifacts[i] as Artifact;
      out[i] = await decideLocalState(outDir, a, lookup(a.id));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, artifacts.length)) }, worker));
  return out;
}
