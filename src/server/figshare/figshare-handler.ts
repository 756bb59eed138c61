import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FigshareFile, ServedDataset } from '../dataset-types.js';
import { matchTable, type TableRoute } from '../http/route-table.js';
import type { ServiceHandler, TableServiceHandler } from '../http/service-handler.js';
import { secretEquals } from '../secret-compare.js';
import { decideRange } from '../http/range.js';
import { ARTICLE_MODIFIED, articleDocument, publicFile, type PublicFile } from './figshare-documents.js';
import { pageWindow } from './figshare-paging.js';
import { etagMatches, sendBody, sendJson } from '../http/http-reply.js';
import { blobSigner } from './signed-blob-url.js';
import { articleZipRoutes } from './article-zip.js';

export interface FigshareHandlerOptions {
  /** Public base of this service, e.g. `http://127.0.0.1:8080/figshare` (no trailing slash). */
  baseUrl: string;
  /** Clock for pre-signed URL expiry; default Date.now. */
  now?: () => number;
  /** Lifetime of a pre-signed blob URL; default 60 s. */
  urlTtlMs?: number;
  /** HMAC key for blob URLs; default random per handler (URLs die with the server, like S3's). */
  secret?: Buffer;
  /** Private mode: the token every route but the signed blob URL requires (`Authorization: token …`). */
  privateToken?: string;
}

const GET = ['GET', 'HEAD'] as const;

/** figshare's personal-token header: `Authorization: token <t>` (scheme case-insensitive). */
function figshareTokenOk(header: string | undefined, expected: string): boolean {
  const m = /^token\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && secretEquals(m[1] as string, expected);
}

/** The real API caps `files` of an article at 10 without saying so (docs/protocols.md#figshare-article). */
const ARTICLE_FILES_CAP = 10;
const LAST_MODIFIED = new Date(ARTICLE_MODIFIED).toUTCString();

function figshareError(req: IncomingMessage, res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(req, res, status, { message, code, data: null });
}

/** S3's XML error body, which is what a client sees when the pre-signed URL is refused. */
function objectStoreError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
  sendBody(req, res, status, body, { 'Content-Type': 'application/xml', ...extra });
}

/** A bot-challenge page like the one figshare.com's web route answers scripts with. */
const CHALLENGE_HTML =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>' +
  '<noscript>Enable JavaScript and cookies to continue</noscript>' +
  '<script>window._cf_chl_opt={cType:"managed"};</script></body></html>';

/** Meta of several files, two at a time so a cold cache does not render 151 masks at once. */
async function publicFiles(files: FigshareFile[], baseUrl: string): Promise<PublicFile[]> {
  const out: PublicFile[] = new Array<PublicFile>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const f = files[i] as FigshareFile;
      out[i] = publicFile(f, await f.meta(), baseUrl);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/** What every figshare route needs: the article, its files by id, the URL signer and the clock. */
interface FigshareContext {
  readonly baseUrl: string;
  readonly now: () => number;
  readonly signer: ReturnType<typeof blobSigner>;
  readonly article: ServedDataset['figshare'];
  readonly byId: ReadonlyMap<number, FigshareFile>;
}

function fileFromSegment(fx: FigshareContext, segment: string | undefined): FigshareFile | undefined {
  return segment !== undefined && /^\d+$/.test(segment) ? fx.byId.get(Number(segment)) : undefined;
}

/** JSON with ETag/Last-Modified; 304 when the client already has it. */
function sendCachedJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  const headers = { ETag: etag, 'Last-Modified': LAST_MODIFIED, 'Cache-Control': 'public, max-age=0' };
  const ims = req.headers['if-modified-since'];
  const notModified =
    req.headers['if-none-match'] !== undefined
      ? etagMatches(req.headers['if-none-match'], etag)
      : ims !== undefined && Date.parse(ims) >= Date.parse(LAST_MODIFIED);
  if (notModified) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  sendBody(req, res, 200, body, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
}

/** The article document, its version list and its file listing (`rest` is after `v2/articles`). */
async function articleRoute(fx: FigshareContext, req: IncomingMessage, res: ServerResponse, rest: string[], query: URLSearchParams): Promise<void> {
  const { article, baseUrl } = fx;
  const [idText, sub, subId, ...extra] = rest;
  if (idText === undefined || !/^\d+$/.test(idText) || Number(idText) !== article.articleId) {
    figshareError(req, res, 404, 'Entity not found: article', 'EntityNotFound');
    return;
  }
  if (sub === undefined) {
    const files = await publicFiles(article.files.slice(0, ARTICLE_FILES_CAP), baseUrl);
    sendCachedJson(req, res, articleDocument(article, files, baseUrl, 1));
    return;
  }
  if (sub === 'versions' && extra.length === 0) {
    await versionsRoute(fx, req, res, subId);
    return;
  }
  if (sub === 'files' && extra.length === 0) {
    await filesRoute(fx, req, res, subId, query);
    return;
  }
  figshareError(req, res, 404, 'Entity not found', 'EntityNotFound');
}

async function versionsRoute(fx: FigshareContext, req: IncomingMessage, res: ServerResponse, subId: string | undefined): Promise<void> {
  const { article, baseUrl } = fx;
  if (subId === undefined) {
    sendCachedJson(req, res, [{ version: 1, url: `${baseUrl}/v2/articles/${article.articleId}/versions/1` }]);
    return;
  }
  if (subId !== '1') {
    figshareError(req, res, 404, 'Entity not found: article version', 'EntityNotFound');
    return;
  }
  const files = await publicFiles(article.files.slice(0, ARTICLE_FILES_CAP), baseUrl);
  sendCachedJson(req, res, articleDocument(article, files, baseUrl, 1));
}

async function filesRoute(fx: FigshareContext, req: IncomingMessage, res: ServerResponse, subId: string | undefined, query: URLSearchParams): Promise<void> {
  if (subId !== undefined) {
    const file = fileFromSegment(fx, subId);
    if (file === undefined) {
      figshareError(req, res, 404, 'Entity not found: file', 'EntityNotFound');
      return;
    }
    sendCachedJson(req, res, publicFile(file, await file.meta(), fx.baseUrl));
    return;
  }
  const window = pageWindow(query);
  if (!window.ok) {
    figshareError(req, res, 422, window.message, 'InvalidParameters');
    return;
  }
  // No total-count header: clients page until a short page (docs/protocols.md#figshare-file-listing).
  const page = fx.article.files.slice(window.offset, window.offset + window.limit);
  sendCachedJson(req, res, await publicFiles(page, fx.baseUrl));
}

function redirectToBlob(fx: FigshareContext, req: IncomingMessage, res: ServerResponse, segment: string | undefined, log: (n: string) => void): void {
  const file = fileFromSegment(fx, segment);
  if (file === undefined) {
    figshareError(req, res, 404, 'Entity not found: file', 'EntityNotFound');
    return;
  }
  log(`figshare: file ${file.id} → pre-signed blob URL`);
  res.writeHead(302, { Location: fx.signer.sign(file.id, fx.now()), 'Content-Length': 0 });
  res.end();
}

/** The object store: checks the pre-signed URL, then serves the file with Range support. */
async function blobRoute(fx: FigshareContext, req: IncomingMessage, res: ServerResponse, segment: string | undefined, query: URLSearchParams, log: (n: string) => void): Promise<void> {
  const file = fileFromSegment(fx, segment);
  if (file === undefined) {
    objectStoreError(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
    return;
  }
  const verdict = fx.signer.check(file.id, query, fx.now());
  if (verdict === 'expired') {
    log(`figshare: expired blob URL for ${file.id}`);
    objectStoreError(req, res, 403, 'AccessDenied', 'Request has expired');
    return;
  }
  if (verdict === 'bad-signature') {
    objectStoreError(req, res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    return;
  }
  const bytes = await file.read();
  const meta = await file.meta();
  const headers = {
    'Content-Type': file.mimetype === '' ? 'application/octet-stream' : file.mimetype,
    'Accept-Ranges': 'bytes',
    ETag: `"${meta.md5}"`,
    'Last-Modified': LAST_MODIFIED,
  };
  const range = decideRange(req.headers.range, bytes.length);
  if (range.kind === 'unsatisfiable') {
    objectStoreError(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable', { 'Content-Range': `bytes */${bytes.length}` });
    return;
  }
  if (range.kind === 'partial') {
    sendBody(req, res, 206, bytes.subarray(range.first, range.last + 1), {
      ...headers,
      'Content-Range': `bytes ${range.first}-${range.last}/${bytes.length}`,
    });
    return;
  }
  sendBody(req, res, 200, bytes, headers);
}

type Ctx = Parameters<ServiceHandler>[2];
type FigshareRoute = (req: IncomingMessage, res: ServerResponse, segments: string[], args: Record<string, string>, ctx: Ctx) => Promise<void>;
type FigshareTableRoute = TableRoute<FigshareRoute> & { capability?: boolean };

function figshareRoutes(fx: FigshareContext, articleZip: ReturnType<typeof articleZipRoutes>): FigshareTableRoute[] {
  const articleR: FigshareRoute = (req, res, segments, _args, ctx) => articleRoute(fx, req, res, segments.slice(2), ctx.url.searchParams);
  const toBlob: FigshareRoute = async (req, res, _segments, args, ctx) => redirectToBlob(fx, req, res, args.fileId, ctx.log);
  return [
    { methods: GET, path: ['v2', 'articles', ':id'], handler: articleR },
    { methods: GET, path: ['v2', 'articles', ':id', 'versions'], handler: articleR },
    { methods: GET, path: ['v2', 'articles', ':id', 'versions', ':version'], handler: articleR },
    { methods: GET, path: ['v2', 'articles', ':id', 'files'], handler: articleR },
    { methods: GET, path: ['v2', 'articles', ':id', 'files', ':fileId'], handler: articleR },
    { methods: GET, path: ['v2', 'file', 'download', ':fileId'], handler: toBlob },
    { methods: GET, path: ['ndownloader', 'files', ':fileId'], handler: toBlob },
    // The whole article as one ZIP, behind the same 302 → signed blob hop as single files.
    { methods: GET, path: ['ndownloader', 'articles', ':id', 'versions', ':version'], handler: async (req, res, segments, _a, ctx) => articleZip.redirect(req, res, segments.slice(2), ctx.log) },
    // The object store: its signed URL is the credential (see docs/security-serve.md).
    {
      methods: GET,
      path: ['blob', ':fileId'],
      handler: (req, res, _s, args, ctx) =>
        articleZip.isArchiveKey(args.fileId)
          ? articleZip.blob(req, res, args.fileId as string, ctx.url.searchParams, ctx.log)
          : blobRoute(fx, req, res, args.fileId, ctx.url.searchParams, ctx.log),
      capability: true,
    },
    {
      methods: GET,
      path: ['figshare-web', 'ndownloader', '*'],
      // figshare.com's own route: since 2025 scripts get a bot challenge, not the file (docs/protocols.md#figshare-downloads).
      handler: async (req, res, _s, _a, ctx) => {
        ctx.log('figshare: web route answered with a 202 challenge');
        sendBody(req, res, 202, CHALLENGE_HTML, { 'Content-Type': 'text/html; charset=UTF-8' });
      },
    },
  ];
}

/**
 * figshare API v2 and its download hosts over a dataset's masks (docs/protocols.md, figshare sections;
 * docs/protocols.md#server-checklist items D16–D17): article and file listing with the 10-file cap and strict pagination,
 * ETag/304, redirecting download routes, an expiring pre-signed blob store with Range, and the
 * blocked web route answering a 202 challenge.
 */
export function createFigshareHandler(dataset: ServedDataset, options: FigshareHandlerOptions): TableServiceHandler {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const signer = blobSigner({ baseUrl, secret: options.secret ?? randomBytes(32), ttlMs: options.urlTtlMs ?? 60_000 });
  const article = dataset.figshare;
  const fx: FigshareContext = { baseUrl, now, signer, article, byId: new Map(article.files.map((f) => [f.id, f])) };
  const routes = figshareRoutes(fx, articleZipRoutes(article, { signer, now }));

  const handler: ServiceHandler = async (req, res, ctx) => {
    const segments = ctx.path.split('/').filter((s) => s !== '');
    const { match } = matchTable(routes, req.method ?? 'GET', segments);
    // Private mode: every route but the signed object-store URL wants `Authorization: token …`,
    // checked before anything else so that an anonymous caller learns nothing, not even a 404.
    if (options.privateToken !== undefined && !(match?.route as { capability?: boolean } | undefined)?.capability) {
      if (!figshareTokenOk(req.headers.authorization, options.privateToken)) {
        ctx.log('figshare: private mode, missing or wrong token');
        figshareError(req, res, 403, 'You do not have permission to access this resource; send "Authorization: token <your token>"', 'Forbidden');
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      figshareError(req, res, 405, `Method ${String(req.method)} not allowed`, 'MethodNotAllowed');
      return;
    }
    if (match !== null) await match.route.handler(req, res, segments, match.args, ctx);
    else if (segments[0] === 'v2' && segments[1] === 'articles') await articleRoute(fx, req, res, segments.slice(2), ctx.url.searchParams);
    else figshareError(req, res, 404, 'Not found', 'NotFound');
  };
  return Object.assign(handler, { routes: routes.map(({ methods, path }) => ({ methods, path })) });
}
