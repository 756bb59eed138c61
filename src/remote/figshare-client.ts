/**
 * figshare API v2 (docs/protocols.md, figshare sections): the file list of an article. Only the paged
 * `/articles/{id}/files` endpoint is used, because the article endpoint silently caps its `files`
 * at 10 (docs/protocols.md#figshare-article) — the trap pooch falls into. No total is reported, so page until a short page.
 */
import { HttpError } from '../errors.js';
import type { Transfer } from '../transfer/types.js';
import { checkFigshareFiles } from './json-checks.js';
import type { FigshareFileInfo } from './types.js';

/** The largest page figshare allows; one page holds all 151 BCSS masks. */
export const FIGSHARE_PAGE_SIZE = 1000;

export interface ListArticleFilesOptions {
  transfer: Transfer;
  /** API base, e.g. `https://api.figshare.com/v2`. */
  baseUrl: string;
  articleId: number;
  /** Lane (default `figshare`, ≤ 1 request/s by default). */
  lane?: string;
  /** Page size, 1–1000 (default 1000). */
  pageSize?: number;
  /** A figshare personal token (BCSS_FIGSHARE_TOKEN), sent as `Authorization: token …` as figshare expects. */
  token?: string;
}

/** Headers that carry a figshare token, declared secret; none without a token. */
export function figshareAuthHeaders(token: string | undefined): { headers?: Record<string, string>; secretHeaders?: string[] } {
  return token === undefined ? {} : { headers: { Authorization: `token ${token}` }, secretHeaders: ['Authorization'] };
}

/** Every file of a public article, in the server's order. */
export async function listArticleFiles(options: ListArticleFilesOptions): Promise<FigshareFileInfo[]> {
  const { transfer, articleId } = options;
  const base = options.baseUrl.replace(/\/+$/, '');
  const lane = options.lane ?? 'figshare';
  const pageSize = options.pageSize ?? FIGSHARE_PAGE_SIZE;
  if (!Number.isSafeInteger(articleId) || articleId <= 0) throw new RangeError(`figshare article id must be a positive integer, got ${articleId}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > FIGSHARE_PAGE_SIZE) {
    throw new RangeError(`figshare page size must be 1..${FIGSHARE_PAGE_SIZE}, got ${pageSize}`);
  }
  const files: FigshareFileInfo[] = [];
  const seen = new Set<number>();
  for (let page = 1; ; page++) {
    const url = `${base}/articles/${articleId}/files?page=${page}&page_size=${pageSize}`;
    const result = await transfer.json<unknown>({ url, lane, ...figshareAuthHeaders(options.token) });
    const parsed = checkFigshareFiles(result.data);
    if (!parsed.ok) {
      throw new HttpError(result.status, url, `figshare article ${articleId}: the file list is not a list of files (${parsed.issue})`);
    }
    for (const f of parsed.value) {
      if (seen.has(f.id)) {
        throw new HttpError(result.status, url, `figshare article ${articleId}: file ${f.id} came back twice; the server ignores page`);
      }
      seen.add(f.id);
      files.push({
        id: f.id,
        name: f.name,
        size: f.size,
        downloadUrl: f.download_url,
        computedMd5: f.computed_md5.toLowerCase(),
        suppliedMd5: f.supplied_md5 ?? null,
        isLinkOnly: f.is_link_only ?? false,
        mimetype: f.mimetype ?? '',
      });
    }
    if (parsed.value.length < pageSize) break;
  }
  return files;
}
