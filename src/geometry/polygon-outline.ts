/** Receives one pixel (row, column). */
export type PixelSink = (row: number, col: number) => void;

/**
 * A closed one-pixel boundary in scikit-image's Bresenham variant, used by {@link fillPolygon}'s
 * scikit-image-style rules. The BCSS rasteriser does not use it any more: HistomicsTK draws with
 * Pillow, whose outline is pillow-polygon.ts `pillowOutline` (docs/rasterisation.md).
 *
 * Every vertex is truncated to an integer, then
 * consecutive vertices, last → first included, are joined with {@link bresenhamLine}. Pixels
 * outside `[0, height) × [0, width)` are dropped (not clipped lines: the same pixels a large
 * canvas would get, restricted to this one). A pixel may be reported more than once.
 */
export function polygonOutline(
  vertices: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  sink: PixelSink,
): void {
  const n = vertices.length;
  if (n === 0 || width <= 0 || height <= 0) return;
  const plot: PixelSink = (r, c) => {
    if (r >= 0 && r < height && c >= 0 && c < width) sink(r, c);
  };
  for (let i = 0; i < n; i++) {
    const a = vertices[i] as readonly [number, number];
    const b = vertices[(i + 1) % n] as readonly [number, number];
    bresenhamLine(Math.trunc(a[1]), Math.trunc(a[0]), Math.trunc(b[1]), Math.trunc(b[0]), plot);
  }
}

/**
 * Integer Bresenham line from (r0, c0) to (r1, c1), both ends included — the variant of
 * `skimage.draw.line` (error term `d = 2·dy − dx`, step the minor axis while `d >= 0`), so that
 * tie pixels fall on the same side as in the reference. Not symmetric: direction matters.
 */
export function bresenhamLine(r0: number, c0: number, r1: number, c1: number, sink: PixelSink): void {
  // Named as in the reference: x is the column, y the row, until a steep line swaps them.
  let x = c0;
  let y = r0;
  let dx = Math.abs(c1 - c0);
  let dy = Math.abs(r1 - r0);
  let sx = c1 - c0 > 0 ? 1 : -1;
  let sy = r1 - r0 > 0 ? 1 : -1;
  const steep = dy > dx;
  if (steep) {
    [x, y] = [y, x];
    [dx, dy] = [dy, dx];
    [sx, sy] = [sy, sx];
  }
  let d = 2 * dy - dx;
  for (let i = 0; i < dx; i++) {
    if (steep) sink(x, y);
    else sink(y, x);
    while (d >= 0) {
      y += sy;
      d -= 2 * dx;
    }
    x += sx;
    d += 2 * dy;
  }
  sink(r1, c1);
}
