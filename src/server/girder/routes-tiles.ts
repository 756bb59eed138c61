import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { levelCount, planRegion } from '../../geometry/region-size.js';
import type { RegionPlan } from '../../geometry/types.js';
import type { ServedItem } from '../dataset-types.js';
import { restError } from './girder-errors.js';
import { pyFloat } from './girder-json.js';
import { pythonQuote } from '../http/headers.js';
import { caller, loadItem, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import { ENCODING_MIME, parseRegionParams, toBaseRequest, type RegionParams } from './region-params.js';
import type { Route } from './router.js';

function requireSlide(r: GirderRequest, item: ServedItem): NonNullable<ReturnType<GirderRequest['store']['geometry']>> {
  const geometry = r.store.geometry(item);
  if (!item.slide || !geometry) throw restError('No large image file in this item.');
  return geometry;
}

/** `GET /item/{id}/tiles` (docs/protocols.md#tiles-metadata): the 10 metadata keys, unknown values null. */
const tilesInfo: GirderHandler = async (r) => {
  const item = loadItem(r, r.args.id as string, caller(r));
  const g = requireSlide(r, item);
  const slide = item.slide as NonNullable<ServedItem['slide']>;
  sendJson(r, {
    bandCount: 4,
    dtype: 'uint8',
    levels: levelCount(g.sizeX, g.sizeY, slide.tileWidth, slide.tileHeight),
    magnification: pyFloat(g.magnification),
    mm_x: pyFloat(g.mmX),
    mm_y: pyFloat(g.mmY),
    sizeX: g.sizeX,
    sizeY: g.sizeY,
    tileHeight: slide.tileHeight,
    tileWidth: slide.tileWidth,
  });
};

/** large_image's tiles.py `_setContentDisposition`: the ASCII name rendered as a Python bytes literal. */
function regionDisposition(item: ServedItem, disposition: string | undefined, mime: string): string | null {
  const ext = mime === 'image/jpeg' ? 'jpg' : mime === 'image/png' ? 'png' : mime === 'image/tiff' ? 'tiff' : null;
  if (ext === null || (disposition !== 'inline' && disposition !== 'attachment')) return null;
  const stem = item.name.includes('.') ? item.name.slice(0, item.name.lastIndexOf('.')) : item.name;
  const filename = `${stem}-region.${ext}`;
  // eslint-disable-next-line no-control-regex
  const safe = filename.replace(/[^\x00-\x7f]/g, '').replace(/"/g, '');
  return `${disposition}; filename="b'${safe}'"; filename*=UTF-8''${pythonQuote(filename)}`;
}

/**
 * `GET /item/{id}/tiles/region` (docs/protocols.md#tiles-region, docs/imaging.md#region-size): sizes from planRegion, pixels from readRegion, JPEG
 * (quality 95, 4:4:4) by default; empty plans are a 0-byte 200; quoted ETag and 304.
 */
const tilesRegion: GirderHandler = async (r) => {
  const item = loadItem(r, r.args.id as string, caller(r, { cookie: true }));
  const geometry = requireSlide(r, item);
  const p: RegionParams = parseRegionParams(r.params);
  const mime = ENCODING_MIME[p.encoding];
  if (mime === undefined) throw restError(`Value Error: Invalid encoding "${p.encoding}"`);
  const req = toBaseRequest(p, geometry);
  const { res } = r;

  const etag = createHash('md5')
    .update(JSON.stringify(['tilesRegion', item.id, item.updated, Object.entries(r.params).filter(([k]) => k !== 'token').sort()]))
    .digest('hex');
  res.setHeader('ETag', `"${etag}"`);
  res.setHeader('Cache-control', 'public, max-age=3600');
  const ifNoneMatch = r.req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => ['*', `"${etag}"`, etag, `W/"${etag}"`].includes(t.trim()))) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const ifMatch = r.req.headers['if-match'];
  if (ifMatch !== undefined && !ifMatch.split(',').some((t) => ['*', `"${etag}"`, etag].includes(t.trim()))) {
    res.statusCode = 412;
    res.end();
    return;
  }

  let plan: RegionPlan;
  try {
    plan = planRegion(geometry, req);
  } catch (err) {
    if (err instanceof RangeError) throw restError(`Value Error: ${err.message}`);
    throw err;
  }
  const disposition = regionDisposition(item, p.contentDisposition, mime);
  if (disposition !== null) res.setHeader('Content-Disposition', disposition);
  res.setHeader('Content-Type', mime);
  if (plan.empty) {
    r.log(`empty region: ${plan.reason}`);
    res.setHeader('Content-Length', 0);
    res.statusCode = 200;
    res.end();
    return;
  }
  const fill = p.fill !== undefined && p.fill !== 'none' && p.width && p.height ? { width: p.width, height: p.height } : null;
  const result = await r.regions.render(item, geometry, req, plan, p, fill, etag, () => res.destroyed);
  if (result.note) r.log(result.note);
  // The render's memory is held until its answer has left (a slow reader keeps it that long).
  if (res.destroyed) result.release();
  else res.once('close', result.release);
  res.statusCode = 200;
  if (result.kind === 'buffer') {
    res.setHeader('Content-Length', result.body.length);
    res.end(result.body);
    return;
  }
  try {
    await pipeline(result.body, res);
  } finally {
    await result.cleanup();
  }
};

export const tileRoutes: Route[] = [
  { method: 'GET', path: [':id', 'tiles'], handler: tilesInfo },
  { method: 'GET', path: [':id', 'tiles', 'region'], handler: tilesRegion },
];
