import type { ElementBbox, Vertex } from './element-geometry.js';
import { polygonExtent } from './element-geometry.js';
import { pillowPolygonSpans } from './pillow-polygon.js';
import type { OutlineMode, RowSpanSink } from './pillow-polygon.js';

/** Where one element's own raster lands in slide coordinates (docs/dataset.md#annotations-to-masks step 5). */
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
 * Every pixel of the element raster — `ImageDraw.polygon` on the int(max−min) canvas, with or
 * without the outline — as spans in slide coordinates. Spans may overlap, so sinks must be
 * idempotent.
 */
export function emitPlacement(p: Placement, outline: OutlineMode, sink: RowSpanSink): void {
  const { originX: ox, originY: oy } = p;
  pillowPolygonSpans(p.local, p.width, p.height, outline, (r, a, b) => sink(oy + r, ox + a, ox + b));
}

/** Disjoint sorted runs `[start, end)` per row; `rows[k]` is slide row `top + k`. */
export interface RowRuns {
  top: number;
  rows: number[][];
}

/** The raster of a placement as merged runs per row (used for the ROI support). */
export function placementRuns(p: Placement, outline: OutlineMode): RowRuns {
  const rows: number[][] = Array.from({ length: p.height }, () => []);
  emitPlacement(p, outline, (y, a, b) => {
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
