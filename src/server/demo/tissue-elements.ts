import type { AnnotationElement } from '../../geometry/types.js';
import { randomInt } from './deterministic-ids.js';
import type { Point, RoiBounds } from './roi-element.js';

/** DSA group names of tissue classes (docs/dataset.md#class-codes), weighted towards the common ones. */
const COMMON_GROUPS = [
  'mostly_tumor',
  'mostly_stroma',
  'mostly_lymphocytic_infiltrate',
  'necrosis_or_debris',
  'mostly_fat',
  'exclude',
] as const;
const RARE_GROUPS = [
  'glandular_secretions',
  'mostly_blood',
  'mostly_plasma_cells',
  'other_immune_infiltrate',
  'mostly_dcis',
  'blood_vessel',
  'normal_acinus_or_duct',
  'undetermined',
] as const;

/** Even–odd point-in-polygon test (vertices in order, closing edge implied). */
export function insidePolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] ?? [0, 0];
    const [xj, yj] = poly[j] ?? [0, 0];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function pick<T>(rng: () => number, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)] as T;
}

/** A closed star-shaped polygon (sorted angles ⇒ simple) with integer vertices ≥ 0. */
function blob(rng: () => number, cx: number, cy: number, rx: number, ry: number): number[][] {
  const n = randomInt(rng, 5, 9);
  const points: number[][] = [];
  for (let i = 0; i < n; i++) {
    const t = ((i + 0.2 + 0.6 * rng()) / n) * 2 * Math.PI;
    const r = 0.55 + 0.45 * rng();
    const x = Math.max(0, Math.round(cx + rx * r * Math.cos(t)));
    const y = Math.max(0, Math.round(cy + ry * r * Math.sin(t)));
    const last = points[points.length - 1];
    if (last !== undefined && last[0] === x && last[1] === y) continue;
    points.push([x, y, 0]);
  }
  return points;
}

/**
 * A handful of tissue polygons for one ROI: a large region, a smaller one nested inside it
 * (HistomicsTK draws larger bboxes first, so the enclosed shape wins — the BCSS way of
 * expressing holes), a few scattered regions inside the ROI outline, and one straddling the ROI
 * border (clipped away outside the ROI by the rasteriser). ROIs too small to hold a shape get none.
 */
export function tissueElements(bounds: RoiBounds, outline: readonly Point[], rng: () => number): AnnotationElement[] {
  const W = bounds.xmax - bounds.xmin;
  const H = bounds.ymax - bounds.ymin;
  if (Math.min(W, H) < 12) return [];

  const insidePoint = (): Point => {
    for (let k = 0; k < 200; k++) {
      const x = bounds.xmin + rng() * W;
      const y = bounds.ymin + rng() * H;
      if (insidePolygon(x, y, outline)) return [x, y];
    }
    return [(bounds.xmin + bounds.xmax) / 2, (bounds.ymin + bounds.ymax) / 2];
  };
  const polyline = (group: string, points: number[][]): AnnotationElement => ({ type: 'polyline', closed: true, group, points });

  const out: AnnotationElement[] = [];
  const [bx, by] = insidePoint();
  const big = { rx: W * (0.15 + 0.15 * rng()), ry: H * (0.15 + 0.15 * rng()) };
  out.push(polyline(pick(rng, ['mostly_tumor', 'mostly_tumor', 'mostly_dcis']), blob(rng, bx, by, big.rx, big.ry)));
  out.push(
    polyline(
      pick(rng, ['necrosis_or_debris', 'mostly_lymphocytic_infiltrate', 'exclude']),
      blob(rng, bx, by, big.rx * 0.35, big.ry * 0.35),
    ),
  );
  const scattered = randomInt(rng, 1, 4);
  for (let i = 0; i < scattered; i++) {
    const [x, y] = insidePoint();
    const group = rng() < 0.75 ? pick(rng, COMMON_GROUPS) : pick(rng, RARE_GROUPS);
    out.push(polyline(group, blob(rng, x, y, W * (0.05 + 0.1 * rng()), H * (0.05 + 0.1 * rng()))));
  }
  // Straddle the border: centre on an outline vertex.
  const [vx, vy] = outline[randomInt(rng, 0, outline.length - 1)] ?? [bounds.xmin, bounds.ymin];
  out.push(polyline(pick(rng, COMMON_GROUPS), blob(rng, vx, vy, W * 0.1, H * 0.1)));
  return out.filter((el) => (el.points?.length ?? 0) >= 3);
}
