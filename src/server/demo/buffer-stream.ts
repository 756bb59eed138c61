import { Readable } from 'node:stream';
import type { ByteRange } from '../dataset-types.js';

/** A readable over `buf` or the end-exclusive `range` of it (clamped to the buffer). */
export function bufferStream(buf: Buffer, range?: ByteRange): Readable {
  const start = Math.max(0, Math.min(range?.start ?? 0, buf.length));
  const end = Math.max(start, Math.min(range?.end ?? buf.length, buf.length));
  return Readable.from([buf.subarray(start, end)], { objectMode: false });
}
