/**
 * figshare's whole-article download (docs/protocols.md, "figshare article ZIP"):
 * `ndownloader/articles/{id}/versions/{v}` answers 302 to a pre-signed object-store URL, which
 * serves every file of the article as one stored ZIP. The archive is deterministic (files in
 * listing order, the article's modification time on every member), has a Content-Length and
 * honours Range, and is streamed: a member's bytes are read only when the answer reaches them.
 * Seeded faults (including the 202 challenge) reach it like any other figshare request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { ServedDataset } from '../dataset-types.js';
import { decideRange } from '../http/range.js';
import { sendBody, sendJson, sendStream } from '../http/http-reply.js';
import { ARTICLE_MODIFIED } from './figshare-documents.js';
import type { BlobSigner } from './signed-blob-url.js';
import { zipLayout, zipRange, type ZipLayout } from './zip-layout.js';

/** The one version the demo article has. */
export const DEMO_ARTICLE_VERSION = 1;

export interface ArticleZipRoutes {
  /** `rest` = the segments after `ndownloader/articles`: `{id}/versions/{v}`. */
  redirect(req: IncomingMessage, res: ServerResponse, rest: readonly string[], log: (note: string) => void): void;
  /** Whether a `/blob/{key}` segment names an article archive. */
  isArchiveKey(segment: string | undefined): boolean;
  blob(req: IncomingMessage, res: ServerResponse, key: string, query: URLSearchParams, log: (note: string) => void): Promise<void>;
}

export interface ArticleZipOptions {
  signer: BlobSigner;
  now: () => number;
  /** Write ZIP64 records for every member (default: only where sizes need them). */
  zip64?: boolean;
}

const KEY = /^article-(\d+)-v(\d+)$/;

export function articleZipRoutes(article: ServedDataset['figshare'], options: ArticleZipOptions): ArticleZipRoutes {
  let layout: Promise<{ zip: ZipLayout; etag: string }> | null = null;
  const modified = new Date(ARTICLE_MODIFIED);

  /** Sizes and CRCs of every member, read once per server; the bytes are not kept. */
  const buildLayout = (): Promise<{ zip: ZipLayout; etag: string }> => {
    layout ??= (async () => {
      const members = [];
      for (const f of article.files) {
        const bytes = await f.read();
        members.push({ name: f.name, size: bytes.length, crc: crc32(bytes), modified });
      }
      const zip = zipLayout(members, { zip64: options.zip64 === true });
      const digest = createHash('md5').update(JSON.stringify(members.map((m) => [m.name, m.size, m.crc]))).digest('hex');
      return { zip, etag: `"${digest}"` };
    })();
    layout.catch(() => {
      layout = null;
    });
    return layout;
  };

  const notFound = (req: IncomingMessage, res: ServerResponse, what: string): void =>
    sendJson(req, res, 404, { message: `Entity not found: ${what}`, code: 'EntityNotFound', data: null });

  return {
    redirect(req, res, rest, log) {
      const [idText, versions, vText, ...extra] = rest;
      if (idText !== String(article.articleId) || versions !== 'versions' || extra.length > 0) {
        notFound(req, res, 'article');
        return;
      }
      if (vText !== String(DEMO_ARTICLE_VERSION)) {
        notFound(req, res, 'article version');
        return;
      }
      log(`figshare: article ${idText} v${vText} ZIP → pre-signed blob URL`);
      res.writeHead(302, { Location: options.signer.sign(`article-${idText}-v${vText}`, options.now()), 'Content-Length': 0 });
      res.end();
    },
    isArchiveKey: (segment) => segment !== undefined && KEY.test(segment),
    async blob(req, res, key, query, log) {
      const m = KEY.exec(key);
      if (m === null || m[1] !== String(article.articleId) || m[2] !== String(DEMO_ARTICLE_VERSION)) {
        sendBody(req, res, 404, '<Error><Code>NoSuchKey</Code></Error>', { 'Content-Type': 'application/xml' });
        return;
      }
      const verdict = options.signer.check(key, query, options.now());
      if (verdict !== 'ok') {
        log(`figshare: ${verdict} blob URL for the article ZIP`);
        const code = verdict === 'expired' ? 'AccessDenied' : 'SignatureDoesNotMatch';
        sendBody(req, res, 403, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code></Error>`, { 'Content-Type': 'application/xml' });
        return;
      }
      const { zip, etag } = await buildLayout();
      const readMember = async (i: number): Promise<Buffer> => {
        const file = article.files[i];
        if (file === undefined) throw new Error(`article ZIP: no member ${i}`);
        return file.read();
      };
      const headers = {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="${article.articleId}.zip"`,
        'Accept-Ranges': 'bytes',
        ETag: etag,
        'Last-Modified': modified.toUTCString(),
      };
      const range = decideRange(req.headers.range, zip.length);
      if (range.kind === 'unsatisfiable') {
        sendBody(req, res, 416, '<Error><Code>InvalidRange</Code></Error>', { 'Content-Type': 'application/xml', 'Content-Range': `bytes */${zip.length}` });
        return;
      }
      const [first, last, status] = range.kind === 'partial' ? [range.first, range.last, 206] : [0, zip.length - 1, 200];
      const extra: Record<string, string> = range.kind === 'partial' ? { 'Content-Range': `bytes ${first}-${last}/${zip.length}` } : {};
      await sendStream(req, res, status, () => Readable.from(zipRange(zip, first, last, readMember)), last - first + 1, { ...headers, ...extra });
    },
  };
}
