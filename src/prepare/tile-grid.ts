/**
 * Tile geometry, pure. Tiles are whole: a strip narrower than the tile at the right or bottom
 * edge is left out rather than padded, so every tile is real image content.
 */

/** Offsets 0, stride, 2·stride, … whose tile of `size` fits inside `length`. */
export function tileOrigins(length: number, size: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o + size <= length; o += stride) out.push(o);
  return out;
}

/** `<ROI>_x<X>_y<Y>.png` */
export function tileName(roi: string, x: number, y: number): string {
  return `${roi}_x${x}_y${y}.png`;
}

/** Pixels ≠ 0 (inside the ROI) in the tile at (x, y) of a row-major mask `width` wide. */
export function countInside(mask: Uint8Array, width: number, x: number, y: number, size: number): number {
  let n = 0;
  for (let r = y; r < y + size; r++) {
    const row = r * width;
    for (let i = row + x; i < row + x + size; i++) if (mask[i] !== 0) n += 1;
  }
  return n;
}

/** The tile's mask with every code passed through `lut`, and the pixel count per output value. */
export function cutMaskTile(
  mask: Uint8Array,
  width: number,
  x: number,
  y: number,
  size: number,
  lut: Uint8Array,
): { pixels: Uint8Array; counts: Float64Array } {
  const pixels = new Uint8Array(size * size);
  const counts = new Float64Array(256);
  for (let r = 0; r < size; r++) {
    const src = (y + r) * width + x;
    for (let c = 0; c < size; c++) {
      const v = lut[mask[src + c] as number] as number;
      pixels[r * size + c] = v;
      counts[v] = (counts[v] as number) + 1;
    }
  }
  return { pixels, counts };
}
