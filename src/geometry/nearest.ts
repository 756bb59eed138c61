/**
 * Nearest-neighbour resize that matches `skimage.transform.resize(order=0, anti_aliasing=False)`
 * bit for bit (docs/imaging.md#nearest-neighbour-map): that is what the original script used to bring figshare masks
 * to the RGB's size, and label images must never be interpolated. Library "nearest" kernels
 * (sharp, canvas) sample differently and are not used for masks.
 */

function requireLength(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1 || v > 0xffffffff) {
    throw new RangeError(`expected ${name} to be an integer >= 1 but received ${String(v)}`);
  }
}

/**
 * For each output index d, the source index SciPy's `zoom(order=0, mode='mirror', grid_mode=True)`
 * picks: `min(inLen - 1, floor((d + 0.5) * s))` with `s = inLen / outLen` divided FIRST. The order
 * matters: at ties the rounded `s` lands just below the exact ratio, and SciPy (and so
 * scikit-image) follows the rounded value. in = 2, out = 49, d = 24 gives 0 this way and 1 with
 * `(d + 0.5) * inLen / outLen`.
 */
export function nearestIndexMap(inLen: number, outLen: number): Uint32Array {
  requireLength('inLen', inLen);
  requireLength('outLen', outLen);
  const s = inLen / outLen;
  const last = inLen - 1;
  const map = new Uint32Array(outLen);
  for (let d = 0; d < outLen; d++) {
    const v = Math.floor((d + 0.5) * s);
    map[d] = v > last ? last : v;
  }
  return map;
}

/**
 * Resize a row-major interleaved image (`channels` bytes per pixel) with `nearestIndexMap` per
 * axis. Upscaling repeats source rows, so a repeated row is copied from the previous output row
 * instead of being gathered again.
 */
export function resizeNearest(
  src: Uint8Array,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  channels = 1,
): Uint8Array {
  requireLength('inW', inW);
  requireLength('inH', inH);
  requireLength('outW', outW);
  requireLength('outH', outH);
  if (!Number.isSafeInteger(channels) || channels < 1) {
    throw new RangeError(`expected channels to be an integer >= 1 but received ${String(channels)}`);
  }
  const expected = inW * inH * channels;
  if (src.length !== expected) {
    throw new RangeError(
      `expected ${expected} bytes for a ${inW} x ${inH} x ${channels} image but received ${src.length}`,
    );
  }
  const outRow = outW * channels;
  const inRow = inW * channels;
  const out = new Uint8Array(outRow * outH);
  const ys = nearestIndexMap(inH, outH);
  const xs = nearestIndexMap(inW, outW);
  // Byte offset of each output pixel's source pixel within a source row.
  const xoff = new Uint32Array(outW);
  for (let x = 0; x < outW; x++) xoff[x] = (xs[x] as number) * channels;

  let prev = -1;
  for (let y = 0; y < outH; y++) {
    const sy = ys[y] as number;
    const o = y * outRow;
    if (sy === prev) {
      out.copyWithin(o, o - outRow, o);
      continue;
    }
    prev = sy;
    const base = sy * inRow;
    if (outW === inW) {
      out.set(src.subarray(base, base + inRow), o);
    } else if (channels === 1) {
      for (let x = 0; x < outW; x++) out[o + x] = src[base + (xoff[x] as number)] as number;
    } else {
      for (let x = 0, p = o; x < outW; x++) {
        const q = base + (xoff[x] as number);
        for (let c = 0; c < channels; c++, p++) out[p] = src[q + c] as number;
      }
    }
  }
  return out;
}
