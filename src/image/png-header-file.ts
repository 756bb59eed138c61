/**
 * `readPngHeader` for a file on disk, reading only the 33 header bytes (a base mask or RGB can be
 * hundreds of MB). Kept apart from png-header.ts so that module stays free of I/O.
 */
import { open } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { PNG_HEADER_BYTES, readPngHeader, type PngHeader } from './png-header.js';

/**
 * Throws IntegrityError (with `path`) for a file that is not a valid PNG; file-system errors
 * (ENOENT, EACCES…) propagate unchanged so callers can tell "missing" from "corrupt".
 */
export async function readPngHeaderFromFile(path: string): Promise<PngHeader> {
  const buf = new Uint8Array(PNG_HEADER_BYTES);
  let got = 0;
  const fh = await open(path, 'r');
  try {
    // read() may return fewer bytes than asked; loop until full or end of file.
    while (got < PNG_HEADER_BYTES) {
      const { bytesRead } = await fh.read(buf, got, PNG_HEADER_BYTES - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } finally {
    await fh.close();
  }
  try {
    return readPngHeader(buf.subarray(0, got));
  } catch (err) {
    if (err instanceof IntegrityError) {
      throw new IntegrityError(`${path}: ${err.message}`, {
        path,
        expected: err.expected,
        actual: err.actual,
        cause: err,
      });
    }
    throw err;
  }
}
