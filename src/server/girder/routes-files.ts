import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServedFile, ServedItem } from '../dataset-types.js';
import { restError } from './girder-errors.js';
import { girderContentDisposition, setNoCache } from '../http/headers.js';
import { downloadWindow } from '../http/range.js';
import { zipStream } from '../http/zip-writer.js';
import { fileDoc } from './documents.js';
import { caller, enumParam, intParam, loadFile, loadItem, sendJson, type GirderHandler, type GirderRequest } from './girder-request.js';
import type { Route } from './router.js';

const getFile: GirderHandler = async (r) => {
  const { file, item } = loadFile(r, r.args.id as string, caller(r));
  sendJson(r, fileDoc(file, item));
};

/**
 * Girder's file download (docs/protocols.md#girder-file-download): offset/endByte (exclusive), the first Range,
 * 206 whenever `Content-Range` is set (even for ignored or unsatisfiable ranges), never 416,
 * `Content-Length` = bytes sent, no ETag. A malformed Range header is a 500, as on the real server.
 */
async function sendFile(
  r: GirderRequest,
  file: ServedFile,
  options: { offset: number; endByte: number | null; parseRange: boolean },
): Promise<void> {
  const disposition = enumParam(r, 'contentDisposition', ['attachment', 'inline'] as const, 'attachment');
  const range = r.req.headers.range;
  const win = downloadWindow(file.size, options.offset, options.endByte, range, options.parseRange);
  if (win.offset < 0) throw new Error(`[Errno 22] Invalid argument: seek to ${win.offset}`);
  const { res } = r;
  setNoCache(res);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', file.mimeType ?? 'application/octet-stream');
  res.setHeader('Content-Length', win.contentLength);
  res.setHeader('Content-Disposition', girderContentDisposition(file.name, disposition));
  if (win.contentRange !== null) res.setHeader('Content-Range', win.contentRange);
  res.statusCode = win.status;
  if (win.contentLength === 0 || r.req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(file.open({ start: win.offset, end: win.end }), res);
}

const downloadFile: GirderHandler = async (r) => {
  const { file } = loadFile(r, r.args.id as string, caller(r, { cookie: true }));
  await sendFile(r, file, { offset: intParam(r, 'offset', 0), endByte: intParam(r, 'endByte', null), parseRange: true });
};

/**
 * `GET /item/{id}/download` (docs/protocols.md#girder-item-download): a single file is sent as that file's download (the Range header
 * is not parsed, but its presence still adds Content-Range); several files or `format=zip` give a
 * streamed, stored ZIP of `<item>/<file>` entries without Content-Length.
 */
const downloadItem: GirderHandler = async (r) => {
  const item = loadItem(r, r.args.id as string, caller(r, { cookie: true }));
  const offset = intParam(r, 'offset', 0);
  const format = r.params.format;
  if (format && format !== 'zip') throw restError(`Unsupported format: ${format}.`);
  if (item.files.length === 1 && !format) {
    await sendFile(r, item.files[0] as ServedFile, { offset, endByte: null, parseRange: false });
    return;
  }
  await sendZip(r, item);
};

async function sendZip(r: GirderRequest, item: ServedItem): Promise<void> {
  const { res } = r;
  setNoCache(res);
  res.setHeader('Content-Type', 'application/zip');
  res.setHeader('Content-Disposition', girderContentDisposition(`${item.name}.zip`, 'attachment'));
  res.statusCode = 200;
  if (r.req.method === 'HEAD') {
    res.end();
    return;
  }
  const entries = item.files.map((f) => ({
    name: `${item.name}/${f.name}`,
    size: f.size,
    modified: new Date(f.updated),
    open: () => f.open(),
  }));
  await pipeline(Readable.from(zipStream(entries)), res);
}

export const fileRoutes: Route[] = [
  { method: 'GET', path: [':id'], handler: getFile },
  { method: 'GET', path: [':id', 'download'], handler: downloadFile },
  { method: 'GET', path: [':id', 'download', ':name'], handler: downloadFile },
];

export const itemDownloadRoutes: Route[] = [{ method: 'GET', path: [':id', 'download'], handler: downloadItem }];
