/**
 * Byte estimates for --dry-run. Rough by nature; the constants come from docs/imaging.md#size-estimates
 * (measured on tissue-like content):
 * - RGB PNG: sharp zlib 6 gave 1.2 B/px and level 1 1.34 B/px for 4000² RGB; the DSA encodes with
 *   PIL compress_level 2 and often as RGBA (alpha 255, compresses to little), so 1.5 B/px, the
 *   middle of the 0.5–2 B/px range H&E PNGs fall in.
 * - RGB JPEG (quality 95, 4:4:4): about 0.35 B/px.
 * - Label masks compress extremely well (144 KB for 4000², 0.009 B/px); 0.02 B/px is counted
 *   for the written mask plus the downloaded base mask.
 * - Annotation JSON per slide and the scripts: fixed guesses.
 */
import type { Component } from './types.js';

export const PNG_BYTES_PER_PIXEL = 1.5;
export const JPEG_BYTES_PER_PIXEL = 0.35;
export const MASK_BYTES_PER_PIXEL = 0.02;
export const ANNOTATION_BYTES = 500_000;
export const SCRIPT_BYTES = 20_000;

export function estimateBytes(kind: Component, size: { width: number; height: number } | null, encoding: 'png' | 'jpeg'): number | null {
  switch (kind) {
    case 'images':
      return size === null ? null : Math.round(size.width * size.height * (encoding === 'png' ? PNG_BYTES_PER_PIXEL : JPEG_BYTES_PER_PIXEL));
    case 'masks':
      return size === null ? null : Math.round(size.width * size.height * MASK_BYTES_PER_PIXEL);
    case 'annotations':
      return ANNOTATION_BYTES;
    case 'wsi-scripts':
      return SCRIPT_BYTES;
    case 'wsis':
      return null; // the GDC record knows (dry-run.ts asks it)
  }
}
