/**
 * What a drill asserts about an output folder after a run: the lock's hashes against a clean
 * run's, and no temp file left behind. Reads only; the lock format is `src/pipeline/lock-file.ts`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const LOCK_FILE = 'bcss.lock.json';

/** Artifact path (relative, `/`-separated) → sha256, from an output folder's lock. */
export async function lockHashes(outDir: string): Promise<Map<string, string>> {
  const text = await readFile(join(outDir, LOCK_FILE), 'utf8');
  const lock = JSON.parse(text) as { artifacts?: Array<{ path?: unknown; sha256?: unknown }> };
  const out = new Map<string, string>();
  for (const a of lock.artifacts ?? []) {
    if (typeof a.path === 'string' && typeof a.sha256 === 'string') out.set(a.path, a.sha256);
  }
  return out;
}

/** Like `lockHashes` but an absent or unreadable lock is an empty map (e.g. right after a kill). */
export async function lockHashesOrEmpty(outDir: string): Promise<Map<string, string>> {
  try {
    return await lockHashes(outDir);
  } catch {
    return new Map();
  }
}

export interface LockDiff {
  equal: boolean;
  missing: string[];
  extra: string[];
  changed: string[];
}

/** Compare a run's lock with the clean run's: same artifact paths, same sha256 for each. */
export function diffLocks(clean: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): LockDiff {
  const missing = [...clean.keys()].filter((p) => !actual.has(p)).sort();
  const extra = [...actual.keys()].filter((p) => !clean.has(p)).sort();
  const changed = [...clean.keys()].filter((p) => actual.has(p) && actual.get(p) !== clean.get(p)).sort();
  return { equal: missing.length === 0 && extra.length === 0 && changed.length === 0, missing, extra, changed };
}

export function describeLockDiff(d: LockDiff): string {
  if (d.equal) return 'equal';
  const part = (label: string, xs: string[]): string | null => (xs.length === 0 ? null : `${xs.length} ${label} (${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', …' : ''})`);
  return [part('missing', d.missing), part('extra', d.extra), part('changed', d.changed)].filter((x) => x !== null).join('; ');
}

/** Every regular file under `dir`, relative and `/`-separated. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Files that look like an unfinished write: bcss's `.<name>.<hex>.part`, and anything ending in
 * `.part`, `.tmp`, `.partial` or `.download`, or a hidden file other than the known ones.
 */
export function isTempName(path: string): boolean {
  const name = path.split('/').pop() ?? path;
  if (/\.(part|tmp|partial|download|crdownload)$/i.test(name)) return true;
  return name.startsWith('.') && name !== '.gitignore';
}

export async function leftoverTempFiles(outDir: string): Promise<string[]> {
  return (await listFiles(outDir)).filter(isTempName);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Files under a final artifact name whose bytes differ from the clean run's: what a crash or a
 * full disk must never leave (a half-written PNG under its real name).
 */
export async function corruptFinalFiles(outDir: string, clean: ReadonlyMap<string, string>): Promise<string[]> {
  const bad: string[] = [];
  for (const path of await listFiles(outDir)) {
    const want = clean.get(path);
    if (want === undefined) continue;
    if ((await sha256File(join(outDir, path))) !== want) bad.push(path);
  }
  return bad;
}

/** Width and height of every image in a lock (for the render-queue bound). */
export async function lockImageSizes(outDir: string): Promise<Array<{ width: number; height: number }>> {
  const lock = JSON.parse(await readFile(join(outDir, LOCK_FILE), 'utf8')) as {
    artifacts?: Array<{ kind?: unknown; width?: unknown; height?: unknown }>;
  };
  const out: Array<{ width: number; height: number }> = [];
  for (const a of lock.artifacts ?? []) {
    if (a.kind === 'images' && typeof a.width === 'number' && typeof a.height === 'number') out.push({ width: a.width, height: a.height });
  }
  return out;
}
