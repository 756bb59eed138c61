/**
 * Which artifact a server request fetched, and how often each artifact was fetched completely:
 * the evidence for "no artifact fetched twice except those in flight at a kill".
 *   - an image is the `tiles/region` answer of its slide item: key `region:<item id>`;
 *   - a mask is the object-store answer that carries its bytes: key `mask:<file id>`.
 * A fetch is complete when it answered 200 in full with no injected fault (an injected 200 HTML
 * page or a cut body is not a fetch of the artifact).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestLogEntry } from '../../../src/server/start-server.js';
import { LOCK_FILE } from './out-dir-checks.js';

/** The artifact a request is for, or null for listings, metadata and redirects. */
export function artifactKeyOfRequest(path: string): string | null {
  const region = /\/item\/([0-9a-f]{24})\/tiles\/region(?:\?|$)/.exec(path);
  if (region?.[1] !== undefined) return `region:${region[1]}`;
  const blob = /\/figshare\/blob\/(\d+)(?:\?|$)/.exec(path);
  if (blob?.[1] !== undefined) return `mask:${blob[1]}`;
  return null;
}

/** The artifact key of a lock entry, from its source URL (same keys as requests). */
export function artifactKeyOfSource(kind: string, url: string | null): string | null {
  if (url === null) return null;
  if (kind === 'images') {
    const m = /\/item\/([0-9a-f]{24})\/tiles\/region/.exec(url);
    return m?.[1] === undefined ? null : `region:${m[1]}`;
  }
  if (kind === 'masks') {
    const m = /\/files\/(\d+)/.exec(url);
    return m?.[1] === undefined ? null : `mask:${m[1]}`;
  }
  return null;
}

export function isCompleteFetch(e: RequestLogEntry): boolean {
  return e.status === 200 && e.fault === undefined && e.aborted !== true && e.bytes > 0;
}

/** Complete fetches per artifact key. */
export function completeFetches(entries: readonly RequestLogEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) {
    const key = artifactKeyOfRequest(e.path);
    if (key !== null && isCompleteFetch(e)) out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** Artifact keys recorded as done in an output folder's lock (empty if there is no readable lock). */
export async function lockedArtifactKeys(outDir: string): Promise<Set<string>> {
  const keys = new Set<string>();
  try {
    const lock = JSON.parse(await readFile(join(outDir, LOCK_FILE), 'utf8')) as {
      artifacts?: Array<{ kind?: string; source?: { url?: string | null } }>;
    };
    for (const a of lock.artifacts ?? []) {
      const key = artifactKeyOfSource(a.kind ?? '', a.source?.url ?? null);
      if (key !== null) keys.add(key);
    }
  } catch {
    // No lock yet (killed before the first write): nothing is recorded as done.
  }
  // Artifacts completed since the last compaction are lines of the journal ({"set": entry}).
  try {
    const text = await readFile(join(outDir, 'bcss.lock.journal'), 'utf8');
    for (const line of text.split('\n')) {
      let op: { set?: { kind?: string; source?: { url?: string | null } } };
      try {
        op = JSON.parse(line) as typeof op;
      } catch {
        continue; // a line cut by the kill
      }
      const key = op.set === undefined ? null : artifactKeyOfSource(op.set.kind ?? '', op.set.source?.url ?? null);
      if (key !== null) keys.add(key);
    }
  } catch {
    // No journal: everything is in the lock.
  }
  return keys;
}

export interface RefetchCheck {
  /** Artifacts fetched completely more than once without being excused. */
  violations: string[];
  /** Artifacts fetched again because they were in flight (not yet locked) at an interruption. */
  excused: string[];
}

/**
 * `before`: requests up to an interruption; `lockedAtInterruption`: what the lock held then;
 * `after`: requests of the rerun(s). An artifact locked at the interruption must not be fetched
 * again; one that was not may be fetched again once (it was in flight); nothing may be fetched
 * completely twice within one side.
 */
export function checkRefetches(before: readonly RequestLogEntry[], lockedAtInterruption: ReadonlySet<string>, after: readonly RequestLogEntry[]): RefetchCheck {
  const b = completeFetches(before);
  const a = completeFetches(after);
  const violations: string[] = [];
  const excused: string[] = [];
  for (const [key, n] of b) if (n > 1) violations.push(`${key} fetched ${n}× before the interruption`);
  for (const [key, n] of a) {
    if (n > 1) violations.push(`${key} fetched ${n}× in the rerun`);
    else if (lockedAtInterruption.has(key)) violations.push(`${key} was already locked but fetched again`);
    else if (b.has(key)) excused.push(key);
  }
  return { violations, excused };
}

/** The same check for a run without interruption. */
export function checkNoRefetch(entries: readonly RequestLogEntry[]): string[] {
  return [...completeFetches(entries)].filter(([, n]) => n > 1).map(([k, n]) => `${k} fetched ${n}×`);
}
