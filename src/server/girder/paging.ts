import { compareCodePoints } from './girder-json.js';
import { enumParam, intParam, type GirderRequest } from './girder-request.js';

export interface Paging {
  limit: number;
  offset: number;
  sort: string;
  sortdir: 1 | -1;
}

/** Girder's `pagingParams`: limit (default 50, 0 = no limit), offset, sort, sortdir (1 or -1). */
export function pagingParams(r: GirderRequest, defaultSort: string, defaultLimit = 50): Paging {
  const limit = intParam(r, 'limit', defaultLimit);
  const offset = intParam(r, 'offset', 0);
  const sort = r.params.sort ?? defaultSort;
  const sortdir = Number(enumParam(r, 'sortdir', ['1', '-1'] as const, '1')) as 1 | -1;
  return { limit, offset, sort, sortdir };
}

/** MongoDB-like ordering: missing < numbers < strings (binary, i.e. code point) < booleans. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return (a as number) - (b as number);
  if (ra === 2) return compareCodePoints(a as string, b as string);
  if (ra === 3) return Number(a) - Number(b);
  return 0;
}

/**
 * Sort (stable, so ties keep the natural order as MongoDB does) and cut one page. A negative
 * offset is a MongoDB error on the real server (500); a negative limit returns |limit| rows.
 */
export function sortAndPage<T>(rows: T[], paging: Paging, field: (row: T, name: string) => unknown): { page: T[]; total: number } {
  if (paging.offset < 0) throw new Error(`skip value must be non-negative, but received: ${paging.offset}`);
  const sorted = rows
    .map((row, index) => ({ row, index, key: field(row, paging.sort) }))
    .sort((x, y) => paging.sortdir * compareValues(x.key, y.key) || x.index - y.index)
    .map((x) => x.row);
  const limit = Math.abs(paging.limit);
  const page = limit === 0 ? sorted.slice(paging.offset) : sorted.slice(paging.offset, paging.offset + limit);
  return { page, total: rows.length };
}
