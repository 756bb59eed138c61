import type { RoiRecord, SlideRecord } from '../../catalog/types.js';
import { UsageError } from '../../errors.js';

/**
 * Reduce a reference to the key it names: `TCGA-A1-A0SK-DX1` (ROI), `TCGA-A1-A0SK` (case),
 * `A1-A0SK` (short form) or a full slide file name `TCGA-A1-A0SK-01Z-00-DX1.<uuid>.svs`.
 */
function normalise(ref: string): string {
  let s = ref.trim().toUpperCase();
  if (!s.startsWith('TCGA-')) s = `TCGA-${s}`;
  const m = /^TCGA-([0-9A-Z]{2})-([0-9A-Z]{4})(?:-(?:01Z-00-)?(DX\d+))?/.exec(s);
  if (m === null) return s;
  return `TCGA-${m[1]}-${m[2]}${m[3] === undefined ? '' : `-${m[3]}`}`;
}

/**
 * The ROIs a `--slides` filter selects, in table order. Unknown references are one UsageError
 * listing all of them. An empty or absent filter selects everything.
 */
export function selectRois(rois: readonly RoiRecord[], slides: readonly SlideRecord[], refs: readonly string[] | undefined): RoiRecord[] {
  if (refs === undefined || refs.length === 0) return [...rois];
  const byFileName = new Map(slides.map((s) => [s.fileName.toUpperCase(), s.caseId.toUpperCase()]));
  const picked = new Set<string>();
  const unknown: string[] = [];
  for (const ref of refs) {
    const key = byFileName.get(ref.trim().toUpperCase()) ?? normalise(ref);
    const hits = rois.filter((r) => r.name.toUpperCase() === key || r.caseId.toUpperCase() === key);
    if (hits.length === 0) unknown.push(ref);
    for (const r of hits) picked.add(r.name);
  }
  if (unknown.length > 0) {
    throw new UsageError(`unknown demo slide${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: 'Use ROI names (TCGA-A1-A0SK-DX1), case ids (TCGA-A1-A0SK) or short forms (A1-A0SK).',
    });
  }
  return rois.filter((r) => picked.has(r.name));
}
