/**
 * CherryPy's `httputil.get_ranges`, which Girder's file download uses for the `Range` header
 * (docs/protocols.md#girder-file-download). Returns null when the header is absent or must be ignored, an empty
 * list when every range is unsatisfiable, else `[start, endExclusive)` pairs. A header CherryPy
 * cannot split (no `=`, no `-`, not integers) throws: the real server answers 500.
 */
export class MalformedRangeError extends Error {
  constructor(header: string) {
    super(`malformed Range header: ${header}`);
  }
}

function pyInt(text: string, header: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new MalformedRangeError(header);
  return Number(text);
}

export function parseRanges(header: string | undefined, size: number): Array<[number, number]> | null {
  if (header === undefined || header === '') return null;
  const eq = header.indexOf('=');
  if (eq < 0) throw new MalformedRangeError(header);
  const result: Array<[number, number]> = [];
  for (const part of header.slice(eq + 1).split(',')) {
    const dash = part.indexOf('-');
    if (dash < 0) throw new MalformedRangeError(header);
    const startText = part.slice(0, dash).trim();
    let stopText = part.slice(dash + 1).trim();
    if (startText !== '') {
      if (stopText === '') stopText = String(size - 1);
      const start = pyInt(startText, header);
      const stop = pyInt(stopText, header);
      if (start >= size) continue; // unsatisfiable: skipped, never a 416
      if (stop < start) return null; // syntactically invalid: the whole header is ignored
      result.push([start, stop + 1]);
    } else {
      if (stopText === '') return null;
      const n = pyInt(stopText, header);
      result.push(n > size ? [0, size] : [size - n, size]);
    }
  }
  return result;
}

/** The byte window Girder serves for offset/endByte/Range, and the headers that describe it. */
export interface DownloadWindow {
  offset: number;
  end: number;
  status: 200 | 206;
  contentRange: string | null;
  contentLength: number;
}

/**
 * Girder's `download` + `setContentHeaders`: the first satisfiable range wins over offset/endByte;
 * `Content-Range` (and so 206) whenever offset > 0, end < size or a Range header was sent at all.
 */
export function downloadWindow(
  size: number,
  offsetParam: number,
  endByteParam: number | null,
  rangeHeader: string | undefined,
  parseRange = true,
): DownloadWindow {
  let offset = offsetParam;
  let end = endByteParam;
  if (parseRange) {
    const ranges = parseRanges(rangeHeader, size);
    if (ranges !== null && ranges.length > 0) [offset, end] = ranges[0] as [number, number];
  }
  if (end === null || end > size) end = size;
  const rangeSent = rangeHeader !== undefined && rangeHeader !== '';
  const contentRange = (offset > 0 || end < size || rangeSent) && size > 0 ? `bytes ${offset}-${end - 1}/${size}` : null;
  return {
    offset,
    end,
    status: contentRange === null ? 200 : 206,
    contentRange,
    contentLength: Math.max(end - offset, 0),
  };
}

/** The outcome of a `Range` header for the RFC-conforming services (figshare's blob store, GDC). */
export type RangeDecision =
  | { kind: 'full' }
  /** Inclusive first and last byte, as Content-Range states them. */
  | { kind: 'partial'; first: number; last: number }
  | { kind: 'unsatisfiable' };

/**
 * A `Range` header as an RFC 9110 server (S3 behind figshare, GDC) reads it: one `bytes=` range
 * `a-b` (inclusive, b clamped to the end), `a-` or the suffix `-n`. Anything malformed, another
 * unit or several ranges is ignored (a full answer, which the RFC allows); a start at or past the
 * end, or `-0`, is unsatisfiable (416). Deliberately not built on `parseRanges`: CherryPy checks
 * "start past the end" before "last < first" and never answers 416, the RFC does the opposite.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', first: Math.max(0, size - n), last: size - 1 };
  }
  const first = Number(a);
  if (b !== '' && Number(b) < first) return { kind: 'full' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', first, last: b === '' ? size - 1 : Math.min(Number(b), size - 1) };
}
