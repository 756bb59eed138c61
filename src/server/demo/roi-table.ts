import type { RoiRecord } from '../../catalog/types.js';
import type { RoiBounds } from './roi-element.js';

/**
 * ROI bounds at demo scale `scale`: each coordinate rounded, and max kept ≥ min + 2 so the
 * mask (max − min − 1 pixels, docs/dataset.md#roi-bounds-and-mask-size) is never empty. Scale 1 is the identity.
 */
export function scaleRoiBounds(roi: RoiBounds, scale: number): RoiBounds {
  const xmin = Math.round(roi.xmin * scale);
  const ymin = Math.round(roi.ymin * scale);
  return {
    xmin,
    ymin,
    xmax: Math.max(Math.round(roi.xmax * scale), xmin + 2),
    ymax: Math.max(Math.round(roi.ymax * scale), ymin + 2),
  };
}

/**
 * A table in roiBounds.csv format: the unnamed first column holds the ROI name, CRLF line
 * endings, a final CRLF, mask links unchanged — byte-identical to the shipped file at scale 1.
 */
export function formatRoiTable(rows: readonly (RoiRecord & { bounds: RoiBounds })[]): string {
  const lines = [',xmin,ymin,xmax,ymax,mask_link'];
  for (const r of rows) {
    const b = r.bounds;
    lines.push(`${r.name},${b.xmin},${b.ymin},${b.xmax},${b.ymax},${r.maskUrl}`);
  }
  return lines.map((l) => `${l}\r\n`).join('');
}
