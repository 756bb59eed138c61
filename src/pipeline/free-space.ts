/** Free space on the file system that will hold a folder (which may not exist yet). */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Free bytes for an unprivileged user on the file system that will hold `dir`. */
export async function freeBytesFor(dir: string): Promise<number | undefined> {
  let p = dir;
  for (;;) {
    try {
      const s = await statfs(p);
      return s.bavail * s.bsize;
    } catch (err) {
      const parent = dirname(p);
      if ((err as { code?: unknown }).code !== 'ENOENT' || parent === p) return undefined;
      p = parent;
    }
  }
}
