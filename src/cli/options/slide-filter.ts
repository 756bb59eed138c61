import { UsageError } from '../../errors.js';
import type { RoiRecord } from '../../catalog/types.js';
import { closestNames } from './closest-names.js';

/**
 * Normalise one user-given slide reference to the ROI name it denotes.
 * Accepted: `TCGA-A1-A0SK-DX1`, `TCGA-A1-A0SK`, `A1-A0SK`, a full slide file name
 * `TCGA-A1-A0SK-01Z-00-DX1.<uuid>.svs`; case-insensitive.
 */
function keyOf(ref: string): string {
  let s = ref.trim().toUpperCase();
  if (!s.startsWith('TCGA-')) s = `TCGA-${s}`;
  // TCGA-XX-XXXX plus anything after: keep the case id; the DX suffix is checked separately.
  const m = /^TCGA-([0-9A-Z]{2})-([0-9A-Z]{4})(?:-(?:01Z-00-)?(DX\d+))?/.exec(s);
  if (m === null) return s;
  return `TCGA-${m[1]}-${m[2]}${m[3] !== undefined ? `-${m[3]}` : ''}`;
}

/** Parse `--slides` text: comma/whitespace separated; `#` starts a comment in @files. */
export function parseSlideList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, ''))
    .join(',')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function filterRois(rois: readonly RoiRecord[], refs: readonly string[], source: string): RoiRecord[] {
  const byName = new Map(rois.map((r) => [r.name.toUpperCase(), r]));
  const byCase = new Map<string, RoiRecord[]>();
  for (const r of rois) {
    const list = byCase.get(r.caseId.toUpperCase()) ?? [];
    list.push(r);
    byCase.set(r.caseId.toUpperCase(), list);
  }
  const picked = new Map<string, RoiRecord>();
  const unknown: string[] = [];
  for (const ref of refs) {
    const key = keyOf(ref);
    const exact = byName.get(key);
    if (exact !== undefined) {
      picked.set(exact.name, exact);
      continue;
    }
    const sameCase = byCase.get(key.slice(0, 12));
    if (sameCase !== undefined && key.length === 12) {
      for (const r of sameCase) picked.set(r.name, r);
      continue;
    }
    unknown.push(ref);
  }
  if (unknown.length > 0) {
    const names = rois.map((r) => r.name);
    const lines = unknown.map((u) => `  ${u}: did you mean ${closestNames(keyOf(u), names).join(', ')}?`);
    throw new UsageError(`unknown slide${unknown.length > 1 ? 's' : ''} in ${source}:\n${lines.join('\n')}`, {
      hint: 'Run `bcss info` to list the ROIs; short forms like A1-A0SK are accepted.',
    });
  }
  // Keep the table's order so runs are deterministic whatever order the user typed.
  return rois.filter((r) => picked.has(r.name));
}
