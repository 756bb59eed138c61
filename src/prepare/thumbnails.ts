/**
 * Preview pixels, pure: the mask coloured with the class palette and the overlay users needed
 * in BCSS issue #1 ("masks look rotated"): ROIs are rotated rectangles inside an axis-aligned
 * crop, and darkening `rgb[mask == 0]` shows exactly which pixels are labelled.
 */
import { CLASS_PALETTE } from './class-palette.js';

/** Fits W×H into a box of `max` pixels, never enlarging. */
export function thumbSize(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / width, max / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Nearest-neighbour downsampling of a label mask (labels must never be interpolated). */
export function sampleLabels(mask: Uint8Array, width: number, height: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th);
  for (let y = 0; y < th; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / th));
    for (let x = 0; x < tw; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / tw));
      out[y * tw + x] = mask[sy * width + sx] as number;
    }
  }
  return out;
}

/** RGBA: each class in its palette colour, 0 (outside the ROI) fully transparent. */
export function colourLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const code = labels[i] as number;
    if (code === 0) continue;
    const c = CLASS_PALETTE[code] ?? [255, 255, 255];
    out.set([c[0], c[1], c[2], 255], i * 4);
  }
  return out;
}

/** How much of the class colour goes into an overlay pixel inside the ROI. */
export const OVERLAY_ALPHA = 0.35;
/** What is left of the image outside the ROI. */
export const OUTSIDE_BRIGHTNESS = 0.25;

/** RGB: the image with the class colours blended in and everything outside the ROI darkened. */
export function overlayLabels(rgb: Uint8Array, labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < labels.length; i++) {
    const code = labels[i] as number;
    const c = CLASS_PALETTE[code];
    for (let k = 0; k < 3; k++) {
      const v = rgb[i * 3 + k] as number;
      out[i * 3 + k] = code === 0 || c === undefined ? Math.round(v * OUTSIDE_BRIGHTNESS) : Math.round(v * (1 - OVERLAY_ALPHA) + (c[k] as number) * OVERLAY_ALPHA);
    }
  }
  return out;
}
