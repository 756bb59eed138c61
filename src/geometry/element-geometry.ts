import type { AnnotationElement } from './types.js';

/** A polygon vertex `[x, y]` in slide pixels (base resolution unless scaled). */
export type Vertex = [number, number];

/** HistomicsTK's element bbox: `int()` of the vertex min/max per axis (docs/dataset.md#annotations-to-masks step 1). */
export interface ElementBbox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** `(ymax − ymin) · (xmax − xmin)`: the key that orders drawing within an overlay level. */
  area: number;
}

/**
 * Python's `int()` on a float: truncation toward zero (not floor). `+ 0` folds -0 into 0 so that
 * coordinates compare equal with `Object.is`-based assertions.
 */
export function pyInt(value: number): number {
  return Math.trunc(value) + 0;
}

/**
 * The polygon HistomicsTK rasterises for an element, or null for element types it cannot draw.
 *
 * - `polyline`: the points with z dropped. `closed` and `holes` are ignored on purpose: every
 *   polyline is filled as a polygon, holes included (HistomicsTK issue #675).
 * - `rectangle`: `get_rotated_rectangular_coords` (see {@link rectangleCorners}); a missing
 *   `rotation` counts as 0 (the schema makes it optional, HistomicsTK reads it unconditionally).
 * - anything else (point, ellipse, circle, arrow, …): null.
 *
 * Throws a TypeError naming the element when a drawable element has malformed coordinates.
 */
export function elementPolygon(el: AnnotationElement): Vertex[] | null {
  if (el.type === 'polyline') {
    const points = el.points;
    if (!Array.isArray(points) || points.length === 0) {
      throw new TypeError(`${describe(el)}: polyline without points`);
    }
    return points.map((p, k) => {
      const x = Array.isArray(p) ? p[0] : undefined;
      const y = Array.isArray(p) ? p[1] : undefined;
      if (!isFiniteNumber(x) || !isFiniteNumber(y)) {
        throw new TypeError(`${describe(el)}: point ${k} is not [x, y, z] with finite numbers`);
      }
      return [x, y];
    });
  }
  if (el.type === 'rectangle') {
    const c = el.center;
    const cx = Array.isArray(c) ? c[0] : undefined;
    const cy = Array.isArray(c) ? c[1] : undefined;
    const rotation = el.rotation ?? 0;
    if (!isFiniteNumber(cx) || !isFiniteNumber(cy)) {
      throw new TypeError(`${describe(el)}: rectangle center is not [x, y, z] with finite numbers`);
    }
    if (!isFiniteNumber(el.width) || !isFiniteNumber(el.height) || el.width < 0 || el.height < 0) {
      throw new TypeError(`${describe(el)}: rectangle width/height must be finite numbers >= 0`);
    }
    if (!isFiniteNumber(rotation)) {
      throw new TypeError(`${describe(el)}: rectangle rotation must be a finite number of radians`);
    }
    return rectangleCorners(cx, cy, el.width, el.height, rotation);
  }
  return null;
}

/**
 * Port of HistomicsTK `get_rotated_rectangular_coords` + `rotate_point_list`.
 *
 * Corners before rotation are centre ± int(width/2), centre ± int(height/2) (the centre itself is
 * not truncated), in the order (xmin,ymin), (xmax,ymin), (xmax,ymax), (xmin,ymax). Each corner is
 * rotated about the centre with
 *   x' = int(dx·cos θ − dy·sin θ + cx),  y' = int(dx·sin θ + dy·cos θ + cy)
 * evaluated in that operation order (it decides which side of an integer a value lands on).
 *
 * Direction convention: we apply this formula to slide coordinates as they are (y grows
 * downwards), exactly as HistomicsTK does, because BCSS masks were produced by it. On screen a
 * positive θ therefore turns the rectangle clockwise; the annotation schema's wording ("CCW")
 * describes a y-up frame and is not used here. Flipping the sign would turn every rotated ROI the
 * other way and no longer match the masks HistomicsTK made.
 *
 * Math.cos/Math.sin may differ from numpy's by one ulp for some angles; that can move a corner by
 * one pixel only when the rotated value lies within ~1e-12 of an integer.
 */
export function rectangleCorners(cx: number, cy: number, width: number, height: number, rotation: number): Vertex[] {
  const halfW = pyInt(width / 2);
  const halfH = pyInt(height / 2);
  const xMin = cx - halfW;
  const xMax = cx + halfW;
  const yMin = cy - halfH;
  const yMax = cy + halfH;
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const unrotated: Vertex[] = [
    [xMin, yMin],
    [xMax, yMin],
    [xMax, yMax],
    [xMin, yMax],
  ];
  return unrotated.map(([px, py]) => {
    const dx = px - cx;
    const dy = py - cy;
    return [pyInt(dx * cos - dy * sin + cx), pyInt(dx * sin + dy * cos + cy)];
  });
}

/** The exact (untruncated) extent of a polygon's vertices. */
export function polygonExtent(polygon: ReadonlyArray<readonly [number, number]>): {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
} {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of polygon) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

/** HistomicsTK's bbox of a polygon: int(min) and int(max) per axis. */
export function polygonBbox(polygon: ReadonlyArray<readonly [number, number]>): ElementBbox {
  if (polygon.length === 0) throw new RangeError('polygonBbox: empty polygon');
  const { minX, minY, maxX, maxY } = polygonExtent(polygon);
  const xmin = pyInt(minX);
  const ymin = pyInt(minY);
  const xmax = pyInt(maxX);
  const ymax = pyInt(maxY);
  return { xmin, ymin, xmax, ymax, area: (ymax - ymin) * (xmax - xmin) };
}

/**
 * The class an element belongs to: its `group` when the key is present (even when it is not a
 * usable string, mirroring HistomicsTK's `'group' in element`), else `label.value`, else null.
 */
export function elementClass(el: AnnotationElement): string | null {
  if (Object.prototype.hasOwnProperty.call(el, 'group') && el.group !== undefined) {
    return typeof el.group === 'string' ? el.group : null;
  }
  const value: unknown = el.label?.value;
  return typeof value === 'string' ? value : null;
}

/** A short, stable name for messages: the element id, else its position. */
export function describeElement(el: AnnotationElement, index: number): string {
  return typeof el.id === 'string' && el.id !== '' ? `element ${el.id}` : `element #${index}`;
}

function describe(el: AnnotationElement): string {
  return typeof el.id === 'string' && el.id !== '' ? `element ${el.id}` : `${el.type} element`;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
