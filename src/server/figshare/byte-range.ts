/** The outcome of reading a `Range` header against a body of known size. */
export type RangeDecision =
  | { kind: 'full' }
  /** Inclusive first and last byte, as Content-Range states them. */
  | { kind: 'partial'; first: number; last: number }
  | { kind: 'unsatisfiable' };

/**
 * One `bytes=` range per RFC 9110 §14: `a-b` (inclusive, b clamped to the end), `a-` and the
 * suffix form `-n`. Anything malformed, another unit or several ranges is ignored (a full answer),
 * which the RFC allows; a start at or past the end, or `-0`, is unsatisfiable.
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
  const last = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < first) return { kind: 'full' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', first, last };
}
