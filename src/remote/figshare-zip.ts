/**
 * figshare's whole-article ZIP (docs/protocols.md, "figshare article ZIP"): the article version from the article
 * record, the archive's URL on the download host, and reading single members of a downloaded
 * archive with yauzl. The archive carries no checksums of its own that bcss trusts: every member
 * is checked against the paged file listing's size and `computed_md5` by the caller.
 */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { HttpError } from '../errors.js';
import type { Transfer } from '../transfer/types.js';

export interface ArticleRecord {
  version: number;
  downloadDisabled: boolean;
}

/** `GET /articles/{id}`: the current version, which the ZIP request then pins (docs/protocols.md, "figshare article"). */
export async function readArticleRecord(
  transfer: Transfer,
  baseUrl: string,
  articleId: number,
  lane = 'figshare',
  // The figshare token of a private article, if any; the engine redacts it.
  auth: { headers?: Record<string, string>; secretHeaders?: string[] } = {},
): Promise<ArticleRecord> {
  const url = `${baseUrl.replace(/\/+$/, '')}/articles/${articleId}`;
  const result = await transfer.json<unknown>({ url, lane, ...auth });
  const doc = result.data as { id?: unknown; version?: unknown; download_disabled?: unknown } | null;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new HttpError(result.status, url, `figshare article ${articleId}: the article record is not a JSON object`);
  }
  if (doc.id !== articleId) throw new HttpError(result.status, url, `figshare article ${articleId}: the record is of article ${String(doc.id)}`);
  if (typeof doc.version !== 'number' || !Number.isSafeInteger(doc.version) || doc.version < 1) {
    throw new HttpError(result.status, url, `figshare article ${articleId}: the record has no valid version (${JSON.stringify(doc.version)})`);
  }
  return { version: doc.version, downloadDisabled: doc.download_disabled === true };
}

/**
 * The archive's URL on the host that serves the article's files: a file's `download_url`
 * `…/files/{file_id}` becomes `…/articles/{article_id}/versions/{version}` (for figshare,
 * `https://ndownloader.figshare.com/articles/…`). Null when the URL has another shape.
 */
export function articleZipUrl(fileDownloadUrl: string, articleId: number, version: number): string | null {
  let url: URL;
  try {
    url = new URL(fileDownloadUrl);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !/\/files\/\d+$/.test(url.pathname)) return null;
  url.pathname = url.pathname.replace(/\/files\/\d+$/, `/articles/${articleId}/versions/${version}`);
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** `PK\x03\x04`: a ZIP begins with a local file header. */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** A member as the central directory describes it. */
export interface ZipMemberInfo {
  name: string;
  size: number;
  compressedSize: number;
  method: number;
}

export interface ZipMemberRead {
  data: Buffer;
  md5: string;
}

/** An archive on disk whose members are read one at a time, on demand. */
export interface OpenedZip {
  /** Members by name; a name that occurs twice maps to null (ambiguous). */
  readonly members: ReadonlyMap<string, ZipMemberInfo | null>;
  /** The member's bytes (decompressed if needed); refuses more than `maxBytes`. */
  read(name: string, maxBytes: number): Promise<ZipMemberRead>;
  close(): void;
}

/** Reads the central directory only; no member data is touched until `read`. */
export async function openZip(path: string): Promise<OpenedZip> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  const entries = new Map<string, yauzl.Entry | null>();
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue; // a folder
      entries.set(entry.fileName, entries.has(entry.fileName) ? null : entry);
    }
  } catch (err) {
    zip.close();
    throw err;
  }
  const members = new Map<string, ZipMemberInfo | null>();
  for (const [name, e] of entries) {
    members.set(name, e === null ? null : { name, size: e.uncompressedSize, compressedSize: e.compressedSize, method: e.compressionMethod });
  }
  return {
    members,
    async read(name, maxBytes) {
      const entry = entries.get(name);
      if (entry === undefined || entry === null) throw new Error(`no single member named ${name}`);
      if (entry.uncompressedSize > maxBytes) throw new Error(`member ${name} is ${entry.uncompressedSize} bytes, more than ${maxBytes}`);
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      const md5 = createHash('md5');
      let total = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) {
          stream.destroy();
          throw new Error(`member ${name} is longer than ${maxBytes} bytes`);
        }
        md5.update(chunk);
        chunks.push(chunk);
      }
      return { data: Buffer.concat(chunks, total), md5: md5.digest('hex') };
    },
    close: () => zip.close(),
  };
}
