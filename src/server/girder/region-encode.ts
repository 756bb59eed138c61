import sharp, { type Sharp } from 'sharp';
import { restError } from './girder-errors.js';
import type { RegionParams } from './region-params.js';

/** sharp has only 4:4:4 and 4:2:0; large_image's 1 (4:2:2) is served as 4:2:0. */
function chromaSubsampling(p: RegionParams): '4:4:4' | '4:2:0' {
  return p.jpegSubsampling === 0 ? '4:4:4' : '4:2:0';
}

const TIFF_COMPRESSION: Record<string, 'none' | 'lzw' | 'jpeg' | 'deflate' | 'packbits'> = {
  raw: 'none',
  none: 'none',
  lzw: 'lzw',
  tiff_lzw: 'lzw',
  jpeg: 'jpeg',
  deflate: 'deflate',
  zip: 'deflate',
  tiff_deflate: 'deflate',
  tiff_adobe_deflate: 'deflate',
  packbits: 'packbits',
};

/**
 * Apply large_image's encoder settings (docs/protocols.md#tiles-region): JPEG quality 95 and 4:4:4 by
 * default; PNG at zlib level 2, RGBA (alpha 255) when the region was resampled, else RGB.
 */
export function applyEncoding(img: Sharp, p: RegionParams, resampled: boolean): Sharp {
  switch (p.encoding) {
    case 'JPEG':
    case 'JFIF':
      // No optimised Huffman tables: like PIL's default, and libjpeg's two-pass optimisation would
      // buffer every DCT coefficient of the image (~1.5 GB for 120 Mpx) in the streamed path.
      return img.jpeg({
        quality: Math.min(100, Math.max(1, p.jpegQuality)),
        chromaSubsampling: chromaSubsampling(p),
        optimiseCoding: false,
      });
    case 'PNG':
      return (resampled ? img.ensureAlpha(1) : img).png({ compressionLevel: 2 });
    case 'TIFF':
    case 'TILED': {
      const compression = TIFF_COMPRESSION[p.tiffCompression];
      if (compression === undefined) throw restError(`Value Error: Invalid tiffCompression "${p.tiffCompression}"`);
      return img.tiff(p.encoding === 'TILED' ? { compression, tile: true, pyramid: true } : { compression });
    }
    default:
      throw restError(`Value Error: Invalid encoding "${p.encoding}"`);
  }
}

/** Padding that centres a w x h image in W x H (large_image `_letterboxImage`). */
export function letterbox(w: number, h: number, W: number, H: number): { top: number; bottom: number; left: number; right: number } {
  const left = Math.max(0, Math.trunc((W - w) / 2));
  const top = Math.max(0, Math.trunc((H - h) / 2));
  return { left, top, right: Math.max(0, W - w - left), bottom: Math.max(0, H - h - top) };
}

/** Encode a buffered region (RGB bytes) into the answer's bytes. */
export async function encodeRegion(
  pixels: { data: Buffer; width: number; height: number },
  p: RegionParams,
  resampled: boolean,
  fill: { width: number; height: number } | null,
): Promise<Buffer> {
  let img = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } });
  if (fill !== null) {
    const pad = letterbox(pixels.width, pixels.height, fill.width, fill.height);
    try {
      img = img.extend({ ...pad, background: p.fill as string });
    } catch (err) {
      throw restError(`Value Error: ${(err as Error).message}`);
    }
  }
  return applyEncoding(img, p, resampled).toBuffer();
}
