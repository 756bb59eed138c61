/**
 * Puts a dataset file into a prepared layout without touching the original: a hard link
 * (no extra space), a copy, or a relative symlink (the tree can move as a whole). Each is made
 * under a temp name and renamed into place, so a kill never leaves a half-written file under
 * the final name, and a rerun finds an up-to-date file and does nothing.
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, readlink, rename, stat, symlink, unlink, utimes } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { DiskError } from '../errors.js';
// Allowed exception to the module rule: prepare reuses transfer's temp naming and folder helpers.
import { ensureDir, fsyncDir, tempPathFor } from '../storage/atomic-file.js';
import type { LinkMode } from './types.js';

/** The file-system calls used, injectable so tests can simulate a cross-device target. */
export interface PlaceFileOps {
  link: (src: string, dst: string) => Promise<void>;
}

const defaultOps: PlaceFileOps = { link };

/** Errors that mean "no hard link here", not "something is broken": copy instead. */
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

const MTIME_TOLERANCE_MS = 2;

export type PlaceOutcome = 'up-to-date' | 'linked' | 'copied' | 'symlinked';

async function upToDate(src: string, dst: string, mode: LinkMode): Promise<boolean> {
  const d = await lstat(dst).catch(() => null);
  if (d === null) return false;
  if (mode === 'symlink') {
    return d.isSymbolicLink() && (await readlink(dst)) === relative(dirname(dst), src);
  }
  if (!d.isFile()) return false;
  const s = await stat(src);
  if (d.dev === s.dev && d.ino === s.ino) return true;
  // A copy (also a hard link's cross-device fallback) carries the source's mtime, as rsync -t does.
  // utimes() takes seconds as a double, so the copy's mtime can be a fraction of a millisecond off.
  return d.size === s.size && Math.abs(d.mtimeMs - s.mtimeMs) < MTIME_TOLERANCE_MS;
}

async function copyInto(src: string, temp: string): Promise<void> {
  await copyFile(src, temp, constants.COPYFILE_EXCL);
  const s = await stat(src);
  await utimes(temp, s.atime, s.mtime);
  const handle = await open(temp, 'r');
  try {
    await handle.sync(); // the rename below must not publish a copy whose bytes are still in cache
  } finally {
    await handle.close();
  }
}

function diskError(err: unknown, path: string, what: string): DiskError {
  const code = (err as { code?: unknown }).code;
  return new DiskError(path, `could not ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err });
}

export async function placeFile(src: string, dst: string, mode: LinkMode, ops: PlaceFileOps = defaultOps): Promise<PlaceOutcome> {
  if (await upToDate(src, dst, mode)) return 'up-to-date';
  const dir = dirname(dst);
  await ensureDir(dir);
  const temp = tempPathFor(dst);
  let outcome: PlaceOutcome;
  try {
    if (mode === 'symlink') {
      await symlink(relative(dir, src), temp);
      outcome = 'symlinked';
    } else if (mode === 'hard') {
      try {
        await ops.link(src, temp);
        outcome = 'linked';
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !LINK_UNSUPPORTED.has(code)) throw err;
        await copyInto(src, temp);
        outcome = 'copied';
      }
    } else {
      await copyInto(src, temp);
      outcome = 'copied';
    }
    await rename(temp, dst);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw diskError(err, dst, `place ${mode === 'symlink' ? 'a symlink at' : 'a file at'}`);
  }
  await fsyncDir(dir);
  return outcome;
}
