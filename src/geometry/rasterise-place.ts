import type { ElementBbox, Vertex } from './element-geometry.js';
import { polygonExtent } from './element-geometry.js';
import { polygonFillSpans } from './polygon-fill.js';
import type { SpanSink } from './polygon-fill.js';
import { polygonOutline } from './polygon-outline.js';

/** Where one element's own raster lands in slide coordinates (bcss-dataset.md §9 step 5). */
export interface Placement {
  /** Slide coordinates of the element raster's pixel [0, 0]. */
  originX: number;
  originY: number;
  /** Raster size: int(max − min) per axis. */
  width: number;
  height: number;
  /** Vertices shifted by the element's own (float) minimum. */
  local: Vertex[];
}

/**
 * HistomicsTK `create_mask_from_coords` + `_add_element_to_roi` geometry: the raster is
 * int(max−min) wide/high with the vertices shifted by their minimum, and is pasted into the bbox
 * slice [ymin:ymax, xmin:xmax]. With float vertices the slice can be one pixel larger than the
 * raster; HistomicsTK zero-pads the raster at the top/left, i.e. the raster sits at the
 * bottom-right of the slice. Returns null when the raster is larger than the slice (possible with
 * negative coordinates): np.pad then raises and HistomicsTK skips the element.
 */
export function placeElement(polygon: ReadonlyArray<Vertex>, bbox: ElementBbox): Placement | null {
  const { minX, minY, maxX, maxY } = polygonExtent(polygon);
  const width = Math.trunc(maxX - minX);
  const height = Math.trunc(maxY - minY);
  const padLeft = bbox.xmax - bbox.xmin - width;
  const padTop = bbox.ymax - bbox.ymin - height;
  if (padLeft < 0 || padTop < 0) return null;
  return {
    originX: bbox.xmin + padLeft,
    originY: bbox.ymin + padTop,
    width,
    height,
    local: polygon.map(([x, y]) => [x - minX, y - minY]),
  };
}

/**
 * Every pixel of the element raster (fill ∪ closed Bresenham boundary) as spans in slide
 * coordinates. Spans may overlap (boundary pixels inside the fill), so sinks must be idempotent.
 */
export function emitPlacement(p: Placement, sink: SpanSink): void {
  const { originX: ox, originY: oy } = p;
  polygonFillSpans(p.local, p.width, p.height, (r, a, b) => sink(oy + r, ox + a, ox + b));
  polygonOutline(p.local, p.width, p.height, (r, c) => sink(oy + r, ox + c, ox + c + 1));
}

/** Disjoint sorted runs `[start, end)` per row; `rows[k]` is slide row `top + k`. */
export interface RowRuns {
  top: number;
  rows: number[][];
}

/** The raster of a placement as merged runs per row (used for the ROI support). */
export function placementRuns(p: Placement): RowRuns {
  const rows: number[][] = Array.from({ length: p.height }, () => []);
  emitPlacement(p, (y, a, b) => {
    (rows[y - p.originY] as number[]).push(a, b);
  });
  return { top: p.originY, rows: rows.map(mergeRuns) };
}

function mergeRuns(flat: number[]): number[] {
  if (flat.length <= 2) return flat;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as number, flat[i + 1] as number]);
  pairs.sort((u, v) => u[0] - v[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const last = out.length - 1;
    if (last > 0 && a <= (out[last] as number)) out[last] = Math.max(out[last] as number, b);
    else out.push(a, b);
  }
  return out;
}
