/**
 * Creating the output folder without `mkdir -p`. Node's recursive mkdir retries a parent that
 * answers ENOENT although it exists (a virtual file system such as /proc), which spins at 100%
 * CPU forever; on a read-only mount it reports the ENOENT of a missing middle folder instead of
 * the EROFS that explains it. So: walk up to the first folder that exists, then create each
 * missing level once, and report the first refusal with the folder that refused it.
 */
import { access, constants as fsConstants, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DiskError } from '../errors.js';
import { errorCode } from '../storage/disk-error.js';

/** The file-system calls used; injectable so tests can play a read-only or full disk. */
export interface OutDirFs {
  stat: (path: string) => Promise<{ isDirectory(): boolean }>;
  mkdir: (path: string) => Promise<unknown>;
  access: (path: string, mode: number) => Promise<void>;
}

const realFs: OutDirFs = { stat, mkdir: (p) => mkdir(p), access };

const REASONS: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted there',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'the path is too long',
  // mkdir answering ENOENT in a folder that exists: a virtual file system (/proc, /sys).
  ENOENT: 'that file system does not allow new folders (a virtual file system such as /proc)',
};

function reason(code: string | undefined): string {
  return (code !== undefined ? REASONS[code] : undefined) ?? 'the file system refused';
}

function refuse(outDir: string, where: string, err: unknown): DiskError {
  const code = errorCode(err);
  return new DiskError(outDir, `cannot create the output folder ${outDir}: ${where} (${code ?? String(err)}: ${reason(code)})`, {
    hint: 'Choose another --out, or fix the folder permissions.',
    cause: err,
  });
}

/**
 * The first existing ancestor of `path` (maybe `path` itself) and the missing levels below it,
 * outermost first. Bounded by the path's depth.
 */
export async function existingAncestor(path: string, fs: OutDirFs = realFs): Promise<{ ancestor: string; missing: string[] }> {
  const missing: string[] = [];
  let dir = path;
  for (;;) {
    try {
      const info = await fs.stat(dir);
      if (!info.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
      return { ancestor: dir, missing };
    } catch (err) {
      const parent = dirname(dir);
      if (errorCode(err) !== 'ENOENT' || parent === dir) throw Object.assign(err instanceof Error ? err : new Error(String(err)), { failedAt: dir });
      missing.unshift(dir);
      dir = parent;
    }
  }
}

/**
 * Makes sure `outDir` exists and is writable; with `dryRun`, creates nothing and checks that the
 * first existing ancestor is writable instead. Throws a DiskError naming the real reason.
 */
export async function ensureOutDir(outDir: string, options: { dryRun?: boolean; fs?: OutDirFs } = {}): Promise<void> {
  const fs = options.fs ?? realFs;
  let found: { ancestor: string; missing: string[] };
  try {
    found = await existingAncestor(outDir, fs);
  } catch (err) {
    const at = (err as { failedAt?: string }).failedAt ?? outDir;
    throw refuse(outDir, at === outDir ? `${outDir} cannot be used as a folder` : `${at} cannot be used as a folder`, err);
  }
  try {
    await fs.access(found.ancestor, fsConstants.W_OK);
  } catch (err) {
    throw refuse(outDir, `${found.ancestor} is not writable`, err);
  }
  if (options.dryRun === true) return;
  for (const dir of found.missing) {
    try {
      await fs.mkdir(dir);
    } catch (err) {
      // Another process made it meanwhile: fine.
      if (errorCode(err) === 'EEXIST' && (await fs.stat(dir).then((s) => s.isDirectory(), () => false))) continue;
      throw refuse(outDir, `making ${dir} in ${dirname(dir)} failed`, err);
    }
  }
}
