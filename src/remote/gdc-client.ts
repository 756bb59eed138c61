/**
 * GDC API (docs/protocols.md, GDC sections): map slide file names to GDC files in ONE batched
 * `POST /files`. `size` defaults to 10 on the server, so it is always set to the number of names
 * and `pagination.total` is checked; each name must have exactly one hit.
 */
import { HttpError } from '../errors.js';
import type { Transfer } from '../transfer/types.js';
import { checkGdcHit } from './gdc-checks.js';
import { checkGdcAnswer } from './json-checks.js';
import type { GdcFileHit } from './types.js';

export const GDC_FIELDS = 'file_id,file_name,md5sum,file_size,access,state,data_format';

// The envelope is checked by json-checks.ts, the hits one by one (gdc-checks.ts), so one hostile
// record fails its own slide only.

export interface QueryGdcFilesOptions {
  transfer: Transfer;
  /** API base, e.g. `https://api.gdc.cancer.gov`. */
  baseUrl: string;
  fileNames: readonly string[];
  /** Lane (default `gdc`). */
  lane?: string;
  /** A GDC token (BCSS_GDC_TOKEN), sent as `X-Auth-Token` as GDC expects for controlled data. */
  token?: string;
}

/** Headers that carry a GDC token, declared secret; none without a token. */
export function gdcAuthHeaders(token: string | undefined): { headers?: Record<string, string>; secretHeaders?: string[] } {
  return token === undefined ? {} : { headers: { 'X-Auth-Token': token }, secretHeaders: ['X-Auth-Token'] };
}

export interface GdcLookup {
  /** Exactly one hit per name, keyed by the name as asked. */
  files: Map<string, GdcFileHit>;
  /** Names with no hit. */
  missing: string[];
  /** Names with more than one hit (refused: which file is meant is unknowable). */
  ambiguous: string[];
  /**
   * Records refused because a field does not have its real shape (a `state` with a newline, a
   * `file_name` with a `/`…): the slide name (or `record N` when the name itself is bad) and why.
   */
  refused: Array<{ name: string; issue: string }>;
}

export async function queryGdcFiles(options: QueryGdcFilesOptions): Promise<GdcLookup> {
  const names = [...new Set(options.fileNames)];
  const lookup: GdcLookup = { files: new Map(), missing: [], ambiguous: [], refused: [] };
  if (names.length === 0) return lookup;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/files`;
  const body = JSON.stringify({
    filters: { op: 'in', content: { field: 'files.file_name', value: names } },
    fields: GDC_FIELDS,
    format: 'JSON',
    size: String(names.length),
    from: '0',
  });
  const result = await options.transfer.json<unknown>({
    url,
    lane: options.lane ?? 'gdc',
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...gdcAuthHeaders(options.token).headers },
    ...(options.token === undefined ? {} : { secretHeaders: ['X-Auth-Token'] }),
    body,
  });
  const parsed = checkGdcAnswer(result.data);
  if (!parsed.ok) throw new HttpError(result.status, url, 'GDC /files: the answer has no data.hits / data.pagination.total');
  const { hits, total } = parsed.value;
  if (total > hits.length) {
    throw new HttpError(
      result.status,
      url,
      `GDC /files: ${total} files match but only ${hits.length} were returned; the query was cut short`,
    );
  }
  const asked = new Set(names);
  const byName = new Map<string, GdcFileHit[]>();
  const refusedNames = new Set<string>();
  hits.forEach((raw, i) => {
    const checked = checkGdcHit(raw);
    if (!checked.ok) {
      const name = checked.fileName !== null && asked.has(checked.fileName) ? checked.fileName : `record ${i}`;
      if (asked.has(name)) refusedNames.add(name);
      lookup.refused.push({ name, issue: checked.issue });
      return;
    }
    const list = byName.get(checked.hit.fileName) ?? [];
    list.push(checked.hit);
    byName.set(checked.hit.fileName, list);
  });
  for (const name of names) {
    if (refusedNames.has(name)) continue;
    const found = byName.get(name) ?? [];
    if (found.length === 1 && found[0] !== undefined) lookup.files.set(name, found[0]);
    else if (found.length === 0) lookup.missing.push(name);
    else lookup.ambiguous.push(name);
  }
  return lookup;
}
