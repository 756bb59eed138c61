import { createHash } from 'node:crypto';
import { constants, createReadStream, openSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ByteRange } from '../dataset-types.js';

/** Never follow a symlink in the last component: see contained-path.ts. */
const NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** A readable over a file or its end-exclusive byte range. */
export function fileRangeStream(path: string, range?: ByteRange): Readable {
  if (range !== undefined && range.end <= range.start) return Readable.from([]);
  // Opened here (ELOOP on a symlink) rather than by the stream, whose typed flags must be a string.
  const fd = openSync(path, NO_FOLLOW);
  if (range === undefined) return createReadStream(path, { fd });
  return createReadStream(path, { fd, start: range.start, end: range.end - 1 });
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
