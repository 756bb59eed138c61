import { polygonOutline } from './polygon-outline.js';

/** Receives the pixels `[start, end)` of one row. */
export type SpanSink = (row: number, start: number, end: number) => void;

/** skimage's vertex tolerance in `point_in_polygon` (skimage/_shared/geometry.pyx). */
const VERTEX_EPS = 1e-12;
/**
 * Columns on each side of an approximate crossing where the reference's floating-point test is
 * replayed. Outside this band the sign of the test is certain: its rounding error is below
 * ~12·2⁻⁵³·|coordinate| (≪ 1 px while |coordinates| ≤ MAX_COORD), see the comment in the code.
 */
const BAND = 2;
const MAX_COORD = 1e9;

/**
 * Pixels of `skimage.draw.polygon(rows, cols, shape=(height, width))`, emitted as row spans in
 * ascending row order.
 *
 * Semantics (exact port): pixel (row i, col j) is the point (x = j, y = i), no half-pixel shift;
 * rows `trunc(max(0, min y)) … min(height−1, ceil(max y))` and the same for columns; a pixel is in
 * when O'Rourke's crossing test (`point_in_polygon`) says inside, on an edge or on a vertex
 * (within 1e-12). Self-intersecting polygons follow the test's parity rule.
 *
 * Cost: O(rows + Σ crossings·log + filled pixels), not O(bbox × vertices). Per row, only edges
 * spanning the row are visited; each contributes a step in the left/right crossing parities at its
 * intercept, and the reference's exact floating-point expression is evaluated only for the few
 * columns next to the intercept, so the result is identical pixel for pixel.
 *
 * Spans of one row never overlap, except that a vertex pixel may be reported again as `[c, c+1)`.
 */
export function polygonFillSpans(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  sink: SpanSink,
): void {
  const n = vertices.length;
  if (n === 0 || width <= 0 || height <= 0) return;
  const poly = readVertices(vertices);
  const bounds: Bounds = {
    minr: Math.trunc(Math.max(0, poly.minY)),
    maxr: Math.min(height - 1, Math.ceil(poly.maxY)),
    minc: Math.trunc(Math.max(0, poly.minX)),
    maxc: Math.min(width - 1, Math.ceil(poly.maxX)),
  };
  const { minr, maxr } = bounds;
  if (minr > maxr || bounds.minc > bounds.maxc) return;

  const buckets = bucketEdgesByRow(poly, bounds);
  const vertexHits = vertexPixelHits(poly, bounds);
  const active = new Int32Array(n);
  let activeCount = 0;
  const events: EventBuffer = { data: new Float64Array(64), count: 0 };
  const spans: number[] = [];

  for (let r = minr; r <= maxr; r++) {
    const k = r - minr;
    let w = 0;
    for (let a = 0; a < activeCount; a++) {
      const e = active[a] as number;
      if ((buckets.edgeEnd[e] as number) >= r) active[w++] = e;
    }
    activeCount = w;
    for (let b = buckets.bucketCount[k] as number, end = buckets.bucketCount[k + 1] as number; b < end; b++) {
      active[activeCount++] = buckets.bucketEdges[b] as number;
    }
    const parity = collectRowEvents(poly, bounds, active, activeCount, r, events);
    rowSpans(events, parity, bounds, spans);
    for (let s = 0; s < spans.length; s += 2) sink(r, spans[s] as number, spans[s + 1] as number);
    const hits = vertexHits.get(r);
    if (hits) emitUncoveredVertices(r, hits, spans, sink);
  }
}

/** The vertices as coordinate arrays plus their bounding box. */
interface PolygonCoords {
  readonly n: number;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** Inclusive pixel rows and columns the reference visits. */
interface Bounds {
  readonly minr: number;
  readonly maxr: number;
  readonly minc: number;
  readonly maxc: number;
}

/** Non-horizontal edges bucketed (CSR-style) by the first row they can straddle. */
interface EdgeBuckets {
  readonly edgeEnd: Int32Array;
  readonly bucketCount: Int32Array;
  readonly bucketEdges: Int32Array;
}

/** Event = column·2 + parity (0: right crossings, 1: left crossings); sorted numerically per row. */
interface EventBuffer {
  data: Float64Array;
  count: number;
}

/** Right/left crossing parities at the row's first column (`minc`). */
interface RowParity {
  right: number;
  left: number;
}

function readVertices(vertices: ReadonlyArray<readonly [number, number]>): PolygonCoords {
  const n = vertices.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = vertices[i] as readonly [number, number];
    const x = v[0];
    const y = v[1];
    if (!(Math.abs(x) <= MAX_COORD) || !(Math.abs(y) <= MAX_COORD)) {
      throw new RangeError(`polygon vertex ${i} (${x}, ${y}) is not finite or exceeds ±${MAX_COORD}`);
    }
    xs[i] = x;
    ys[i] = y;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { n, xs, ys, minX, minY, maxX, maxY };
}

function bucketEdgesByRow(poly: PolygonCoords, bounds: Bounds): EdgeBuckets {
  const { n, ys } = poly;
  const { minr, maxr } = bounds;
  const rowCount = maxr - minr + 1;
  // Edge e runs from vertex prev(e) to vertex e, as in the reference loop (x1,y1 → x0,y0); the
  // orientation matters because the test's float expression is not symmetric in its operands.
  // Bucket non-horizontal edges by the first row they can straddle.
  const edgeEnd = new Int32Array(n);
  const bucketCount = new Int32Array(rowCount + 1);
  const edgeStart = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const j = i === 0 ? n - 1 : i - 1;
    const yi = ys[i] as number;
    const yj = ys[j] as number;
    if (yi === yj) continue; // horizontal edges never straddle a row
    const rs = Math.max(minr, Math.ceil(Math.min(yi, yj)));
    const re = Math.min(maxr, Math.floor(Math.max(yi, yj)));
    if (rs > re) continue;
    edgeStart[i] = rs;
    edgeEnd[i] = re;
    (bucketCount[rs - minr + 1] as number)++;
  }
  for (let k = 1; k <= rowCount; k++) bucketCount[k] = (bucketCount[k] as number) + (bucketCount[k - 1] as number);
  const bucketEdges = new Int32Array(bucketCount[rowCount] as number);
  const fillPos = bucketCount.slice(0, rowCount);
  for (let i = 0; i < n; i++) {
    const rs = edgeStart[i] as number;
    if (rs < 0) continue;
    const k = rs - minr;
    bucketEdges[fillPos[k] as number] = i;
    fillPos[k] = (fillPos[k] as number) + 1;
  }
  return { edgeEnd, bucketCount, bucketEdges };
}

/** Vertices that sit (within 1e-12) on a pixel centre: the reference returns VERTEX for them. */
function vertexPixelHits(poly: PolygonCoords, bounds: Bounds): Map<number, number[]> {
  const { minr, maxr, minc, maxc } = bounds;
  const vertexHits = new Map<number, number[]>();
  for (let i = 0; i < poly.n; i++) {
    const x = poly.xs[i] as number;
    const y = poly.ys[i] as number;
    const r = Math.round(y);
    const c = Math.round(x);
    if (r < minr || r > maxr || c < minc || c > maxc) continue;
    const dy = y - r;
    const dx = x - c;
    if (dy > -VERTEX_EPS && dy < VERTEX_EPS && dx > -VERTEX_EPS && dx < VERTEX_EPS) {
      const list = vertexHits.get(r);
      if (list) list.push(c);
      else vertexHits.set(r, [c]);
    }
  }
  return vertexHits;
}

/**
 * Fills `events` with the columns of row `r` where a right or left crossing parity flips, and
 * returns the parities at column `minc`.
 */
function collectRowEvents(
  poly: PolygonCoords,
  bounds: Bounds,
  active: Int32Array,
  activeCount: number,
  r: number,
  events: EventBuffer,
): RowParity {
  const { n, xs, ys } = poly;
  const parity: RowParity = { right: 0, left: 0 };
  events.count = 0;
  for (let a = 0; a < activeCount; a++) {
    const i = active[a] as number;
    const j = i === 0 ? n - 1 : i - 1;
    const xi = xs[i] as number;
    const yi = ys[i] as number;
    const xj = xs[j] as number;
    const yj = ys[j] as number;
    // The reference's straddle tests compare (yp − r) with 0; the sign of a float difference
    // is exact, so comparing yp with r directly is the same test.
    const right = yi > r !== yj > r;
    const left = yi < r !== yj < r;
    if (!right && !left) continue;
    // Where the edge meets the row. f(c) below equals intercept − c up to a relative rounding
    // error of a few ulps of max|x − c| (|y0|,|y1| ≤ |y1 − y0| when they straddle), far below
    // one column, so beyond BAND columns from this estimate the sign of f(c) is certain.
    const intercept = yi === r ? xi : yj === r ? xj : xj + ((r - yj) * (xi - xj)) / (yi - yj);
    const lo = Math.floor(intercept) - BAND;
    const hi = Math.ceil(intercept) + BAND;
    if (events.count + 2 * (hi - lo + 2) > events.data.length) {
      const grown = new Float64Array(events.data.length * 2 + 4 * (hi - lo + 2));
      grown.set(events.data.subarray(0, events.count));
      events.data = grown;
    }
    if (right) addEdgeEvents(0, xi, yi, xj, yj, r, lo, hi, bounds, parity, events);
    if (left) addEdgeEvents(1, xi, yi, xj, yj, r, lo, hi, bounds, parity, events);
  }
  return parity;
}

/**
 * Replays the reference's float test for one edge and one sense over the band `[lo, hi]` around
 * its intercept, flipping the start parity and recording a change event where the result flips.
 */
function addEdgeEvents(
  sense: 0 | 1,
  xi: number,
  yi: number,
  xj: number,
  yj: number,
  r: number,
  lo: number,
  hi: number,
  bounds: Bounds,
  parity: RowParity,
  events: EventBuffer,
): void {
  // Right crossings count where f > 0 (1 far left, 0 far right); left ones where f < 0.
  const farLeft = sense === 0 ? 1 : 0;
  const valueAt = (c: number): number => {
    if (c < lo) return farLeft;
    if (c > hi) return 1 - farLeft;
    const x0 = xi - c;
    const y0 = yi - r;
    const x1 = xj - c;
    const y1 = yj - r;
    const f = (x0 * y1 - x1 * y0) / (y1 - y0);
    return sense === 0 ? (f > 0 ? 1 : 0) : f < 0 ? 1 : 0;
  };
  let prev = valueAt(bounds.minc);
  if (prev === 1) {
    if (sense === 0) parity.right ^= 1;
    else parity.left ^= 1;
  }
  const from = Math.max(lo, bounds.minc + 1);
  const to = Math.min(hi + 1, bounds.maxc);
  const data = events.data;
  let count = events.count;
  for (let c = from; c <= to; c++) {
    const v = valueAt(c);
    if (v !== prev) {
      data[count++] = c * 2 + sense;
      prev = v;
    }
  }
  events.count = count;
}

/** Turns the row's sorted parity events into `[start, end)` pairs in `spans` (cleared first). */
function rowSpans(events: EventBuffer, parity: RowParity, bounds: Bounds, spans: number[]): void {
  spans.length = 0;
  const eventCount = events.count;
  const sorted = events.data.subarray(0, eventCount).sort();
  let rightParity = parity.right;
  let leftParity = parity.left;
  let on = (rightParity | leftParity) !== 0;
  let start = bounds.minc;
  let q = 0;
  while (q < eventCount) {
    const pos = Math.floor((sorted[q] as number) / 2);
    while (q < eventCount && Math.floor((sorted[q] as number) / 2) === pos) {
      if ((sorted[q] as number) - pos * 2 === 0) rightParity ^= 1;
      else leftParity ^= 1;
      q++;
    }
    const nowOn = (rightParity | leftParity) !== 0;
    if (nowOn !== on) {
      if (on) spans.push(start, pos);
      else start = pos;
      on = nowOn;
    }
  }
  if (on) spans.push(start, bounds.maxc + 1);
}

/** Reports vertex pixels that no span of the row already covers. */
function emitUncoveredVertices(r: number, hits: readonly number[], spans: readonly number[], sink: SpanSink): void {
  for (const c of hits) {
    let covered = false;
    for (let s = 0; s < spans.length && !covered; s += 2) {
      covered = c >= (spans[s] as number) && c < (spans[s + 1] as number);
    }
    if (!covered) sink(r, c, c + 1);
  }
}

/**
 * A `height × width` 0/1 mask (row-major): the skimage-style fill unioned, unless `outline` is
 * false, with the closed Bresenham boundary of the truncated vertices. Kept for library users;
 * for the pixels HistomicsTK (Pillow) draws use `pillowPolygonMask` (pillow-polygon.ts).
 */
export function fillPolygon(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  options: { outline?: boolean } = {},
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`fillPolygon: width and height must be integers >= 0, got ${width} × ${height}`);
  }
  const mask = new Uint8Array(width * height);
  polygonFillSpans(vertices, width, height, (r, a, b) => mask.fill(1, r * width + a, r * width + b));
  if (options.outline ?? true) {
    polygonOutline(vertices, width, height, (r, c) => {
      mask[r * width + c] = 1;
    });
  }
  return mask;
}
