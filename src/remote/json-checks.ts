/**
 * The shape checks of every JSON answer the download path parses: the Girder folder listing,
 * item and `/tiles`, the login token, the figshare file list and the GDC `files` envelope (its
 * hits are held to their fields in gdc-checks.ts). A failure names the field (`a.b: expected …`).
 *
 * Why hand-written rather than zod (issue 13): the wall time of a zero-request rerun
 * (`bcss download` against `bcss serve --demo --scale 0.05`, second run, 0 requests), measured
 * 2026-12-02, 9 runs per variant interleaved, two rounds on a busy 2-core machine; median
 * (min–max) wall, then median CPU:
 *   no zod loaded              610 (450–1770) / 660 (370–1050) ms wall, 300 / 270 ms CPU
 *   zod loaded on first use   1210 (700–1670) / 1030 (420–1740) ms wall, 440 / 400 ms CPU
 *   zod imported eagerly       920 (520–1340) /  840 (480–1330) ms wall, 410 / 400 ms CPU
 * Loading zod costs ~130 ms of CPU on a command whose whole job is ~270 ms; these checks cost
 * well under 1 ms. "no zod" above was a build with the lock's check bypassed. Since then the lock
 * (pipeline/lock-file.ts), the config file and `--faults` are checked by hand too, with the
 * helpers of validation/checks.ts, and zod is no longer a dependency. That step, measured
 * 2026-12-02 the same way, 7 runs per variant interleaved on a busy 2-core machine, median
 * (min–max) wall, then median CPU (user + sys):
 *   lock checked by zod (loaded on first use)   590 (530–650) ms wall, 560 ms CPU
 *   lock checked by hand, no zod                 410 (350–450) ms wall, 390 ms CPU
 */

import { type Checked, each, get, isNonNegativeInt, isNumber, isPositiveInt, objectAt, run } from '../validation/checks.js';

export type { Checked };

const OBJECT_ID = /^[0-9a-f]{24}$/i;
const MD5 = /^[0-9a-f]{32}$/i;

export interface ItemDocument {
  _id: string;
  name: string;
  folderId?: string;
  size?: number | null;
  largeImage?: unknown;
}

function item(raw: unknown, path: string): ItemDocument {
  const o = objectAt(raw, path);
  const optional = <T>(key: string, ok: (v: unknown) => boolean, expected: string): T | undefined =>
    get<T | undefined>(o, key, path, (v) => v === undefined || ok(v), expected);
  const size = optional<number | null>('size', (v) => v === null || isNumber(v), 'a number or null');
  const folderId = optional<string>('folderId', (v) => typeof v === 'string', 'a string');
  return {
    _id: get<string>(o, '_id', path, (v) => typeof v === 'string' && OBJECT_ID.test(v), 'a 24-hex id'),
    name: get<string>(o, 'name', path, (v) => typeof v === 'string', 'a string'),
    ...(folderId === undefined ? {} : { folderId }),
    ...(size === undefined ? {} : { size }),
    ...(o.largeImage === undefined ? {} : { largeImage: o.largeImage }),
  };
}

/** A Girder item document (docs/protocols.md#girder-item-listing). */
export function checkItem(raw: unknown): Checked<ItemDocument> {
  return run(() => item(raw, ''));
}

/** A page of the folder listing: an array of item documents. */
export function checkItems(raw: unknown): Checked<ItemDocument[]> {
  return run(() => each(raw, item));
}

export interface TilesDocument {
  sizeX: number;
  sizeY: number;
  levels: number;
  magnification: number | null;
  mm_x: number | null;
  mm_y: number | null;
  tileWidth: number;
  tileHeight: number;
}

/** `/item/{id}/tiles` (docs/protocols.md#tiles-metadata): sizes and levels must be positive integers; mm and magnification positive or null. */
export function checkTiles(raw: unknown): Checked<TilesDocument> {
  return run(() => {
    const o = objectAt(raw, '');
    const int = (key: string): number => get<number>(o, key, '', isPositiveInt, 'a positive integer');
    const orNull = (key: string): number | null =>
      get<number | null | undefined>(o, key, '', (v) => v === undefined || v === null || (isNumber(v) && v > 0), 'a positive number or null') ?? null;
    return {
      sizeX: int('sizeX'),
      sizeY: int('sizeY'),
      levels: int('levels'),
      magnification: orNull('magnification'),
      mm_x: orNull('mm_x'),
      mm_y: orNull('mm_y'),
      tileWidth: int('tileWidth'),
      tileHeight: int('tileHeight'),
    };
  });
}

export interface FigshareFileDocument {
  id: number;
  name: string;
  size: number;
  download_url: string;
  computed_md5: string;
  supplied_md5: string | null;
  is_link_only: boolean | null;
  mimetype: string | null;
}

/** figshare's `/articles/{id}/files` page (docs/protocols.md#figshare-file-fields). */
export function checkFigshareFiles(raw: unknown): Checked<FigshareFileDocument[]> {
  return run(() =>
    each(raw, (one, path) => {
      const o = objectAt(one, path);
      const optional = <T>(key: string, ok: (v: unknown) => boolean, expected: string): T | null =>
        get<T | null | undefined>(o, key, path, (v) => v === undefined || v === null || ok(v), expected) ?? null;
      return {
        id: get<number>(o, 'id', path, isPositiveInt, 'a positive integer'),
        name: get<string>(o, 'name', path, (v) => typeof v === 'string', 'a string'),
        size: get<number>(o, 'size', path, isNonNegativeInt, 'a non-negative integer'),
        download_url: get<string>(o, 'download_url', path, (v) => typeof v === 'string' && v.length > 0, 'a URL'),
        computed_md5: get<string>(o, 'computed_md5', path, (v) => typeof v === 'string' && MD5.test(v), '32 hex digits'),
        supplied_md5: optional<string>('supplied_md5', (v) => typeof v === 'string', 'a string or null'),
        is_link_only: optional<boolean>('is_link_only', (v) => typeof v === 'boolean', 'a boolean or null'),
        mimetype: optional<string>('mimetype', (v) => typeof v === 'string', 'a string or null'),
      };
    }),
  );
}

/** The login answer (docs/protocols.md, "Girder authentication"): `{ authToken: { token } }` with a non-empty token. */
export function checkLoginToken(raw: unknown): Checked<string> {
  return run(() => {
    const auth = objectAt(objectAt(raw, '').authToken, 'authToken');
    return get<string>(auth, 'token', 'authToken.', (v) => typeof v === 'string' && v.length > 0, 'a non-empty string');
  });
}

/** GDC `/files` (docs/protocols.md, "GDC files query"): `data.hits` an array (each hit checked on its own), `data.pagination.total` a count. */
export function checkGdcAnswer(raw: unknown): Checked<{ hits: unknown[]; total: number }> {
  return run(() => {
    const data = objectAt(objectAt(raw, '').data, 'data');
    const hits = get<unknown[]>(data, 'hits', 'data.', Array.isArray, 'an array');
    const pagination = objectAt(data.pagination, 'data.pagination');
    const total = get<number>(pagination, 'total', 'data.pagination.', isNonNegativeInt, 'a non-negative integer');
    return { hits, total };
  });
}
