import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GdcFile, ServedDataset } from '../dataset-types.js';
import { filesReady } from '../files-ready.js';
import { pythonQuote } from '../http/headers.js';
import { decideRange } from '../http/range.js';
import { sendBody, sendJson, sendStream } from '../http/http-reply.js';
import { matchTable, type TableRoute } from '../http/route-table.js';
import type { ServiceHandler, TableServiceHandler } from '../http/service-handler.js';
import { secretEquals } from '../secret-compare.js';
import { compileFilters, gdcFieldValue, GdcQueryError, isGdcField } from './gdc-filters.js';

export interface GdcHandlerOptions {
  /** Public base of this service, e.g. `http://127.0.0.1:8080/gdc`. */
  baseUrl: string;
  /** Which `X-Auth-Token` values open controlled files; default: any non-empty token. */
  acceptToken?: (token: string) => boolean;
  /** Private mode: every route requires `X-Auth-Token` equal to this (and it opens controlled files). */
  privateToken?: string;
}

/** The refusal GDC gives a request without a valid token for data it guards: 403 JSON. */
const NO_ACCESS = 'You do not have access to this resource; send a valid X-Auth-Token header';

/** What a hit holds when the query names no `fields` (a subset of GDC's defaults). */
const DEFAULT_FIELDS = [
  'id',
  'file_id',
  'file_name',
  'file_size',
  'md5sum',
  'access',
  'acl',
  'state',
  'data_format',
  'data_type',
  'data_category',
  'experimental_strategy',
  'type',
  'submitter_id',
  'created_datetime',
  'updated_datetime',
];
const DEFAULT_SIZE = 10;

/**
 * GDC's `attachment; filename=<name>` (unquoted). TCGA names are ASCII; a `--data` slide may not
 * be, and a header may only carry latin-1, so such names get an ASCII fallback plus RFC 5987
 * `filename*` instead of failing the download.
 */
function contentDisposition(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return `attachment; filename=${name}`;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename=${ascii}; filename*=UTF-8''${pythonQuote(name)}`;
}

function gdcError(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  sendJson(req, res, status, { message });
}

/** A parameter as text: query values are strings; a JSON body may hold numbers or arrays (read as lists). */
function asText(raw: unknown): string {
  if (Array.isArray(raw)) return raw.map(asText).join(',');
  if (typeof raw === 'object' && raw !== null) return JSON.stringify(raw);
  return String(raw);
}

function fieldList(raw: unknown): string[] {
  if (raw === undefined || raw === null || asText(raw).trim() === '') return DEFAULT_FIELDS;
  const wanted = asText(raw)
    .split(',')
    .map((f) => f.trim().replace(/^files\./, ''))
    .filter((f) => f !== '');
  // GDC always reports the document id.
  return wanted.includes('id') ? wanted : ['id', ...wanted];
}

function hit(file: GdcFile, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = gdcFieldValue(file, f);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

function intParam(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const text = asText(raw).trim();
  if (!/^\d+$/.test(text)) throw new GdcQueryError(`${name} must be a non-negative integer (got ${JSON.stringify(raw)})`);
  return Number(text);
}

function sortFiles(files: GdcFile[], raw: unknown): GdcFile[] {
  if (raw === undefined || raw === null || asText(raw).trim() === '') return files;
  const keys = asText(raw)
    .split(',')
    .map((s) => {
      const [field = '', dir = 'asc'] = s.trim().split(':');
      if (!isGdcField(field)) {
        throw new GdcQueryError(`cannot sort by unrecognized field "${field}"`);
      }
      return { field, sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
    });
  return [...files].sort((a, b) => {
    for (const { field, sign } of keys) {
      const x = gdcFieldValue(a, field);
      const y = gdcFieldValue(b, field);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return sign * c;
    }
    return 0;
  });
}

function tsv(hits: Record<string, unknown>[], fields: string[]): string {
  const cell = (v: unknown): string => (v === undefined ? '' : Array.isArray(v) ? v.join(',') : asText(v));
  return [fields.join('\t'), ...hits.map((h) => fields.map((f) => cell(h[f])).join('\t'))].join('\r\n') + '\r\n';
}

/** What every GDC route needs: the files, by lower-case id, and the token check. */
interface GdcContext {
  readonly files: GdcFile[];
  readonly byId: ReadonlyMap<string, GdcFile>;
  readonly acceptToken: (token: string) => boolean;
}

/** The `files` search over already merged query/body parameters. */
async function search(gx: GdcContext, req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>): Promise<void> {
  const files = gx.files;
  const predicate = compileFilters(params.filters);
  await filesReady(files); // filters, sorting and hits may read sizes and md5s
  const size = intParam(params.size, 'size', DEFAULT_SIZE);
  const from = intParam(params.from, 'from', 0);
  const fields = fieldList(params.fields);
  const format = asText(params.format ?? 'JSON').toUpperCase();
  if (format !== 'JSON' && format !== 'TSV') throw new GdcQueryError(`format ${format} is not supported here (use JSON or TSV)`);
  const matched = sortFiles(files.filter(predicate), params.sort);
  const hits = matched.slice(from, from + size).map((f) => hit(f, fields));
  if (format === 'TSV') {
    sendBody(req, res, 200, tsv(hits, fields), { 'Content-Type': 'text/tab-separated-values; charset=utf-8' });
    return;
  }
  sendJson(req, res, 200, {
    data: {
      hits,
      pagination: {
        count: hits.length,
        total: matched.length,
        size,
        from,
        sort: params.sort === undefined ? '' : asText(params.sort),
        page: size > 0 ? Math.floor(from / size) + 1 : 1,
        pages: size > 0 ? Math.ceil(matched.length / size) : 1,
      },
    },
    warnings: {},
  });
}

/** `data/{id}`: one file's bytes, with the controlled-access check and inclusive Range. */
async function download(gx: GdcContext, req: IncomingMessage, res: ServerResponse, idText: string): Promise<void> {
  if (idText.includes(',')) {
    gdcError(req, res, 400, 'bcss serve does not build archives of several files; request one id at a time');
    return;
  }
  const file = gx.byId.get(idText.toLowerCase());
  if (file === undefined) {
    gdcError(req, res, 404, `File not found: ${idText}`);
    return;
  }
  await file.ready?.();
  if (file.access === 'controlled') {
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !gx.acceptToken(token)) {
      gdcError(req, res, 403, `You do not have access to controlled file ${file.fileId}; send a valid X-Auth-Token`);
      return;
    }
  }
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(file.fileName),
    // Hex, not RFC 1864 base64: gdc-client compares it with a hex digest (docs/protocols.md#gdc-data-download).
    'Content-MD5': file.md5,
    'Accept-Ranges': 'bytes',
  };
  const range = decideRange(req.headers.range, file.size);
  if (range.kind === 'unsatisfiable') {
    sendJson(req, res, 416, { message: `Range not satisfiable for a ${file.size}-byte file` }, { 'Content-Range': `bytes */${file.size}` });
    return;
  }
  if (range.kind === 'partial') {
    await sendStream(req, res, 206, () => file.open({ start: range.first, end: range.last + 1 }), range.last - range.first + 1, {
      ...headers,
      'Content-Range': `bytes ${range.first}-${range.last}/${file.size}`,
    });
    return;
  }
  await sendStream(req, res, 200, () => file.open(), file.size, headers);
}

type Ctx = Parameters<ServiceHandler>[2];
type GdcRoute = (req: IncomingMessage, res: ServerResponse, args: Record<string, string>, ctx: Ctx) => Promise<void>;

/** The route table, `/v0/…` aliases included. */
function gdcRoutes(gx: GdcContext): TableRoute<GdcRoute>[] {
  const searchRoute: GdcRoute = async (req, res, _args, ctx) => {
    const params: Record<string, unknown> = Object.fromEntries(ctx.url.searchParams);
    if (req.method === 'POST' && ctx.body.length > 0) {
      let body: unknown;
      try {
        body = JSON.parse(ctx.body.toString('utf8'));
      } catch {
        throw new GdcQueryError('request body is not valid JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GdcQueryError('request body must be a JSON object');
      Object.assign(params, body);
    }
    await search(gx, req, res, params);
  };
  const fileRoute: GdcRoute = async (req, res, args, ctx) => {
    const id = args.id as string;
    const file = gx.byId.get(id.toLowerCase());
    if (file === undefined) {
      gdcError(req, res, 404, `${id} not found`);
      return;
    }
    await file.ready?.();
    sendJson(req, res, 200, { data: hit(file, fieldList(ctx.url.searchParams.get('fields'))), warnings: {} });
  };
  const base: TableRoute<GdcRoute>[] = [
    { methods: ['GET', 'HEAD', 'POST'], path: ['files'], handler: searchRoute },
    { methods: ['GET', 'HEAD'], path: ['files', ':id'], handler: fileRoute },
    { methods: ['GET', 'HEAD'], path: ['data', ':id'], handler: (req, res, args) => download(gx, req, res, args.id as string) },
  ];
  // `/v0/…` pins API version 0 (gdc-client's paths); same answers.
  return [...base, ...base.map((r) => ({ ...r, path: ['v0', ...r.path] }))];
}

/**
 * NCI GDC API over a dataset's slide files (docs/protocols.md, GDC sections; docs/protocols.md#server-checklist items D18–D19): the
 * `files` search (POST JSON or GET query; `filters` object or string; `fields`, `size` default 10,
 * `from`, `sort`, `format` JSON/TSV) with its `data.hits`/`data.pagination`/`warnings` envelope,
 * `files/{id}`, and `data/{id}` downloads with hex Content-MD5 and inclusive Range. `/v0/…` aliases.
 */
export function createGdcHandler(dataset: ServedDataset, options: GdcHandlerOptions): TableServiceHandler {
  const files = dataset.gdc.files;
  const privateToken = options.privateToken;
  const acceptToken =
    privateToken !== undefined ? (t: string) => secretEquals(t, privateToken) : (options.acceptToken ?? ((t: string) => t.trim() !== ''));
  const gx: GdcContext = { files, byId: new Map(files.map((f) => [f.fileId.toLowerCase(), f])), acceptToken };
  const routes = gdcRoutes(gx);

  const handler: ServiceHandler = async (req, res, ctx) => {
    const segments = ctx.path.split('/').filter((s) => s !== '');
    const method = req.method ?? 'GET';
    const { match } = matchTable(routes, method, segments);
    if (privateToken !== undefined) {
      // Before routing: an anonymous caller learns nothing, not even which ids exist.
      const token = req.headers['x-auth-token'];
      if (typeof token !== 'string' || !acceptToken(token)) {
        ctx.log('gdc: private mode, missing or wrong X-Auth-Token');
        gdcError(req, res, 403, NO_ACCESS);
        return;
      }
    }
    try {
      if (match === null) gdcError(req, res, 404, `No route for ${method} ${ctx.path}`);
      else await match.route.handler(req, res, match.args, ctx);
    } catch (err) {
      if (!(err instanceof GdcQueryError)) throw err;
      ctx.log(`gdc: bad query: ${err.message}`);
      gdcError(req, res, 400, err.message);
    }
  };
  return Object.assign(handler, { routes: routes.map(({ methods, path }) => ({ methods, path })) });
}
