/**
 * Polygon drawing with the exact pixel rules of Pillow 9.4 (`ImageDraw.polygon` on an 8-bit 'L'
 * image: `libImaging/Draw.c` `ImagingDrawPolygon` → `polygon8` / `line8`). Written from a reading
 * of that C code; see docs/rasterisation.md for the rules and the evidence.
 *
 * Facts that decide pixels, and that this module reproduces:
 * - Vertices become C ints by truncation toward zero (`(int)` cast in `_draw_polygon`).
 * - The fill works in 32-bit floats: slopes, scanline intercepts and the corner fix-ups are
 *   rounded to float after every operation (emulated with Math.fround), while the rounding macros
 *   add 0.5 in float for positive values and in double for negative ones.
 * - Span ends are rounded half away from zero (start) / half toward zero (end), and a span whose
 *   ends cross is drawn swapped (hline8 swaps x0 > x1), so a thin sliver yields a 2-px run.
 * - Horizontal edges are drawn as whole runs; consecutive horizontal edges going the same way are
 *   merged first; the closing edge is added only when the last vertex differs from the first.
 * - "Corner" fix-up (Pillow ≥ 9.1): when an intercept is an integer on a row where two sloped
 *   edges with slopes of the same sign both start (or both end), an earlier intercept is
 *   replaced. Pillow writes the replacement at the *edge* index, not at the intercept's index;
 *   we keep that quirk, since pixels depend on it.
 * - The outline is Pillow's integer Bresenham (`line8`): each segment omits its end point, a
 *   zero-length segment draws nothing, and a diagonal (|dx| = |dy|) takes the vertical branch.
 */

/** Receives the pixels `[start, end)` of one row (already clipped to the canvas). */
export type RowSpanSink = (row: number, start: number, end: number) => void;

const f32 = Math.fround;

/** C `(int)` of a double coordinate, with a range check so the int32 cast is defined. */
function cInt(v: number, what: string): number {
  if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 31) {
    throw new RangeError(`${what} (${v}) is not a finite number within the int32 range Pillow draws in`);
  }
  return Math.trunc(v);
}

/** Pillow's edge record (`Edge` in Draw.c). `dx` is a float32 value. */
interface Edge {
  x0: number;
  y0: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  dx: number;
}

function makeEdge(x0: number, y0: number, x1: number, y1: number): Edge {
  return {
    x0,
    y0,
    xmin: Math.min(x0, x1),
    xmax: Math.max(x0, x1),
    ymin: Math.min(y0, y1),
    ymax: Math.max(y0, y1),
    // ((float)(x1 - x0)) / (y1 - y0): float ÷ int → float.
    dx: y0 === y1 ? 0 : f32(f32(x1 - x0) / f32(y1 - y0)),
  };
}

/** `ImagingDrawPolygon(fill=1)`'s edge list, including its merge of consecutive horizontal edges. */
function buildEdges(xs: Int32Array, ys: Int32Array): Edge[] {
  const count = xs.length;
  const edges: Edge[] = [];
  let i = 0;
  for (; i < count - 1; i++) {
    const x0 = xs[i] as number;
    const y0 = ys[i] as number;
    const x1 = xs[i + 1] as number;
    const y1 = ys[i + 1] as number;
    if (y0 === y1 && i !== 0 && y0 === ys[i - 1]) {
      const last = edges[edges.length - 1] as Edge;
      const xPrev = xs[i - 1] as number;
      if (x1 > x0 && x0 > xPrev) {
        last.xmax = x1;
        continue;
      } else if (x1 < x0 && x0 < xPrev) {
        last.xmin = x1;
        continue;
      }
    }
    edges.push(makeEdge(x0, y0, x1, y1));
  }
  if (xs[i] !== xs[0] || ys[i] !== ys[0]) {
    edges.push(makeEdge(xs[i] as number, ys[i] as number, xs[0] as number, ys[0] as number));
  }
  return edges;
}

/** Draw.c ROUND_UP: half away from zero; the +0.5 is a float add for f ≥ 0, a double add below. */
function roundUp(f: number): number {
  return f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(Math.abs(f) + 0.5);
}

/** Draw.c ROUND_DOWN: half toward zero, same float/double split as {@link roundUp}. */
function roundDown(f: number): number {
  return f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(Math.abs(f) - 0.5);
}

/** A canvas-clipped horizontal run, as `hline8` (inclusive ends, swapped when reversed). */
function hline(width: number, height: number, sink: RowSpanSink, x0: number, y: number, x1: number): void {
  if (y < 0 || y >= height) return;
  let a = x0;
  let b = x1;
  if (a > b) [a, b] = [b, a];
  if (a < 0) a = 0;
  else if (a >= width) return;
  if (b < 0) return;
  else if (b >= width) b = width - 1;
  if (a <= b) sink(y, a, b + 1);
}

/** (y − y0)·dx + x0 in float32, as Pillow evaluates an edge's intercept with row y. */
function intercept(e: Edge, y: number): number {
  return f32(f32(f32(y - e.y0) * e.dx) + f32(e.x0));
}

/**
 * Pillow's filled polygon (`draw_polygon(xy, ink, fill=1)` on an 'L' image of `width × height`),
 * emitted as row spans. Spans may repeat pixels (horizontal edges are drawn separately).
 */
export function pillowFillSpans(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  sink: RowSpanSink,
): void {
  const n = vertices.length;
  if (n === 0) return;
  const xs = new Int32Array(n);
  const ys = new Int32Array(n);
  vertices.forEach(([x, y], k) => {
    xs[k] = cInt(x, `polygon vertex ${k} x`);
    ys[k] = cInt(y, `polygon vertex ${k} y`);
  });
  const all = buildEdges(xs, ys);
  if (all.length === 0) return;

  let ymin = height - 1;
  let ymax = 0;
  const table: Edge[] = [];
  for (const e of all) {
    if (ymin > e.ymin) ymin = e.ymin;
    if (ymax < e.ymax) ymax = e.ymax;
    if (e.ymin === e.ymax) {
      hline(width, height, sink, e.xmin, e.ymin, e.xmax);
      continue;
    }
    table.push(e);
  }
  if (ymin < 0) ymin = 0;
  if (ymax > height) ymax = height;
  scanEdges(table, ymin, ymax, width, height, sink);
}

/**
 * The scanline part of `polygon_generic` (no alpha). Only edges spanning the row are visited, in
 * table order, which gives the same intercept positions as Pillow's scan over every edge (an
 * edge outside the row neither adds an intercept nor can be a corner partner).
 */
function scanEdges(table: Edge[], yStart: number, yEnd: number, width: number, height: number, sink: RowSpanSink): void {
  if (table.length === 0) return;
  const byStart = table.map((_, k) => k).sort((a, b) => (table[a] as Edge).ymin - (table[b] as Edge).ymin || a - b);
  const xx = new Float32Array(table.length * 2);
  let active: number[] = [];
  let next = 0;
  for (let y = yStart; y <= yEnd; y++) {
    let added = false;
    while (next < byStart.length && (table[byStart[next] as number] as Edge).ymin <= y) {
      const k = byStart[next++] as number;
      if ((table[k] as Edge).ymax >= y) {
        active.push(k);
        added = true;
      }
    }
    if (added) active.sort((a, b) => a - b);
    active = active.filter((k) => (table[k] as Edge).ymax >= y);
    const j = rowIntercepts(table, active, y, yEnd, xx);
    const row = xx.subarray(0, j).sort();
    for (let i = 1; i < j; i += 2) hline(width, height, sink, roundUp(row[i - 1] as number), y, roundDown(row[i] as number));
  }
}

/** Fills `xx` with row y's intercepts exactly as Pillow orders and adjusts them; returns the count. */
function rowIntercepts(table: Edge[], active: number[], y: number, yEnd: number, xx: Float32Array): number {
  let j = 0;
  for (let a = 0; a < active.length; a++) {
    const i = active[a] as number;
    const cur = table[i] as Edge;
    const x = intercept(cur, y);
    xx[j++] = x;
    if (y === cur.ymax && y < yEnd) {
      // Pillow counts a vertex that ends an edge twice, so that the spans stay paired.
      xx[j++] = x;
    } else if (cur.dx !== 0 && Number.isInteger(x)) {
      for (let b = 0; b < a; b++) {
        const k = active[b] as number;
        const other = table[k] as Edge;
        if ((cur.dx > 0 && other.dx <= 0) || (cur.dx < 0 && other.dx >= 0)) continue;
        const joins = (y === cur.ymin && y === other.ymin) || (y === cur.ymax && y === other.ymax);
        if (!joins || x !== intercept(other, y)) continue;
        const offset = y === yEnd ? -1 : 1;
        const adj = intercept(cur, y + offset);
        const adjOther = intercept(other, y + offset);
        // fmax/fmin and ±1 are double operations; storing into the float array rounds once.
        if (y === cur.ymax) xx[k] = cur.dx > 0 ? Math.max(adj, adjOther) + 1 : Math.min(adj, adjOther) - 1;
        else xx[k] = cur.dx > 0 ? Math.min(adj, adjOther) : Math.max(adj, adjOther) + 1;
        break;
      }
    }
  }
  return j;
}

/** Receives one pixel (row, column) inside the canvas. */
export type CanvasPixelSink = (row: number, col: number) => void;

/**
 * Pillow's 1-px polygon outline (`draw_polygon(xy, ink, fill=0, width=1)`): `line8` from each
 * vertex to the next and from the last back to the first, pixels outside the canvas dropped.
 */
export function pillowOutline(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  sink: CanvasPixelSink,
): void {
  const n = vertices.length;
  if (n === 0) return;
  const xs = vertices.map(([x], k) => cInt(x, `polygon vertex ${k} x`));
  const ys = vertices.map(([, y], k) => cInt(y, `polygon vertex ${k} y`));
  const point = (x: number, y: number): void => {
    if (x >= 0 && x < width && y >= 0 && y < height) sink(y, x);
  };
  for (let i = 0; i < n; i++) {
    const k = i === n - 1 ? 0 : i + 1;
    pillowLine(xs[i] as number, ys[i] as number, xs[k] as number, ys[k] as number, point);
  }
}

/** Draw.c `line8`: integer Bresenham from (x0, y0) towards (x1, y1), end point excluded. */
export function pillowLine(x0: number, y0: number, x1: number, y1: number, point: (x: number, y: number) => void): void {
  let dx = x1 - x0;
  let dy = y1 - y0;
  const xs = dx < 0 ? -1 : 1;
  const ys = dy < 0 ? -1 : 1;
  dx = Math.abs(dx);
  dy = Math.abs(dy);
  let x = x0;
  let y = y0;
  if (dx === 0) {
    for (let i = 0; i < dy; i++, y += ys) point(x, y);
  } else if (dy === 0) {
    for (let i = 0; i < dx; i++, x += xs) point(x, y);
  } else if (dx > dy) {
    let e = 2 * dy - dx;
    for (let i = 0; i < dx; i++) {
      point(x, y);
      if (e >= 0) {
        y += ys;
        e -= 2 * dx;
      }
      e += 2 * dy;
      x += xs;
    }
  } else {
    let e = 2 * dx - dy;
    for (let i = 0; i < dy; i++) {
      point(x, y);
      if (e >= 0) {
        x += xs;
        e -= 2 * dy;
      }
      e += 2 * dx;
      y += ys;
    }
  }
}

/** How a polygon is drawn: Pillow's fill, then (for 'drawn') its 1-px outline in the same ink. */
export type OutlineMode = 'drawn' | 'skipped';

/**
 * Every pixel `ImageDraw.polygon(xy, fill=1, outline=1)` sets on a `width × height` canvas:
 * with 'drawn' the fill then the outline (Pillow < 5.3, or HistomicsTK patched to draw both);
 * with 'skipped' the fill alone (Pillow ≥ 5.3 skips an outline whose ink equals the fill).
 * Spans may overlap; sinks must be idempotent.
 */
export function pillowPolygonSpans(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  outline: OutlineMode,
  sink: RowSpanSink,
): void {
  if (width <= 0 || height <= 0) return;
  // Pillow's _draw_polygon refuses fewer than 2 coordinates (TypeError); HistomicsTK then skips.
  if (vertices.length < 2) return;
  pillowFillSpans(vertices, width, height, sink);
  if (outline === 'drawn') pillowOutline(vertices, width, height, (r, c) => sink(r, c, c + 1));
}

/** A `height × width` 0/1 mask (row-major) of {@link pillowPolygonSpans}. */
export function pillowPolygonMask(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  outline: OutlineMode,
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`pillowPolygonMask: width and height must be integers >= 0, got ${width} × ${height}`);
  }
  const mask = new Uint8Array(width * height);
  pillowPolygonSpans(vertices, width, height, outline, (r, a, b) => mask.fill(1, r * width + a, r * width + b));
  return mask;
}
