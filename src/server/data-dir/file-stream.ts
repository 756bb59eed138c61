import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ByteRange } from '../dataset-types.js';

/** A readable over a file or its end-exclusive byte range. */
export function fileRangeStream(path: string, range?: ByteRange): Readable {
  if (range === undefined) return createReadStream(path);
  if (range.end <= range.start) return Readable.from([]);
  return createReadStream(path, { start: range.start, end: range.end - 1 });
}

/** Size and MD5 of a file, read as a stream so a multi-GB slide never sits in memory. */
export async function hashFile(path: string): Promise<{ size: number; md5: string }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
  }
  return { size, md5: hash.digest('hex') };
}
