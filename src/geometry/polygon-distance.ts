type Pt = readonly [number, number];

/**
 * Minimum Euclidean distance between two polygons given as vertex rings (closing edge implied),
 * with shapely/GEOS semantics: 0 when they intersect, touch, or one contains the other.
 *
 * Like GEOS `DistanceOp`, containment is decided from one point per polygon (its first vertex)
 * located against the other polygon's ring with the even-odd rule, boundary counting as inside;
 * that is exact here because if any vertex were inside while the first is not, the rings would
 * cross and the edge test returns 0 anyway. Otherwise the answer is the minimum segment–segment
 * distance, computed with GEOS's point-to-segment formula so that values on the HistomicsTK
 * membership threshold (2 px) compare the same way. O(|a|·|b|).
 */
export function polygonDistance(a: ReadonlyArray<Pt>, b: ReadonlyArray<Pt>): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('polygonDistance: empty polygon');
  if (pointInOrOnRing(b[0] as Pt, a) || pointInOrOnRing(a[0] as Pt, b)) return 0;
  let best = Infinity;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as Pt;
    const q = a[(i + 1) % a.length] as Pt;
    for (let j = 0; j < b.length; j++) {
      const d = segmentDistance(p, q, b[j] as Pt, b[(j + 1) % b.length] as Pt);
      if (d === 0) return 0;
      if (d < best) best = d;
    }
  }
  return best;
}

/** Even-odd point location against a closed ring; points on the boundary count as inside. */
export function pointInOrOnRing(p: Pt, ring: ReadonlyArray<Pt>): boolean {
  const [px, py] = p;
  let inside = false;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i === 0 ? ring.length - 1 : i - 1] as Pt;
    const [x2, y2] = ring[i] as Pt;
    const orient = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1);
    if (
      orient === 0 &&
      px >= Math.min(x1, x2) &&
      px <= Math.max(x1, x2) &&
      py >= Math.min(y1, y2) &&
      py <= Math.max(y1, y2)
    ) {
      return true;
    }
    // Half-open straddle rule; the crossing lies right of p when p is left of an upward edge
    // (or right of a downward one).
    if (y1 > py !== y2 > py && (y2 > y1 ? orient > 0 : orient < 0)) inside = !inside;
  }
  return inside;
}

/** GEOS `Distance::segmentToSegment`. */
export function segmentDistance(a: Pt, b: Pt, c: Pt, d: Pt): number {
  if (a[0] === b[0] && a[1] === b[1]) return pointSegmentDistance(a, c, d);
  if (c[0] === d[0] && c[1] === d[1]) return pointSegmentDistance(c, a, b);
  if (segmentsIntersect(a, b, c, d)) return 0;
  return Math.min(
    pointSegmentDistance(a, c, d),
    pointSegmentDistance(b, c, d),
    pointSegmentDistance(c, a, b),
    pointSegmentDistance(d, a, b),
  );
}

/** GEOS `Distance::pointToSegment`. */
export function pointSegmentDistance(p: Pt, a: Pt, b: Pt): number {
  if (a[0] === b[0] && a[1] === b[1]) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  const len2 = (b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1]);
  const r = ((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / len2;
  if (r <= 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  if (r >= 1) return Math.hypot(p[0] - b[0], p[1] - b[1]);
  const s = ((a[1] - p[1]) * (b[0] - a[0]) - (a[0] - p[0]) * (b[1] - a[1])) / len2;
  return Math.abs(s) * Math.sqrt(len2);
}

function orientation(a: Pt, b: Pt, c: Pt): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(a: Pt, b: Pt, p: Pt): boolean {
  return (
    p[0] >= Math.min(a[0], b[0]) &&
    p[0] <= Math.max(a[0], b[0]) &&
    p[1] >= Math.min(a[1], b[1]) &&
    p[1] <= Math.max(a[1], b[1])
  );
}

function segmentsIntersect(a: Pt, b: Pt, c: Pt, d: Pt): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  // Collinear touching or overlap.
  return (
    (o1 === 0 && onSegment(a, b, c)) ||
    (o2 === 0 && onSegment(a, b, d)) ||
    (o3 === 0 && onSegment(c, d, a)) ||
    (o4 === 0 && onSegment(c, d, b))
  );
}
