/** Window of a figshare listing, or the 422 message explaining why the parameters are refused. */
export type PageWindow = { ok: true; offset: number; limit: number } | { ok: false; message: string };

/** figshare's documented cap: nothing past the 1000th entry can be listed. */
export const FIGSHARE_LIST_CAP = 1000;
const DEFAULT_PAGE_SIZE = 10;

function intParam(params: URLSearchParams, name: string, min: number, max: number): number | string | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw.trim())) return `${name} must be an integer (got ${JSON.stringify(raw)})`;
  const v = Number(raw.trim());
  if (v < min || v > max) return `${name} must be between ${min} and ${max} (got ${v})`;
  return v;
}

/**
 * figshare's pagination (docs/protocols.md#figshare-file-listing): either `page` (≥ 1, default 1) + `page_size`
 * (1–1000, default 10), or `limit` (1–1000) + `offset` (≥ 0). Mixing the styles, a bad value or a
 * window reaching past the 1000-entry cap is a 422.
 */
export function pageWindow(params: URLSearchParams): PageWindow {
  const pageStyle = params.has('page') || params.has('page_size');
  const limitStyle = params.has('limit') || params.has('offset');
  if (pageStyle && limitStyle) {
    return { ok: false, message: 'Pagination parameters page/page_size and limit/offset cannot be combined' };
  }
  if (limitStyle) {
    const limit = intParam(params, 'limit', 1, FIGSHARE_LIST_CAP) ?? DEFAULT_PAGE_SIZE;
    const offset = intParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    if (typeof limit === 'string') return { ok: false, message: limit };
    if (typeof offset === 'string') return { ok: false, message: offset };
    if (offset + limit > FIGSHARE_LIST_CAP) {
      return { ok: false, message: `offset + limit may not exceed ${FIGSHARE_LIST_CAP} (got ${offset + limit})` };
    }
    return { ok: true, offset, limit };
  }
  const page = intParam(params, 'page', 1, Number.MAX_SAFE_INTEGER) ?? 1;
  const pageSize = intParam(params, 'page_size', 1, FIGSHARE_LIST_CAP) ?? DEFAULT_PAGE_SIZE;
  if (typeof page === 'string') return { ok: false, message: page };
  if (typeof pageSize === 'string') return { ok: false, message: pageSize };
  if (page * pageSize > FIGSHARE_LIST_CAP) {
    return { ok: false, message: `page * page_size may not exceed ${FIGSHARE_LIST_CAP} (got ${page * pageSize})` };
  }
  return { ok: true, offset: (page - 1) * pageSize, limit: pageSize };
}
