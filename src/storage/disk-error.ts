/**
 * Maps file-system failures to DiskError with a message that says what to do. Disk problems are
 * never retried: a full disk or a read-only folder does not heal between attempts.
 */
import { DiskError } from '../errors.js';

const ADVICE: Record<string, string> = {
  ENOSPC: 'no space left on the device: free some space (or choose another output folder) and rerun the same command',
  EDQUOT: 'the disk quota is exceeded: free some space (or choose another output folder) and rerun the same command',
  EACCES: 'permission denied: make the folder writable or choose another output folder',
  EPERM: 'operation not permitted: make the folder writable or choose another output folder',
  EROFS: 'the file system is read-only: choose another output folder',
  ENOTDIR: 'a part of the path is a file, not a folder: remove it or choose another output folder',
  EEXIST: 'a file is in the way where a folder is needed: remove it or choose another output folder',
  EISDIR: 'a folder is in the way where a file is needed: remove it or choose another output folder',
  ENAMETOOLONG: 'the path is too long: choose a shorter output folder',
  EMFILE: 'too many open files: lower the concurrency or raise the open-file limit (ulimit -n)',
  EIO: 'the disk reported an I/O error: check the device',
};

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for errors that describe the local file system (as opposed to bugs). */
export function isFsError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && (code in ADVICE || (err as { syscall?: unknown }).syscall !== undefined);
}

/** `action` names what was attempted, e.g. "write", "create folder", "rename". */
/** Space problems heal when the user frees space, so the message says a rerun loses nothing. */
const SPACE_HINT =
  'Files already completed are kept and will not be fetched again; `bcss download --dry-run` with the same options shows how much the rest needs.';

export function toDiskError(err: unknown, path: string, action: string): DiskError {
  if (err instanceof DiskError) return err;
  const code = errorCode(err) ?? 'unknown error';
  const advice = ADVICE[code] ?? 'check the output folder';
  const hint = code === 'ENOSPC' || code === 'EDQUOT' ? { hint: SPACE_HINT } : {};
  return new DiskError(path, `cannot ${action} ${path} (${code}): ${advice}`, { cause: err, ...hint });
}
