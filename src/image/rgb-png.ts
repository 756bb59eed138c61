/**
 * Colour images through sharp (libvips): RGB in for tiles and thumbnails, RGB/RGBA out for the
 * gallery. Label masks never come here: label-png.ts reads them as class codes, not colours.
 */
import sharp from 'sharp';
import { IntegrityError } from '../errors.js';

/** Packed 8-bit pixels, `channels` per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** RGB (3 channels) or RGBA (4) raw pixels as PNG. */
export async function encodeColourPng(pixels: Uint8Array, width: number, height: number, channels: 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width, height, channels },
    limitInputPixels: false,
  })
    .png()
    .toBuffer();
}

/** The image (PNG or JPEG) as packed RGB (alpha dropped: DSA renders opaque RGBA), decoded once. */
export async function readImageRgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path, { limitInputPixels: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new IntegrityError(`${path}: decoded to ${info.channels} channels, expected RGB`, { path });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
