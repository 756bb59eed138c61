/**
 * The contract between the transfer engine and its callers (remote clients, pipeline steps).
 * Callers describe requests; the engine owns politeness, retries, timeouts, sniffing,
 * hashing and atomic storage.
 */

/** Politeness for one lane of traffic (e.g. `dsa-render`, `dsa`, `figshare`, `gdc`). */
export interface LanePolicy {
  /** Requests in flight at once. */
  concurrency: number;
  /** Minimum gap between the starts of two requests, in ms (1000 = 1 request/second). */
  minIntervalMs: number;
}

export type TransferEvent =
  | { type: 'request'; lane: string; url: string; attempt: number }
  | { type: 'response'; lane: string; url: string; status: number }
  | { type: 'retry'; lane: string; url: string; attempt: number; delayMs: number; reason: string }
  | { type: 'bytes'; lane: string; bytes: number };

export interface TransferOptions {
  /** Policy per lane; unknown lanes get `defaultPolicy`. */
  lanes: Record<string, LanePolicy>;
  defaultPolicy?: LanePolicy;
  /** Retries after the first attempt (default 6). */
  maxRetries?: number;
  /** Backoff: min(maxDelayMs, baseDelayMs · 2^attempt) with full jitter (defaults 500 / 30000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured before giving up on that attempt (default 120000). */
  maxRetryAfterMs?: number;
  /** Time to response headers (default 60000; renders can be slow). */
  headersTimeoutMs?: number;
  /** Longest silence while a body streams (default 30000). */
  idleTimeoutMs?: number;
  userAgent?: string;
  /** Strings (API keys, tokens, passwords) that must never appear in errors or events. */
  secrets?: () => readonly string[];
  onEvent?: (event: TransferEvent) => void;
  signal?: AbortSignal;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: random in [0, 1) used for jitter. */
  random?: () => number;
}

/** What a body must look like to be accepted. */
export type Sniff = 'png' | 'json' | 'any';

export interface RequestSpec {
  url: string;
  lane: string;
  method?: 'GET' | 'POST' | 'HEAD';
  /** Headers; values of `secretHeaders` are dropped on a cross-origin redirect and never logged. */
  headers?: Record<string, string>;
  secretHeaders?: readonly string[];
  body?: string | URLSearchParams;
  /** Statuses that are answers, not failures (e.g. 400 for a Girder lookup that may miss). */
  acceptStatus?: readonly number[];
}

export interface JsonResult<T> {
  data: T;
  status: number;
  headers: Headers;
  /** The exact bytes received (JSON is stored as received, never re-serialised). */
  raw: Buffer;
}

export interface BufferResult {
  data: Buffer;
  status: number;
  headers: Headers;
  md5: string;
  sha256: string;
}

export interface DownloadSpec extends RequestSpec {
  /** Final location; the temp file is created in the same folder. */
  destPath: string;
  sniff: Sniff;
  expectedBytes?: number;
  /** Lower-case hex; a mismatch is a source fault and is retried. */
  expectedMd5?: string;
  /**
   * Runs on the complete temp file before fsync+rename. Throw an IntegrityError to reject
   * the bytes (the attempt is retried); any other error aborts the download.
   */
  validate?: (tempPath: string, stored: { bytes: number; sha256: string; md5: string }) => Promise<void>;
}

export interface StoredFile {
  path: string;
  bytes: number;
  sha256: string;
  md5: string;
  status: number;
  headers: Headers;
}

export interface TransferStats {
  requests: number;
  bytes: number;
  retries: number;
}

export interface Transfer {
  /** GET/POST and parse JSON (sniffed: an HTML page is a retryable source fault). */
  json<T = unknown>(spec: RequestSpec): Promise<JsonResult<T>>;
  /** Whole body in memory, sniffed and optionally md5-checked. */
  buffer(spec: RequestSpec & { sniff: Sniff; expectedBytes?: number; expectedMd5?: string }): Promise<BufferResult>;
  /** Stream to a temp file next to `destPath`, hash while streaming, validate, fsync, rename. */
  download(spec: DownloadSpec): Promise<StoredFile>;
  readonly stats: TransferStats;
}
