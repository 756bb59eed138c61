import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes files in `dir` (not below it) whose names are not in `keep`: outputs of ROIs that left
 * the dataset, tiles of an earlier stride, temp files of an interrupted run. Only ever called on
 * folders prepare owns. Returns how many it removed; a missing folder is fine.
 */
export async function pruneFolder(dir: string, keep: ReadonlySet<string>): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (entries === null) return 0;
  let removed = 0;
  for (const e of entries) {
    if (e.isDirectory() || keep.has(e.name)) continue;
    await unlink(join(dir, e.name));
    removed += 1;
  }
  return removed;
}
