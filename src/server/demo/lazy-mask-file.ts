import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FigshareFile, FigshareFileMeta } from '../dataset-types.js';
import { writeFileAtomic } from './atomic-write.js';

export interface LazyMaskFileOptions {
  id: number;
  name: string;
  /** Renders the PNG; called at most once per process, and not at all when `cachePath` exists. */
  render: () => Promise<Buffer>;
  /** Disk cache for the rendered bytes (written atomically), or null to keep them in memory only. */
  cachePath: string | null;
}

/**
 * A figshare file whose bytes are rendered on first use. With a cache path, later processes read
 * the cached PNG instead of rendering; within a process the bytes' size and md5 are remembered
 * after the first `meta()`/`read()`, and concurrent first calls share one render.
 */
export function lazyMaskFile(options: LazyMaskFileOptions): FigshareFile {
  let meta: Promise<FigshareFileMeta> | undefined;
  // Memoised so concurrent first calls share one render; cleared on failure so a retry can work.
  let ready: Promise<Buffer | null> | undefined;

  /** Makes sure the bytes exist: in memory (no cache path; resolves to them) or on disk (null). */
  const ensure = (): Promise<Buffer | null> => {
    ready ??= (async () => {
      const { cachePath } = options;
      if (cachePath === null) return options.render();
      if (await exists(cachePath)) return null;
      const png = await options.render();
      await mkdir(dirname(cachePath), { recursive: true });
      await writeFileAtomic(cachePath, png);
      return null;
    })();
    ready.catch(() => (ready = undefined));
    return ready;
  };

  // With a disk cache only size and md5 stay in memory and reads go back to the cached file,
  // so 151 full-size masks are never all held at once.
  const bytes = async (): Promise<Buffer> => (await ensure()) ?? readFile(options.cachePath as string);

  return {
    id: options.id,
    name: options.name,
    mimetype: 'image/png',
    meta(): Promise<FigshareFileMeta> {
      meta ??= bytes().then((b) => ({ size: b.length, md5: createHash('md5').update(b).digest('hex') }));
      meta.catch(() => (meta = undefined));
      return meta;
    },
    read: bytes,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
