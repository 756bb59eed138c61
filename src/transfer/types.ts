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
  /** Ceiling for a JSON answer when the request names none (default 256 MiB, `--max-json-mb`). */
  maxJsonBytes?: number;
  /**
   * The slowest average a body may arrive at once `deadlineGraceMs` have passed (default 16 KiB/s):
   * a body trickling under the idle timeout cannot hold a lane slot for hours. It also sets each
   * body's overall deadline: grace + (its size, or its ceiling) / this rate.
   */
  minRateBytesPerSec?: number;
  /** Time a body gets before the rate counts (default 60000). */
  deadlineGraceMs?: number;
  userAgent?: string;
  /** Strings (API keys, tokens, passwords) that must never appear in errors or events. */
  secrets?: () => readonly string[];
  onEvent?: (event: TransferEvent) => void;
  signal?: AbortSignal;
  /**
   * Injected for tests (a fetch-compatible function); defaults to a `node:http` client that
   * speaks the same subset of fetch (wire.ts).
   */
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
  /**
   * The body or URL carries a credential (an API key in a form body, a token in the query): such a
   * request never follows a redirect to another origin. Also inferred when a known secret, or a
   * credential-named parameter, appears in the body or URL.
   */
  carriesSecret?: boolean;
  /**
   * The most bytes this answer may have, known before it starts (a region from its predicted pixel
   * size, a JSON document from `--max-json-mb`); the transfer aborts the moment the body passes it
   * (BodyLimitError, not retried). `expectedBytes`, when given, is a ceiling too.
   */
  maxBytes?: number;
  /** What `maxBytes` stands for, for the message (e.g. "a 4040×2936 px PNG"). */
  maxBytesReason?: string;
  /** Statuses that are answers, not failures (e.g. 400 for a Girder lookup that may miss). */
  acceptStatus?: readonly number[];
  /**
   * Lane for the hops after a redirect, e.g. the pre-signed object-store URL behind figshare's
   * `ndownloader`: when the redirect arrives the slot on `lane` is given back and the next hop
   * waits for a slot on this lane instead, so `lane`'s politeness counts only the requests to its
   * own service. Unset: the whole attempt, redirects included, holds its slot on `lane`.
   */
  redirectLane?: string;
  /**
   * Give the lane slot back as soon as a successful answer's headers arrive WITH a Content-Length:
   * the server produced the whole body before it answered (a region render is finished), so only
   * the transfer remains and the lane (e.g. the DSA's 4 render slots) can start the next request.
   * An answer without Content-Length may still be produced while it streams: it holds the slot to
   * its last byte, as every request does by default.
   */
  releaseLaneOnHeaders?: boolean;
}

/** Response headers, looked up by case-insensitive name (a fetch `Headers` is one). */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface JsonResult<T> {
  data: T;
  status: number;
  headers: ResponseHeaders;
  /** The exact bytes received (JSON is stored as received, never re-serialised). */
  raw: Buffer;
}

export interface BufferResult {
  data: Buffer;
  status: number;
  headers: ResponseHeaders;
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
   * the bytes (the attempt is retried); any other error aborts the download. `head` holds the
   * body's first bytes (up to 64 KiB, all of them for a shorter body), so a header check
   * need not read the file again.
   */
  /**
   * A streaming check fed every body byte, in order, as it arrives (a fresh one whenever the body
   * restarts from byte 0); throw an IntegrityError to reject the body at once. `end` runs when the
   * body is complete, before `validate`. With one, the engine does not parse a JSON body whole, so
   * memory stays flat whatever the body's size (annotations, issue 9 item 6).
   */
  inspect?: () => BodyInspector;
  validate?: (tempPath: string, stored: { bytes: number; sha256: string; md5: string | null; head: Uint8Array }) => Promise<void>;
  /**
   * Sync the folder after the rename, so the new name survives a power cut (default true).
   * False when the caller syncs the folder itself before it relies on the name (the lock
   * journal does, once per batch of files, before recording them).
   */
  syncDir?: boolean;
}

export interface BodyInspector {
  write(chunk: Uint8Array): void;
  end(): void;
}

export interface StoredFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Only computed when `expectedMd5` was given (null otherwise): most callers need just sha256. */
  md5: string | null;
  /** The stored file's modification time (as `stat` reports it after the rename). */
  mtimeMs: number;
  status: number;
  headers: ResponseHeaders;
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
