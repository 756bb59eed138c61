/**
 * The download's defaults, in one place, for the CLI and for library callers alike. The CLI only
 * overlays flags, environment and config on these; `runDownload({ out })` needs nothing else.
 */
import { builtinRois } from '../catalog/index.js';
import { DSA_API_URL, DSA_FOLDER_ID, FIGSHARE_API_URL, FIGSHARE_ARTICLE_ID, GDC_API_URL } from '../catalog/constants.js';
import type { RoiRecord } from '../catalog/types.js';
import type { Resolution } from '../geometry/types.js';
import type { LanePolicy } from '../transfer/types.js';
import { OBJECT_STORE_LANE, type Component, type Credentials, type DownloadOptions, type ImageSource, type MaskAlign } from './types.js';

/**
 * Every default of a download, as the CLI and `runDownload` use them.
 *
 * @example
 * ```ts
 * import { DOWNLOAD_DEFAULTS } from 'bcss';
 * console.log(DOWNLOAD_DEFAULTS.mpp, DOWNLOAD_DEFAULTS.figshareIntervalMs); // 0.25 1000
 * ```
 */
export const DOWNLOAD_DEFAULTS = {
  out: 'BCSS',
  components: ['images', 'masks'] as readonly Component[],
  mpp: 0.25,
  apiUrl: DSA_API_URL,
  folderId: DSA_FOLDER_ID,
  figshareUrl: FIGSHARE_API_URL,
  figshareArticleId: FIGSHARE_ARTICLE_ID,
  gdcUrl: GDC_API_URL,
  /** Artifacts in progress at once: workers are cheap, the lanes enforce politeness. */
  concurrency: 16,
  /** Renders in flight at the DSA: its render workers are the shared, slow resource. */
  renderConcurrency: 4,
  /** figshare asks for ≤ 1 request START per second; a few may overlap (each mask is a redirect + a blob). */
  figshareIntervalMs: 1000,
  figshareConcurrency: 4,
  /**
   * The pre-signed object-store GET behind each figshare `ndownloader` redirect goes to another
   * service (S3 for the real figshare), so it has its own lane and does not count against
   * figshare's 1 request/s; this bounds how many such downloads run at once.
   */
  objectStoreConcurrency: 8,
  /** Slides downloaded from the GDC at once, like gdc-client's default. */
  gdcConcurrency: 2,
  retries: 6,
  timeoutSeconds: 300,
  idleTimeoutSeconds: 60,
  wsiKeyEnvVar: 'BCSS_API_KEY',
  /** Real BCSS annotation documents are a few MB; 256 leaves a wide margin (issue 9, item 5). */
  maxJsonMb: 256,
} as const;

/** The per-host politeness a run uses, from the few knobs a user may turn. */
export function defaultLanes(
  knobs: { renderConcurrency?: number; figshareIntervalMs?: number; figshareConcurrency?: number } = {},
): Record<string, LanePolicy> {
  const d = DOWNLOAD_DEFAULTS;
  return {
    dsa: { concurrency: 4, minIntervalMs: 0 },
    'dsa-render': { concurrency: knobs.renderConcurrency ?? d.renderConcurrency, minIntervalMs: 0 },
    // The interval spaces request STARTS, whatever the concurrency: ≤ 1/s by default.
    figshare: { concurrency: knobs.figshareConcurrency ?? d.figshareConcurrency, minIntervalMs: knobs.figshareIntervalMs ?? d.figshareIntervalMs },
    [OBJECT_STORE_LANE]: { concurrency: d.objectStoreConcurrency, minIntervalMs: 0 },
    gdc: { concurrency: 4, minIntervalMs: 0 },
  };
}

/**
 * What a library caller passes to `runDownload`: only `out` is required, every other field has
 * the default the CLI uses. A full {@link DownloadOptions} is accepted as is.
 */
export interface DownloadParams extends Partial<DownloadOptions> {
  /** Output folder (created if missing). Alias of `outDir`; one of the two is required. */
  out?: string;
  /** Output folder, as the CLI resolves it. */
  outDir?: string;
  /** What to fetch. @default ['images', 'masks'] */
  components?: readonly Component[];
  /** Resolution of images and masks. @default { kind: 'mpp', mpp: 0.25 } */
  resolution?: Resolution;
  /** Region encoding asked of the DSA; PNG is lossless. @default 'png' */
  encoding?: 'png' | 'jpeg';
  /** How a base mask one pixel short of the image is aligned with it. @default 'resize' */
  maskAlign?: MaskAlign;
  /** The ROIs to fetch. @default all 151 of the built-in table */
  rois?: readonly RoiRecord[];
  /** True when `rois` is a user table rather than a subset of the built-in one. @default false */
  customRois?: boolean;
  /** Girder API root of the DSA. @default 'https://demo.kitware.com/histomicstk/api/v1' */
  apiUrl?: string;
  /** Girder folder of the 151 slides. @default '5bbdeba3e629140048d017bb' */
  folderId?: string;
  /** figshare API root. @default 'https://api.figshare.com/v2' */
  figshareUrl?: string;
  /** figshare article holding the masks. @default 7193138 */
  figshareArticleId?: number;
  /** GDC API root. @default 'https://api.gdc.cancer.gov' */
  gdcUrl?: string;
  /** How to authenticate at the DSA; never written anywhere. @default { kind: 'anonymous' } */
  credentials?: Credentials;
  /** Per-host politeness by lane name. @default defaultLanes() */
  lanes?: Record<string, LanePolicy>;
  /** Artifacts in progress at once, across lanes. @default 16 */
  concurrency?: number;
  /** Retries of a transient failure (5xx, 429, reset, timeout) per request. @default 6 */
  maxRetries?: number;
  /** Time allowed for a response's headers. @default 300000 */
  headersTimeoutMs?: number;
  /** Longest silence allowed inside a body. @default 60000 */
  idleTimeoutMs?: number;
  /** Plan and report sizes only; write nothing. @default false */
  dryRun?: boolean;
  /** Stop at the first failed artifact. @default false */
  failFast?: boolean;
  /** Variable the generated WSI scripts read the API key from at run time. @default 'BCSS_API_KEY' */
  wsiKeyEnvVar?: string;
  /** Where ROI images come from: the DSA, the local slides, or the DSA then the slides. @default 'auto' */
  imageSource?: ImageSource;
}

/** Fills in every default; the output folder is the only thing a caller must name. */
export function withDownloadDefaults(params: DownloadParams): DownloadOptions {
  const { out, ...rest } = params;
  const outDir = params.outDir ?? out;
  const d = DOWNLOAD_DEFAULTS;
  return {
    ...rest, // the optional fields below pass through as given
    outDir: outDir ?? '',
    components: params.components ?? d.components,
    resolution: params.resolution ?? { kind: 'mpp', mpp: d.mpp },
    encoding: params.encoding ?? 'png',
    maskAlign: params.maskAlign ?? 'resize',
    rois: params.rois ?? builtinRois(),
    customRois: params.customRois ?? false,
    apiUrl: params.apiUrl ?? d.apiUrl,
    folderId: params.folderId ?? d.folderId,
    figshareUrl: params.figshareUrl ?? d.figshareUrl,
    figshareArticleId: params.figshareArticleId ?? d.figshareArticleId,
    gdcUrl: params.gdcUrl ?? d.gdcUrl,
    credentials: params.credentials ?? { kind: 'anonymous' },
    lanes: params.lanes ?? defaultLanes(),
    concurrency: params.concurrency ?? d.concurrency,
    maxRetries: params.maxRetries ?? d.retries,
    headersTimeoutMs: params.headersTimeoutMs ?? d.timeoutSeconds * 1000,
    idleTimeoutMs: params.idleTimeoutMs ?? d.idleTimeoutSeconds * 1000,
    dryRun: params.dryRun ?? false,
    failFast: params.failFast ?? false,
    wsiKeyEnvVar: params.wsiKeyEnvVar ?? d.wsiKeyEnvVar,
    imageSource: params.imageSource ?? 'auto',
  };
}
