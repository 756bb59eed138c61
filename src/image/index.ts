// Public surface of the image room (`bcss/image`): label-mask PNGs as class codes (one read–write
// API for 8-bit greyscale and palette masks), PNG and JPEG headers read without decoding, and
// sharp-based colour helpers. Why the mask codec is bcss's own: docs/benchmarks.md.
export { decodeGreyPng, decodeGreyRows, encodeGreyPng, pngKind, readGreyPng } from './label-png.js';
export type { GreyImage, GreyRows, ReadGreyOptions } from './label-png.js';
export { encodeGreyRows } from './grey-png.js';
export type { RowFiller } from './grey-png.js';
export { readPngHeader, PNG_HEADER_BYTES } from './png-header.js';
export type { PngHeader } from './png-header.js';
export { readPngHeaderFromFile } from './png-header-file.js';
export { isJpeg, readJpegSize } from './jpeg-size.js';
export type { JpegSize } from './jpeg-size.js';
export { encodeColourPng, readImageRgb } from './rgb-png.js';
export type { RgbImage } from './rgb-png.js';
