/**
 * Crash-safe writes: a temp file in the destination folder (never the system temp dir, so the
 * final rename stays on one file system), fsync, rename over the final name, fsync the folder.
 * A kill -9 can leave only a `.<name>.<random>.part` file, which `removeStaleTempFiles` cleans.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { toDiskError } from './disk-error.js';

/** Matches names made by `tempPathFor`. */
export const TEMP_FILE_PATTERN = /^\..+\.[0-9a-f]{16}\.part$/;

/** A unique temp path next to `finalPath`: `.<name>.<16 hex>.part`. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(8).toString('hex')}.part`);
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw toDiskError(err, dir, 'create folder');
  }
}

/**
 * Makes a rename durable. Some file systems refuse fsync on a directory (EINVAL/EISDIR/EPERM on
 * a few platforms); the rename itself already happened, so those are ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort, see above.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Creates `path` exclusively (`wx`) for writing. The folder is usually there already, so it is
 * only created (and the open tried again) when the first open says it is missing: one system
 * call per file instead of a `mkdir -p` every time.
 */
export async function openNewFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o644);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // ENOTDIR too: then creating the folder fails with the message that names the culprit.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  await ensureDir(dirname(path));
  return open(path, 'wx', 0o644);
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Writes `data` to `path` atomically; creates the folder if missing; DiskError on failure.
 * `syncDir: false` leaves syncing the folder (making the new name durable) to the caller.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { syncDir?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  let step = 'create';
  try {
    // A DiskError from creating a missing folder passes through toDiskError unchanged.
    const handle = await openNewFile(temp);
    try {
      step = 'write';
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    step = 'replace';
    await rename(temp, path);
  } catch (err) {
    await removeQuietly(temp);
    throw toDiskError(err, step === 'replace' ? path : temp, step === 'replace' ? 'replace' : `${step} temp file for`);
  }
  if (options.syncDir !== false) await fsyncDir(dir);
}

/**
 * Deletes temp files (`.<name>.<hex>.part`) left by an interrupted run, in `dir` and below,
 * whose last change is older than `olderThanMs`. Returns the removed paths. A missing folder is
 * not an error. Symbolic links are not followed.
 */
export async function removeStaleTempFiles(dir: string, olderThanMs: number, now: () => number = Date.now): Promise<string[]> {
  const removed: string[] = [];
  const cutoff = now() - olderThanMs;
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return;
      throw toDiskError(err, folder, 'list');
    }
    for (const entry of entries) {
      const p = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(p);
      } else if (entry.isFile() && TEMP_FILE_PATTERN.test(entry.name)) {
        const info = await stat(p).catch(() => undefined);
        if (info === undefined || info.mtimeMs > cutoff) continue;
        try {
          await unlink(p);
          removed.push(p);
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'ENOENT') throw toDiskError(err, p, 'remove stale temp file');
        }
      }
    }
  };
  await walk(dir);
  return removed;
}
