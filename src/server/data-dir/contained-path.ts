import { realpath } from 'node:fs/promises';
import { relative, isAbsolute, sep } from 'node:path';

/**
 * Symlink policy of `bcss serve --data DIR`: a file whose real path leaves DIR is refused unless
 * the operator asked for `--follow-symlinks`. Otherwise another user who can write into DIR could
 * plant a link to any file the server's user may read (a confused deputy) and download it.
 */
export interface SymlinkPolicy {
  followSymlinks: boolean;
  /** Called once per refused file, with a sentence for the operator. */
  onRefused: (message: string) => void;
}

export function isInside(rootReal: string, real: string): boolean {
  const rel = relative(rootReal, real);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * The real path of `path` when it may be served, else null (refusal reported). Served files are
 * then opened by this real path, so swapping the link afterwards changes nothing.
 */
export async function containedRealPath(rootReal: string, path: string, shown: string, policy: SymlinkPolicy): Promise<string | null> {
  const real = await realpath(path);
  if (isInside(rootReal, real) || policy.followSymlinks) return real;
  policy.onRefused(`refused ${shown}: it is a symlink to ${real}, outside the data folder ${rootReal} (serve it with --follow-symlinks)`);
  return null;
}

/**
 * Re-check at open time that a path resolved at load still resolves to itself: a file replaced by
 * a symlink after start is refused rather than followed (the final component is also opened with
 * O_NOFOLLOW where bytes are streamed).
 */
export async function unchangedRealPath(real: string): Promise<string> {
  const now = await realpath(real);
  if (now !== real) throw new Error(`refused ${real}: it now resolves to ${now} (a symlink appeared after start)`);
  return real;
}
