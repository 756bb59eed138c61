import { rectangleCorners } from '../../geometry/element-geometry.js';
import type { AnnotationElement } from '../../geometry/types.js';
import { randomInt } from './deterministic-ids.js';

/** Integer ROI bounds; xmax/ymax are the maximum VERTEX coordinates (docs/dataset.md#roi-bounds-and-mask-size). */
export interface RoiBounds {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export type Point = [number, number];

/**
 * The four truncated corners HistomicsTK computes for a DSA `rectangle` (geometry's port of
 * `get_rotated_rectangular_coords`, docs/dataset.md#annotations-to-masks step 1). `sign` = −1 evaluates the opposite
 * rotation sense, so a construction can be checked against both conventions.
 */
export function truncatedRectangleCorners(el: AnnotationElement, sign: 1 | -1 = 1): Point[] {
  const [cx = 0, cy = 0] = el.center ?? [];
  return rectangleCorners(cx, cy, el.width ?? 0, el.height ?? 0, sign * (el.rotation ?? 0));
}

/** Vertex bounding box after HistomicsTK's int() truncation (the ROI's roiBounds row). */
export function truncatedVertexBounds(el: AnnotationElement, sign: 1 | -1 = 1): RoiBounds {
  const pts: Point[] =
    el.type === 'rectangle'
      ? truncatedRectangleCorners(el, sign)
      : (el.points ?? []).map((p) => [Math.trunc(p[0] ?? 0), Math.trunc(p[1] ?? 0)]);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { xmin: Math.min(...xs), ymin: Math.min(...ys), xmax: Math.max(...xs), ymax: Math.max(...ys) };
}

function sameBounds(a: RoiBounds, b: RoiBounds): boolean {
  return a.xmin === b.xmin && a.ymin === b.ymin && a.xmax === b.xmax && a.ymax === b.ymax;
}

/**
 * A rotated `rectangle` whose truncated corners span exactly `bounds`, or null when none is found.
 *
 * Construction. Let W = xmax − xmin, H = ymax − ymin and put the centre at
 * ((xmin + xmax + 1) / 2, (ymin + ymax + 1) / 2). With half-sizes a, b (width 2a, height 2b, so
 * int(width/2) = a exactly) and angle θ, the exact rotated corners reach cx ± ex and cy ± ey with
 * ex = a·|cos θ| + b·|sin θ|, ey = a·|sin θ| + b·|cos θ|. If ex = W/2 the extremes sit at
 * xmin + 0.5 and xmax + 0.5, which int() truncates to xmin and xmax; any ex within ±0.5 of W/2
 * still does. Solving the 2×2 system for (a, b) at an angle and rounding them to integers moves
 * ex/ey by up to ~0.7, so angles are stepped from a seeded start until both errors are < 0.4.
 * The extremes are then half a pixel from an integer, so float noise cannot flip the truncation,
 * and the shape is symmetric about its centre, so both rotation senses give the same box — both
 * are verified before the element is accepted.
 */
export function rotatedRectangleRoi(bounds: RoiBounds, rng: () => number): AnnotationElement | null {
  const W = bounds.xmax - bounds.xmin;
  const H = bounds.ymax - bounds.ymin;
  const cx = (bounds.xmin + bounds.xmax + 1) / 2;
  const cy = (bounds.ymin + bounds.ymax + 1) / 2;
  // a, b > 0 needs tan θ < min(W, H) / max(W, H); stay well inside so the rectangle is not a sliver.
  const maxTheta = Math.min(0.6, Math.atan(Math.min(W, H) / Math.max(W, H)) * 0.7);
  if (maxTheta < 0.05) return null;
  const start = 0.05 + rng() * (maxTheta - 0.05);
  const negative = rng() < 0.5;
  for (let k = 0; k < 4000; k++) {
    // Walk down from the seeded angle (then up past it) in small steps.
    const theta = k < 2000 ? start - k * 0.0002 : start + (k - 1999) * 0.0002;
    if (theta <= 0.02 || theta > maxTheta) continue;
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const det = c * c - s * s;
    const a = Math.round(((W / 2) * c - (H / 2) * s) / det);
    const b = Math.round(((H / 2) * c - (W / 2) * s) / det);
    if (a < 1 || b < 1) continue;
    if (Math.abs(a * c + b * s - W / 2) >= 0.4 || Math.abs(a * s + b * c - H / 2) >= 0.4) continue;
    const el: AnnotationElement = {
      type: 'rectangle',
      center: [cx, cy, 0],
      width: 2 * a,
      height: 2 * b,
      rotation: negative ? -theta : theta,
      normal: [0, 0, 1],
    };
    if (sameBounds(truncatedVertexBounds(el, 1), bounds) && sameBounds(truncatedVertexBounds(el, -1), bounds)) {
      return el;
    }
  }
  return null;
}

/**
 * A closed `polyline` ROI with integer vertices: a jittered ellipse that is star-shaped about the
 * box centre (so it is a simple polygon), clamped into the box, plus one vertex on each side of
 * the box so the vertex bounding box is exactly `bounds`.
 */
export function polygonRoi(bounds: RoiBounds, rng: () => number): AnnotationElement {
  const { xmin, ymin, xmax, ymax } = bounds;
  const cx = (xmin + xmax) / 2;
  const cy = (ymin + ymax) / 2;
  const rx = (xmax - xmin) / 2;
  const ry = (ymax - ymin) / 2;
  const jitter = (lo: number, hi: number): number => lo + rng() * (hi - lo);
  const clampX = (x: number): number => Math.min(xmax, Math.max(xmin, Math.round(x)));
  const clampY = (y: number): number => Math.min(ymax, Math.max(ymin, Math.round(y)));

  // Image coordinates (y down): one vertex on the right, bottom, left and top side of the box.
  const corners: Point[] = [
    [xmax, clampY(cy + ry * jitter(-0.3, 0.3))],
    [clampX(cx + rx * jitter(-0.3, 0.3)), ymax],
    [xmin, clampY(cy + ry * jitter(-0.3, 0.3))],
    [clampX(cx + rx * jitter(-0.3, 0.3)), ymin],
  ];
  const perQuadrant = randomInt(rng, 1, 3);
  const extra: Point[] = [];
  for (let q = 0; q < 4; q++) {
    for (let i = 0; i < perQuadrant; i++) {
      const t = (q + (i + jitter(0.2, 0.8)) / perQuadrant) * (Math.PI / 2);
      // Between a dent (0.8) and the box edge: r·|cos t| ≤ 1 and r·|sin t| ≤ 1 keep it inside.
      const rMax = Math.min(1.3, 1 / Math.abs(Math.cos(t)), 1 / Math.abs(Math.sin(t)));
      const r = jitter(0.8, Math.max(0.8, rMax));
      extra.push([clampX(cx + rx * r * Math.cos(t)), clampY(cy + ry * r * Math.sin(t))]);
    }
  }
  // Sorting by angle about the centre (in box-normalised coordinates) makes the polygon
  // star-shaped, hence simple.
  const angleOf = ([x, y]: Point): number => {
    const a = Math.atan2((y - cy) / Math.max(ry, 0.5), (x - cx) / Math.max(rx, 0.5));
    return a < 0 ? a + 2 * Math.PI : a;
  };
  const vertices = [...corners, ...extra].map((point) => ({ angle: angleOf(point), point }));
  vertices.sort((p, q) => p.angle - q.angle);
  const points: number[][] = [];
  for (const { point } of vertices) {
    const last = points[points.length - 1];
    if (last !== undefined && last[0] === point[0] && last[1] === point[1]) continue;
    points.push([point[0], point[1], 0]);
  }
  return { type: 'polyline', closed: true, points };
}

/** The ROI outline as polygon vertices (truncated corners for a rectangle). */
export function roiOutline(el: AnnotationElement): Point[] {
  if (el.type === 'rectangle') return truncatedRectangleCorners(el, 1);
  return (el.points ?? []).map((p) => [p[0] ?? 0, p[1] ?? 0]);
}
