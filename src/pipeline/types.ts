import type { RoiRecord } from '../catalog/types.js';
import type { Resolution } from '../geometry/types.js';
import type { LanePolicy } from '../transfer/types.js';

/** The artifact kinds `bcss download` can produce. */
export type Component = 'images' | 'masks' | 'annotations' | 'wsi-scripts' | 'wsis';
/**
 * Every component, in the order `--components all` fetches them.
 *
 * @example
 * ```ts
 * import { ALL_COMPONENTS, runDownload } from 'bcss';
 * await runDownload({ out: 'BCSS', components: ALL_COMPONENTS });
 * ```
 */
export const ALL_COMPONENTS: readonly Component[] = ['images', 'masks', 'annotations', 'wsi-scripts'];

/**
 * Every component `--components` accepts: `all` plus `wsis`, the slides themselves (~150 GB for
 * the whole dataset), which are only fetched when named.
 */
export const SELECTABLE_COMPONENTS: readonly Component[] = [...ALL_COMPONENTS, 'wsis'];

/**
 * The lane of the object-store hop behind figshare's `ndownloader` redirect (another service:
 * S3 for the real figshare), so figshare's own lane paces only requests to figshare.
 */
export const OBJECT_STORE_LANE = 'object-store';

/** Where base masks come from (issue #11): figshare's article ZIP, one request per file, or the faster. */
export type MasksVia = 'auto' | 'zip' | 'files';

/**
 * Where ROI images come from (issue 10 §2): the DSA's region render, the local slide file
 * rendered by bcss (docs/local-render.md), or the DSA with a fall-back to the local slide.
 */
export type ImageSource = 'dsa' | 'wsi' | 'auto';

/** How a base mask of (H−1)×(W−1) is aligned with an H×W image (docs/dataset.md#roi-bounds-and-mask-size). */
export type MaskAlign = 'resize' | 'pad';

/** Credentials, resolved by the CLI; never written anywhere. */
export type Credentials =
  | { kind: 'anonymous' }
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'login'; username: string; password: string };

/**
 * Everything a download run needs, validated once by the CLI layer
 * (flags > environment > config file > defaults). Nothing below reads flags or env.
 */
export interface DownloadOptions {
  outDir: string;
  components: readonly Component[];
  resolution: Resolution;
  /** Region encoding requested from the DSA; PNG is lossless and the default. */
  encoding: 'png' | 'jpeg';
  maskAlign: MaskAlign;
  /** The ROIs to fetch (built-in table or `--rois FILE`, filtered by `--slides`). */
  rois: readonly RoiRecord[];
  /** True when `rois` came from a user table rather than the built-in one. */
  customRois: boolean;
  /**
   * The whole table `rois` were chosen from (before `--slides`): its digest identifies the
   * dataset of the output folder. Defaults to `rois`.
   */
  roiTable?: readonly RoiRecord[];
  /**
   * When the output folder holds another dataset (other resolution, table or sources): move its
   * files aside to `<out>-replaced-<time>` and start afresh, instead of refusing (exit 2).
   */
  replace?: boolean;
  apiUrl: string;
  folderId: string;
  figshareUrl: string;
  figshareArticleId: number;
  gdcUrl: string;
  credentials: Credentials;
  /** Per-lane politeness: `dsa`, `dsa-render`, `figshare`, `object-store`, `gdc`. */
  lanes: Record<string, LanePolicy>;
  /** Artifacts processed at once (across lanes). */
  concurrency: number;
  maxRetries: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** Ceiling for a JSON answer (annotations, listings), from `--max-json-mb`; default 256 MiB. */
  maxJsonBytes?: number;
  /** NCI GDC token (BCSS_GDC_TOKEN, env or config only), sent as `X-Auth-Token`. */
  gdcToken?: string;
  /** figshare personal token (BCSS_FIGSHARE_TOKEN, env or config only), sent as `Authorization: token …`. */
  figshareToken?: string;
  dryRun: boolean;
  failFast: boolean;
  /** How base masks come from figshare: the article ZIP, one request per file, or `auto` (default). */
  masksVia?: MasksVia;
  /** Names of environment variables the generated WSI scripts read the key from. */
  wsiKeyEnvVar: string;
  /** Where `wsis` puts the slides (`--wsi-dir`); default `<outDir>/wsis`. */
  wsiDir?: string;
  /** Slides downloaded from the GDC at once (`--gdc-concurrency`, default 2). */
  gdcConcurrency?: number;
  /** Where ROI images come from (`--image-source`, default `auto`: the DSA, then the local slide). */
  imageSource?: ImageSource;
}

export type ArtifactStatus = 'done' | 'skipped' | 'failed' | 'planned';

/** Progress is data: the pipeline emits these; the CLI renders bars, lines or JSON. */
export type PipelineEvent =
  | { type: 'plan'; total: number; toFetch: number; skipped: number; expectedBytes: number | null }
  | { type: 'artifact-start'; id: string; kind: Component; path: string }
  | { type: 'artifact-done'; id: string; kind: Component; path: string; bytes: number; status: ArtifactStatus }
  | { type: 'artifact-failed'; id: string; kind: Component; path: string; reason: string }
  | { type: 'bytes'; bytes: number }
  | { type: 'retry'; url: string; attempt: number; delayMs: number; reason: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface DownloadSummary {
  /** HTTP requests actually sent (retries and redirect hops included). */
  requests: number;
  bytes: number;
  retries: number;
  seconds: number;
  /**
   * Failed artifacts. `kind` is the error's kind (network, remote, auth, integrity, disk, …;
   * `internal` for a bug): when every failure is `network`, the CLI exits 5. Items cut short by
   * an interrupt are not failures; they stay `planned`.
   */
  failures: Array<{ item: string; reason: string; kind?: string }>;
  /** True when the run was stopped by its signal (Ctrl-C): what is not done stays planned. */
  interrupted?: boolean;
  /**
   * Images made by this run, per source: the DSA's render or a local slide (`fallbacks` of the
   * latter after the DSA failed for that ROI; the run log says why). Present when images were asked for.
   */
  imageSources?: { dsa: number; wsi: number; fallbacks: number };
  /** Counts per component and status, e.g. `{ images: { done: 3, skipped: 148, failed: 0 } }`. */
  components: Record<string, Record<string, number>>;
  outDir: string;
  lockPath: string;
  logPath: string | null;
  dryRun: boolean;
  /** For --dry-run: what would be fetched. */
  plan?: Array<{ id: string; kind: Component; path: string; width?: number; height?: number; estimatedBytes?: number }>;
  estimatedBytes?: number;
  freeBytes?: number;
}

export interface VerifyIssue {
  path: string;
  problem: 'missing' | 'changed' | 'extra' | 'size-mismatch' | 'bad-values' | 'unreadable' | 'spec-mismatch' | 'incomplete';
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  bytesHashed: number;
  seconds: number;
  issues: VerifyIssue[];
}
