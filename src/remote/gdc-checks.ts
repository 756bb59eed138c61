/**
 * Field checks for one GDC `files` hit. Every field that reaches a generated file
 * (`gdc_manifest.txt`, `download_wsis_gdc.sh` reads it) is held to its real shape, because the
 * manifest is tab- and newline-separated and the script turns `file_name` into a path: a `state`
 * carrying a newline would otherwise become an extra manifest row naming any path (issue 9, item 3).
 */
import type { GdcFileHit } from './types.js';

export const GDC_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MD5 = /^[0-9a-f]{32}$/i;

/**
 * A base name that is safe as a path component and as a word in sh, cmd and a TSV row: starts with
 * a letter or digit, then letters, digits, `.`, `_`, `-`; never `..`; at most 255 bytes. TCGA slide
 * names (`TCGA-A1-A0SK-01Z-00-DX1.<UUID>.svs`) fit.
 */
export const SAFE_BASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function isSafeBaseName(name: string): boolean {
  return SAFE_BASE_NAME.test(name) && !name.includes('..');
}

/** GDC's `access` values. */
export const GDC_ACCESS: ReadonlySet<string> = new Set(['open', 'controlled']);

/**
 * GDC's file states: the entity states of the GDC data dictionary plus the `file_state` values
 * (upload and processing steps). All are plain lower-case words.
 */
export const GDC_STATES: ReadonlySet<string> = new Set([
  'registered',
  'uploading',
  'uploaded',
  'md5summing',
  'md5summed',
  'validating',
  'validated',
  'submitted',
  'processing',
  'processed',
  'released',
  'live',
  'error',
  'invalid',
  'suppressed',
  'redacted',
  'deleted',
]);

export type GdcHitCheck = { ok: true; hit: GdcFileHit } | { ok: false; fileName: string | null; issue: string };

function shown(v: unknown): string {
  return v === undefined ? 'nothing' : (JSON.stringify(v) ?? typeof v).slice(0, 80);
}

/** Checks one hit; on failure names the first bad field and its (quoted, shortened) value. */
export function checkGdcHit(raw: unknown): GdcHitCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, fileName: null, issue: 'the record is not an object' };
  const o = raw as Record<string, unknown>;
  const fileName = typeof o.file_name === 'string' ? o.file_name : null;
  const fail = (field: string, expected: string): GdcHitCheck => ({ ok: false, fileName, issue: `${field}: expected ${expected}, got ${shown(o[field])}` });
  if (typeof o.file_name !== 'string' || !isSafeBaseName(o.file_name)) return fail('file_name', 'a safe base name (letters, digits, . _ -)');
  if (typeof o.file_id !== 'string' || !GDC_UUID.test(o.file_id)) return fail('file_id', 'a UUID');
  if (typeof o.md5sum !== 'string' || !MD5.test(o.md5sum)) return fail('md5sum', '32 hex digits');
  if (!Number.isSafeInteger(o.file_size) || (o.file_size as number) < 0) return fail('file_size', 'an integer ≥ 0');
  if (typeof o.access !== 'string' || !GDC_ACCESS.has(o.access)) return fail('access', `one of ${[...GDC_ACCESS].join(', ')}`);
  if (typeof o.state !== 'string' || !GDC_STATES.has(o.state)) return fail('state', 'a GDC file state (released, submitted, …)');
  if (typeof o.data_format !== 'string') return fail('data_format', 'a string');
  return {
    ok: true,
    hit: {
      fileId: o.file_id.toLowerCase(),
      fileName: o.file_name,
      md5sum: o.md5sum.toLowerCase(),
      fileSize: o.file_size as number,
      access: o.access,
      state: o.state,
      dataFormat: o.data_format,
    },
  };
}
