/**
 * The folder-level half of `bcss verify`: is the folder one complete dataset? Every image and
 * mask must have been made with the folder's spec (resolution, encoding, mask alignment) from the
 * bounds meta/roiBounds.csv lists, and every artifact a run planned must be in the lock (else the
 * download is incomplete). Offline, read-only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRoiTable } from '../catalog/index.js';
import { canonicalJson } from './artifacts.js';
import { describeResolution } from './dataset-spec.js';
import type { LockEntry, LockFile } from './lock-file.js';
import type { Resolution } from '../geometry/types.js';
import type { VerifyIssue } from './types.js';

const ROI_TABLE = 'meta/roiBounds.csv';

function resolutionText(value: unknown): string {
  const r = value as Resolution | undefined;
  return r !== undefined && typeof r === 'object' && 'kind' in r ? describeResolution(r) : canonicalJson(value);
}

function examples(paths: readonly string[]): string {
  return paths.length === 1 ? String(paths[0]) : `${paths.length} files, e.g. ${paths[0]}`;
}

/** Images and masks whose recorded parameters are not the folder's spec, grouped by what differs. */
function specIssues(lock: LockFile): VerifyIssue[] {
  const spec = lock.dataset ?? lock.options;
  const groups = new Map<string, string[]>();
  const add = (key: string, path: string): void => {
    groups.set(key, [...(groups.get(key) ?? []), path]);
  };
  for (const e of lock.artifacts) {
    if (e.kind !== 'images' && e.kind !== 'masks') continue;
    const p = e.source.params;
    if (p.resolution !== undefined && canonicalJson(p.resolution) !== canonicalJson(spec.resolution)) {
      add(`${e.kind} at ${resolutionText(p.resolution)}, but the folder's dataset is at ${describeResolution(spec.resolution)}`, e.path);
    }
    if (e.kind === 'images' && p.encoding !== undefined && p.encoding !== spec.encoding) add(`images encoded as ${JSON.stringify(p.encoding)}, not ${spec.encoding}`, e.path);
    if (e.kind === 'masks' && p.maskAlign !== undefined && p.maskAlign !== spec.maskAlign) add(`masks aligned by ${JSON.stringify(p.maskAlign)}, not ${spec.maskAlign}`, e.path);
  }
  return [...groups].map(([what, paths]) => ({ path: paths[0] as string, problem: 'spec-mismatch' as const, detail: `${examples(paths)}: ${what}` }));
}

/** Images and masks rendered from other bounds than meta/roiBounds.csv lists (or ROIs it lacks). */
async function boundsIssues(outDir: string, lock: LockFile): Promise<VerifyIssue[]> {
  if (!lock.artifacts.some((e) => e.path === ROI_TABLE)) return [];
  let table: Map<string, number[]>;
  try {
    const rows = parseRoiTable(await readFile(join(outDir, ROI_TABLE), 'utf8'), ROI_TABLE);
    table = new Map(rows.map((r) => [r.name, [r.xmin, r.ymin, r.xmax, r.ymax]]));
  } catch {
    return []; // a missing or changed file is already reported by its hash
  }
  const byRoi = new Map<string, { paths: string[]; bounds: unknown }>();
  for (const e of lock.artifacts) {
    const { roi, bounds } = e.source.params;
    if ((e.kind !== 'images' && e.kind !== 'masks') || typeof roi !== 'string') continue;
    const listed = table.get(roi);
    if (listed !== undefined && canonicalJson(listed) === canonicalJson(bounds)) continue;
    const group = byRoi.get(roi) ?? { paths: [], bounds };
    group.paths.push(e.path);
    byRoi.set(roi, group);
  }
  const issues: VerifyIssue[] = [];
  for (const [roi, { paths, bounds }] of byRoi) {
    const listed = table.get(roi);
    const detail =
      listed === undefined
        ? `${examples(paths)} of ROI ${roi}, which ${ROI_TABLE} does not list`
        : `${examples(paths)} of ROI ${roi} were made from bounds ${JSON.stringify(bounds)}, but ${ROI_TABLE} says ${JSON.stringify(listed)}`;
    issues.push({ path: ROI_TABLE, problem: 'spec-mismatch', detail });
  }
  const missingRows = (lock.dataset?.rois ?? []).filter((r) => !table.has(r));
  if (missingRows.length > 0) {
    issues.push({ path: ROI_TABLE, problem: 'spec-mismatch', detail: `does not list ${missingRows.length} ROI(s) of the folder, e.g. ${missingRows[0]}` });
  }
  return issues;
}

/** Artifacts some run planned that never reached the lock. */
function completenessIssues(lock: LockFile): VerifyIssue[] {
  const planned = lock.dataset?.planned ?? [];
  const have = new Set(lock.artifacts.map((e: LockEntry) => e.id));
  const missing = planned.filter((id) => !have.has(id));
  if (missing.length === 0) return [];
  const kinds = new Map<string, number>();
  for (const id of missing) {
    const kind = id.split('/')[0] ?? id;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const counts = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  return [
    {
      path: missing[0] as string,
      problem: 'incomplete',
      detail: `the download is incomplete: ${missing.length} of ${planned.length} planned artifacts were never fetched (${counts}), e.g. ${missing[0]}`,
    },
  ];
}

export async function datasetIssues(outDir: string, lock: LockFile): Promise<VerifyIssue[]> {
  return [...specIssues(lock), ...(await boundsIssues(outDir, lock)), ...completenessIssues(lock)];
}

