import { pyInt } from './element-geometry.js';
import type { AnnotationElement } from './types.js';

/**
 * Port of HistomicsTK `scale_slide_annotations` for one element: used when masks are made at a
 * non-base resolution (scale factor `sf` = target / base, e.g. 0.5 for half size).
 *
 * `width`/`height` become int(v·sf); every number in `center` and `points` (z included) becomes
 * int(v·sf) — truncation toward zero, as numpy's `astype(int)`. `rotation` is unchanged. Scaling
 * happens BEFORE bboxes and rasters are computed, so the truncation shifts shapes by up to one
 * scaled pixel; that is HistomicsTK's behaviour and we keep it. The input is not modified.
 */
export function scaleElement(el: AnnotationElement, sf: number): AnnotationElement {
  if (sf === 1) return el;
  const out: AnnotationElement = { ...el };
  if (typeof el.width === 'number') out.width = pyInt(el.width * sf);
  if (typeof el.height === 'number') out.height = pyInt(el.height * sf);
  if (Array.isArray(el.center)) out.center = el.center.map((v) => scaleNumber(v, sf));
  if (Array.isArray(el.points)) {
    out.points = el.points.map((p) => (Array.isArray(p) ? p.map((v) => scaleNumber(v, sf)) : p));
  }
  return out;
}

// Non-numbers are left alone so that elementPolygon reports them as malformed with a clear message.
function scaleNumber(v: number, sf: number): number {
  return typeof v === 'number' ? pyInt(v * sf) : v;
}
