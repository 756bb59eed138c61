import type { FigshareFile, FigshareFileMeta, ServedDataset } from '../dataset-types.js';

/** figshare's `PublicFile` (docs/protocols.md#figshare-file-fields). */
export interface PublicFile {
  id: number;
  name: string;
  size: number;
  is_link_only: boolean;
  download_url: string;
  supplied_md5: string;
  computed_md5: string;
  mimetype: string;
}

export function publicFile(file: FigshareFile, meta: FigshareFileMeta, baseUrl: string): PublicFile {
  return {
    id: file.id,
    name: file.name,
    size: meta.size,
    is_link_only: false,
    download_url: `${baseUrl}/ndownloader/files/${file.id}`,
    supplied_md5: meta.md5,
    computed_md5: meta.md5,
    mimetype: file.mimetype,
  };
}

/** When the demo article was published and last modified (fixed, so ETags are stable). */
export const ARTICLE_CREATED = '2018-10-10T12:21:37Z';
export const ARTICLE_MODIFIED = '2019-11-12T16:05:11Z';

/**
 * An `ArticleComplete`-like document (docs/protocols.md#figshare-article). `files` holds whatever the caller
 * passes — the real API silently caps it at 10, which the handler reproduces. Blank fields are
 * null, as figshare sends them.
 */
export function articleDocument(
  article: ServedDataset['figshare'],
  files: PublicFile[],
  baseUrl: string,
  version: number,
): Record<string, unknown> {
  const id = article.articleId;
  return {
    id,
    title: article.title,
    doi: article.doi,
    handle: '',
    url: `${baseUrl}/v2/articles/${id}`,
    url_public_api: `${baseUrl}/v2/articles/${id}`,
    url_public_html: `${baseUrl}/figshare-web/articles/dataset/_/${id}`,
    url_private_api: `${baseUrl}/v2/account/articles/${id}`,
    url_private_html: `${baseUrl}/figshare-web/account/articles/${id}`,
    figshare_url: `${baseUrl}/figshare-web/articles/dataset/_/${id}`,
    published_date: ARTICLE_CREATED,
    created_date: ARTICLE_CREATED,
    modified_date: ARTICLE_MODIFIED,
    timeline: { posted: ARTICLE_CREATED, firstOnline: ARTICLE_CREATED },
    thumb: '',
    defined_type: 3,
    defined_type_name: 'dataset',
    group_id: null,
    resource_title: null,
    resource_doi: null,
    description: 'Ground-truth masks of the BCSS regions of interest (served by bcss serve).',
    version,
    status: 'public',
    is_public: true,
    is_embargoed: false,
    is_metadata_record: false,
    metadata_reason: '',
    embargo_date: null,
    embargo_type: null,
    embargo_title: '',
    embargo_reason: '',
    embargo_options: [],
    download_disabled: false,
    folder_structure: {},
    license: { value: 2, name: 'CC0', url: 'https://creativecommons.org/publicdomain/zero/1.0/' },
    authors: [{ id: 0, full_name: 'Mohamed Amgad', is_active: false, url_name: '_', orcid_id: '' }],
    categories: [],
    tags: ['BCSS', 'breast cancer', 'semantic segmentation'],
    keywords: ['BCSS', 'breast cancer', 'semantic segmentation'],
    references: [],
    custom_fields: [],
    citation: null,
    funding: null,
    funding_list: [],
    files,
  };
}
