import { createHash } from 'node:crypto';
import { planRegion } from '../../geometry/region-size.js';
import type { ServedItem } from '../dataset-types.js';
import { restError } from './girder-errors.js';
import { caller, loadItem, type GirderHandler, type GirderRequest } from './girder-request.js';
import { ENCODING_MIME, parseRegionParams, toBaseRequest } from './region-params.js';
import type { Route } from './router.js';
import { renderTile, storedTile, tileRangeError, type TileAddress } from './tile-pixels.js';

/**
 * large_image's `_handleETag`: a quoted md5 ETag over the route, item id, item date and the
 * request's own values; 304 for a matching If-None-Match, 412 for a failing If-Match.
 * Returns false when the answer has been sent.
 */
function handleETag(r: GirderRequest, key: string, item: ServedItem, values: unknown[]): boolean {
  const params = Object.entries(r.params).filter(([k]) => k !== 'token').sort();
  const etag = createHash('md5').update(JSON.stringify([key, item.id, item.updated, values, params])).digest('hex');
  const { res } = r;
  res.setHeader('ETag', `"${etag}"`);
  const ifMatch = r.req.headers['if-match'];
  if (ifMatch !== undefined && !ifMatch.split(',').some((t) => ['*', `"${etag}"`, etag].includes(t.trim()))) {
    res.statusCode = 412;
    res.end();
    return false;
  }
  const ifNoneMatch = r.req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => ['*', etag].includes(t.trim().replace(/^"|"$/g, '')))) {
    res.statusCode = 304;
    res.end();
    return false;
  }
  res.setHeader('Cache-control', 'public, max-age=3600');
  return true;
}

function sendImage(r: GirderRequest, body: Buffer, mime: string): void {
  r.res.statusCode = 200;
  r.res.setHeader('Content-Type', mime);
  r.res.setHeader('Content-Length', body.length);
  r.res.end(body);
}

/** `_getTile`'s checks: integers (400), not negative (400), inside the pyramid (404). */
function tileAddress(r: GirderRequest): TileAddress {
  const parts = [r.args.x, r.args.y, r.args.z].map((v) => (/^\s*[+-]?\d+\s*$/.test(v ?? '') ? Number(v) : Number.NaN));
  if (parts.some((n) => Number.isNaN(n))) throw restError('x, y, and z must be integers');
  const [x, y, z] = parts as [number, number, number];
  if (x < 0 || y < 0 || z < 0) throw restError('x, y, and z must be positive integers');
  return { x, y, z };
}

async function sendTile(r: GirderRequest, key: string, extra: unknown[]): Promise<void> {
  const item = loadItem(r, r.args.id as string, caller(r, { cookie: true }));
  const a = tileAddress(r);
  const slide = item.slide;
  const geometry = r.store.geometry(item);
  if (!slide || !geometry) throw restError('No large image file in this item.', 404);
  if (!handleETag(r, key, item, [...extra, a.z, a.x, a.y])) return;
  const tile = { width: slide.tileWidth, height: slide.tileHeight };
  const outside = tileRangeError(geometry, tile, a);
  if (outside !== null) throw restError(outside, 404);
  const encoding = r.params.encoding ?? 'JPEG';
  const mime = ENCODING_MIME[encoding];
  if (encoding !== 'JPEG' && encoding !== 'PNG') {
    throw restError(`Value Error: this server encodes tiles as JPEG or PNG only (encoding=${encoding})`);
  }
  if (mime === undefined) throw new Error(`no MIME type for ${encoding}`);
  // The stored bytes when the encoding matches, as large_image's tiff source does.
  const stored = encoding === 'JPEG' ? await storedTile(slide, a) : null;
  if (stored !== null) {
    r.log(`tile ${a.z}/${a.x}/${a.y}: stored JPEG passed through`);
    sendImage(r, stored, mime);
    return;
  }
  const lease = await r.store.source(item);
  try {
    sendImage(r, await renderTile(lease.source, geometry, tile, a, encoding), mime);
  } finally {
    lease.release();
  }
}

/** `GET /item/{id}/tiles/zxy/{z}/{x}/{y}` (large_image `getTile`). */
const getTile: GirderHandler = (r) => sendTile(r, 'getTile', []);

/** `GET /item/{id}/tiles/fzxy/{frame}/{z}/{x}/{y}`: a single-frame slide only has frame 0. */
const getTileWithFrame: GirderHandler = async (r) => {
  const frame = r.args.frame ?? '';
  if (!/^\s*\d+\s*$/.test(frame)) throw restError('"frame" parameter is an incorrect type.');
  if (Number(frame) !== 0) throw restError('Frame does not exist', 404);
  await sendTile(r, 'getTileWithFrame', [frame]);
};

/**
 * `GET /item/{id}/tiles/thumbnail`: large_image's getThumbnail is a region of the whole image
 * with `width`/`height` as maximum output sizes, 256 × 256 when neither is given.
 */
const getThumbnail: GirderHandler = async (r) => {
  const item = loadItem(r, r.args.id as string, caller(r, { cookie: true }));
  const geometry = r.store.geometry(item);
  if (!item.slide || !geometry) throw restError('No large image file in this item.');
  const params = { ...r.params };
  if (params.width === undefined && params.height === undefined) Object.assign(params, { width: '256', height: '256' });
  for (const k of ['left', 'top', 'right', 'bottom', 'regionWidth', 'regionHeight', 'magnification', 'mm_x', 'mm_y']) delete params[k];
  const p = parseRegionParams(params);
  const mime = ENCODING_MIME[p.encoding];
  if (mime === undefined) throw restError(`Value Error: Invalid encoding "${p.encoding}"`);
  if (!handleETag(r, 'getTilesThumbnail', item, [])) return;
  const req = toBaseRequest(p, geometry);
  const plan = planRegion(geometry, req);
  if (plan.empty) throw restError(`Value Error: ${plan.reason}`);
  const fill = p.fill !== undefined && p.fill !== 'none' && p.width && p.height ? { width: p.width, height: p.height } : null;
  const result = await r.regions.render(item, geometry, req, plan, p, fill, `thumbnail:${item.id}:${JSON.stringify(params)}`);
  if (result.kind !== 'buffer') {
    await result.cleanup();
    throw restError('Value Error: the thumbnail is too large');
  }
  sendImage(r, result.body, mime);
};

export const tileZxyRoutes: Route[] = [
  { method: 'GET', path: [':id', 'tiles', 'zxy', ':z', ':x', ':y'], handler: getTile },
  { method: 'GET', path: [':id', 'tiles', 'fzxy', ':frame', ':z', ':x', ':y'], handler: getTileWithFrame },
  { method: 'GET', path: [':id', 'tiles', 'thumbnail'], handler: getThumbnail },
];
