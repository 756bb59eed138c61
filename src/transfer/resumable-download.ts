/**
 * A download that survives the end of its process: the bytes go to `.<name>.part` next to the
 * destination, with a small sidecar `.<name>.part.json` (expected size and md5, and the validators
 * the server sent). A later attempt, in this run or the next, continues with `Range` from the
 * part's size. It restarts from zero only when the server's validators changed, when it ignored the
 * Range (200 instead of 206), or when the finished file fails its md5 (once; the second mismatch is
 * an IntegrityError). Meant for large files with a known size and md5 (GDC slides, remote-services
 * docs/protocols.md, "GDC data download"), where throwing away gigabytes on every hiccup is not an option.
 *
 * The names deliberately do not match the engine's `.<name>.<16 hex>.part` temp files, so the
 * stale-temp cleanup at the start of a run leaves them alone.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat, truncate, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuthError, DiskError, HttpError, IntegrityError, NetworkError } from '../errors.js';
import { ensureDir, fsyncDir, removeQuietly, writeFileAtomic } from '../storage/atomic-file.js';
import { toDiskError } from '../storage/disk-error.js';
import { parseContentRange } from './download-attempt.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import type { WireFetch, WireReader, WireResponse } from './wire.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.js';
import type { ResponseHeaders } from './types.js';

export interface ResumableSpec {
  url: string;
  destPath: string;
  expectedBytes: number;
  /** Lower-case hex md5 of the whole file. */
  expectedMd5: string;
  /** What the file is called in messages (e.g. the slide's name). */
  label: string;
  headers?: Record<string, string>;
  /** Retries in a row without progress before giving up (an attempt that made progress resets it). */
  maxRetries: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest silence while the body streams (ms). */
  idleTimeoutMs: number;
  /** Time to response headers (ms). */
  headersTimeoutMs?: number;
  /** Received bytes are written to the part once this many are pending (default FLUSH_BYTES). */
  flushBytes?: number;
  signal?: AbortSignal;
  fetch?: WireFetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Each request sent. */
  onRequest?: () => void;
  /** New body bytes (received, not re-read). */
  onBytes?: (bytes: number) => void;
  /** A retry after a fault; `from` is the byte the next request starts at. */
  onRetry?: (reason: string, delayMs: number, from: number) => void;
  /** The part was thrown away and the file starts again from byte 0. */
  onRestart?: (reason: string) => void;
}

export interface ResumableResult {
  path: string;
  bytes: number;
  md5: string;
  sha256: string;
  mtimeMs: number;
  /** Bytes of an earlier part this download continued from (0 for a fresh start). */
  resumedFrom: number;
  /** Body bytes received over the network by this call. */
  received: number;
  restarts: number;
}

/** The sidecar's content. Validators are null when the server sent none. */
export interface PartSidecar {
  url: string;
  expectedBytes: number;
  expectedMd5: string;
  etag: string | null;
  lastModified: string | null;
  contentLength: number | null;
}

export function partPathFor(destPath: string): string {
  return join(dirname(destPath), `.${basename(destPath)}.part`);
}

export function sidecarPathFor(destPath: string): string {
  return `${partPathFor(destPath)}.json`;
}

/** True for the part and sidecar names this module makes (so cleanups and verify can tell them apart). */
export function isResumablePartName(name: string): boolean {
  return /^\..+\.part(\.json)?$/.test(name) && !/\.[0-9a-f]{16}\.part$/.test(name);
}

async function readSidecar(path: string): Promise<PartSidecar | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<PartSidecar>;
    if (typeof v.url !== 'string' || typeof v.expectedBytes !== 'number' || typeof v.expectedMd5 !== 'string') return null;
    const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
    return {
      url: v.url,
      expectedBytes: v.expectedBytes,
      expectedMd5: v.expectedMd5,
      etag: str(v.etag),
      lastModified: str(v.lastModified),
      contentLength: typeof v.contentLength === 'number' ? v.contentLength : null,
    };
  } catch {
    return null;
  }
}

function validatorsOf(headers: ResponseHeaders): { etag: string | null; lastModified: string | null } {
  return { etag: headers.get('etag'), lastModified: headers.get('last-modified') };
}

/** The validators that both sides have and that differ: the file on the server changed. */
function changedValidator(side: PartSidecar, headers: ResponseHeaders): string | null {
  const now = validatorsOf(headers);
  if (side.etag !== null && now.etag !== null && side.etag !== now.etag) return `its ETag changed (${side.etag} → ${now.etag})`;
  if (side.lastModified !== null && now.lastModified !== null && side.lastModified !== now.lastModified) {
    return `its Last-Modified changed (${side.lastModified} → ${now.lastModified})`;
  }
  return null;
}

/** The longest `Retry-After` honoured (as the transfer engine's default). */
const MAX_RETRY_AFTER_MS = 120_000;

/** A fault worth another attempt, with the server's wish for a pause. */
class RetryableFault extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The part must start again from zero (with a fresh request). */
class RestartFault extends Error {}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

/** The state of the part during one call: its size, the running hashes, the open handle. */
class Part {
  size = 0;
  md5: Hash = createHash('md5');
  sha256: Hash = createHash('sha256');
  handle: FileHandle | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(readonly path: string) {}

  /** Adopts the bytes already on disk (hashing them) so the next request continues after them. */
  async adopt(limit: number): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch {
      size = 0;
    }
    if (size > limit) {
      await this.reset();
      return;
    }
    this.size = size;
    this.md5 = createHash('md5');
    this.sha256 = createHash('sha256');
    if (size === 0) return;
    try {
      for await (const chunk of createReadStream(this.path, { end: size - 1 })) {
        this.md5.update(chunk as Buffer);
        this.sha256.update(chunk as Buffer);
      }
    } catch (err) {
      throw toDiskError(err, this.path, 'read');
    }
  }

  async reset(): Promise<void> {
    await this.close();
    this.size = 0;
    this.md5 = createHash('md5');
    this.sha256 = createHash('sha256');
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      await truncate(this.path, 0);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw toDiskError(err, this.path, 'truncate');
    }
  }

  async ensureOpen(): Promise<FileHandle> {
    if (this.handle !== null) return this.handle;
    try {
      // 'a': bytes land after what is on disk, which is exactly `size` (adopt/reset saw to that).
      this.handle = await open(this.path, 'a', 0o644);
    } catch (err) {
      throw toDiskError(err, this.path, 'open');
    }
    return this.handle;
  }

  /** Hashes the chunk and queues it; writes once `flushBytes` are pending. */
  async push(chunk: Uint8Array, flushBytes: number): Promise<void> {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.md5.update(buf);
    this.sha256.update(buf);
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    this.size += buf.length;
    if (this.#pendingBytes >= flushBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const handle = await this.ensureOpen();
    const data = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      // writeFile loops until every byte is written (a single write may write fewer); the handle
      // is in append mode, so the bytes land after the part's end.
      await handle.writeFile(data.length === 1 ? (data[0] as Buffer) : Buffer.concat(data));
    } catch (err) {
      // What did reach the disk is a prefix of the body; the rerun continues after it.
      throw toDiskError(err, this.path, 'write');
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close().catch(() => undefined);
  }
}

/**
 * What a SIGKILL may lose of a body beyond the socket buffers: bytes received but not yet appended
 * to the part. 64 KiB keeps that small (the S5 bench's kill drill measured 0.5–0.8 MiB per slide
 * with 256 KiB, against a 1 MiB budget that also has to cover the HTTP client's own queue) at
 * ~400 appends per second at 25 MB/s, which costs nothing measurable.
 */
export const FLUSH_BYTES = 64 * 1024;

/** Reads one chunk, or fails after `idleMs` of silence. */
async function readWithIdle(reader: WireReader, idleMs: number): Promise<{ done: boolean; value?: Uint8Array }> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RetryableFault(`no data for ${Math.round(idleMs / 1000)} s (stalled)`)), idleMs);
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads `spec.url` to `spec.destPath`, continuing any part an earlier call left. Throws
 * AuthError (401/403: no access, not retried), HttpError (other refusals), IntegrityError (md5
 * twice wrong, or the server describes another file), NetworkError (retries ran out: the part is
 * kept), DiskError (the part is kept).
 */
export async function downloadResumable(spec: ResumableSpec): Promise<ResumableResult> {
  const partPath = partPathFor(spec.destPath);
  const sidePath = sidecarPathFor(spec.destPath);
  await ensureDir(dirname(spec.destPath));
  // Already in place (renamed by a run killed before it recorded the file, or put there by hand,
  // e.g. by gdc-client): taken after a local md5 check, without a request.
  const present = await adoptFinished(spec);
  if (present !== null) return present;
  const part = new Part(partPath);
  let side = await readSidecar(sidePath);
  const sameFile = side !== null && side.expectedBytes === spec.expectedBytes && side.expectedMd5 === spec.expectedMd5;
  if (sameFile) await part.adopt(spec.expectedBytes);
  else {
    side = null;
    await part.reset();
  }
  const resumedFrom = part.size;
  const state = { received: 0, restarts: 0, side };
  let integrityRetried = false;
  try {
    for (;;) {
      await fetchRest(spec, part, state, sidePath);
      await part.flush();
      const md5 = part.md5.digest('hex');
      const sha256 = part.sha256.digest('hex');
      if (md5 === spec.expectedMd5) {
        try {
          await part.handle?.sync();
          await part.close();
          await rename(partPath, spec.destPath);
        } catch (err) {
          throw toDiskError(err, spec.destPath, 'store');
        }
        await fsyncDir(dirname(spec.destPath));
        await removeQuietly(sidePath);
        const info = await stat(spec.destPath);
        return { path: spec.destPath, bytes: part.size, md5, sha256, mtimeMs: info.mtimeMs, resumedFrom, received: state.received, restarts: state.restarts };
      }
      // The whole file is wrong, so no part of it can be trusted: deleted, fetched once more.
      await part.close();
      await removeQuietly(partPath);
      await removeQuietly(sidePath);
      if (integrityRetried) {
        throw new IntegrityError(`${spec.label}: md5 ${md5} of the downloaded file differs from the GDC record's ${spec.expectedMd5} (twice)`, {
          path: spec.destPath,
          expected: spec.expectedMd5,
          actual: md5,
          hint: 'The server sent other bytes than its record describes; the part was deleted. Try again later or report it to the GDC helpdesk.',
        });
      }
      integrityRetried = true;
      state.restarts += 1;
      state.side = null;
      spec.onRestart?.(`md5 ${md5} differs from ${spec.expectedMd5}; the part was deleted and the file is fetched once more`);
      await part.reset();
    }
  } finally {
    await part.flush().catch(() => undefined);
    await part.close();
  }
}

async function adoptFinished(spec: ResumableSpec): Promise<ResumableResult | null> {
  const info = await stat(spec.destPath).catch(() => null);
  if (info === null || !info.isFile() || info.size !== spec.expectedBytes) return null;
  const held = new Part(spec.destPath);
  await held.adopt(spec.expectedBytes);
  const md5 = held.md5.digest('hex');
  if (md5 !== spec.expectedMd5) return null; // replaced atomically by the download
  return { path: spec.destPath, bytes: info.size, md5, sha256: held.sha256.digest('hex'), mtimeMs: info.mtimeMs, resumedFrom: info.size, received: 0, restarts: 0 };
}

interface RunState {
  received: number;
  restarts: number;
  side: PartSidecar | null;
}

/** Requests until the part holds `expectedBytes`, retrying faults with backoff (progress resets the count). */
async function fetchRest(spec: ResumableSpec, part: Part, state: RunState, sidePath: string): Promise<void> {
  let failures = 0;
  const sleep = spec.sleep ?? defaultSleep;
  while (part.size < spec.expectedBytes) {
    const before = part.size;
    try {
      await oneAttempt(spec, part, state, sidePath);
    } catch (err) {
      if (err instanceof RestartFault) {
        state.restarts += 1;
        spec.onRestart?.(err.message);
        await part.reset();
        continue;
      }
      if (spec.signal?.aborted === true) throw err;
      if (!(err instanceof RetryableFault)) throw err;
      await part.flush();
      failures = part.size > before ? 1 : failures + 1;
      if (failures > spec.maxRetries) {
        throw new NetworkError(spec.url, `${spec.label}: ${err.message}; gave up after ${spec.maxRetries} retries without progress (${part.size} of ${spec.expectedBytes} bytes kept in the part)`, {
          hint: 'Rerun the same command: the download continues from the part.',
        });
      }
      const delay = err.retryAfterMs ?? backoffDelay(failures - 1, spec.baseDelayMs ?? 500, spec.maxDelayMs ?? 30_000, spec.random ?? Math.random);
      spec.onRetry?.(err.message, delay, part.size);
      await sleep(delay, spec.signal);
    }
  }
}

async function sendRequest(spec: ResumableSpec, from: number, ac: AbortController): Promise<WireResponse> {
  const headers: Record<string, string> = { 'User-Agent': 'bcss', ...spec.headers };
  if (from > 0) headers.Range = `bytes=${from}-`;
  spec.onRequest?.();
  const timer = setTimeout(() => ac.abort(new RetryableFault('no answer in time')), spec.headersTimeoutMs ?? 60_000);
  try {
    return await (spec.fetch ?? nodeHttpFetch)(spec.url, { method: 'GET', headers, redirect: 'manual', signal: ac.signal });
  } catch (err) {
    if (spec.signal?.aborted === true) throw err;
    throw new RetryableFault(`request failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Refusals, and the answer's claims checked against the record; returns the body's first byte. */
function checkAnswer(spec: ResumableSpec, res: WireResponse, from: number, side: PartSidecar | null): number {
  const { status, headers } = res;
  if (status === 401 || status === 403) {
    throw new AuthError(`${spec.label}: no access on the GDC (HTTP ${status}): controlled data; not retried`, {
      hint: 'BCSS slides are open access; a 403 means another file or a GDC-side change. For controlled data set BCSS_GDC_TOKEN (environment or config, never a flag).',
    });
  }
  if (isRetryableStatus(status)) {
    const wait = parseRetryAfter(headers.get('retry-after'), Date.now());
    // A server's wish, honoured up to the engine's own ceiling: a hostile value cannot park the run.
    throw new RetryableFault(`HTTP ${status}`, wait === undefined ? undefined : Math.min(wait, MAX_RETRY_AFTER_MS));
  }
  if (status === 416 && from > 0) throw new RestartFault(`${spec.label}: the server refused the Range from byte ${from} (416); starting again from zero`);
  if (status !== 200 && status !== 206) {
    throw new HttpError(status, spec.url, `${spec.label}: the GDC answered HTTP ${status}`, { hint: 'Check --gdc-url; the slide record may have changed.' });
  }
  const md5Header = headers.get('content-md5');
  if (md5Header !== null && /^[0-9a-f]{32}$/i.test(md5Header) && md5Header.toLowerCase() !== spec.expectedMd5) {
    throw new IntegrityError(`${spec.label}: the server's Content-MD5 ${md5Header} differs from the record's md5 ${spec.expectedMd5}`, {
      expected: spec.expectedMd5,
      actual: md5Header,
    });
  }
  if (side !== null && from > 0) {
    const changed = changedValidator(side, headers);
    if (changed !== null) throw new RestartFault(`${spec.label}: the file on the server changed (${changed}); starting again from zero`);
  }
  if (status === 200) {
    if (from > 0) throw new RestartFault(`${spec.label}: the server ignored the Range (200 instead of 206); starting again from zero`);
    return 0;
  }
  const range = parseContentRange(headers.get('content-range'));
  if (range === undefined || range.start !== from || (range.total !== undefined && range.total !== spec.expectedBytes)) {
    throw new RestartFault(`${spec.label}: the server answered another range (${headers.get('content-range') ?? 'none'}) than bytes ${from}-; starting again from zero`);
  }
  return from;
}

async function oneAttempt(spec: ResumableSpec, part: Part, state: RunState, sidePath: string): Promise<void> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(spec.signal?.reason);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  let res: WireResponse | null = null;
  try {
    const from = part.size;
    res = await sendRequest(spec, from, ac);
    checkAnswer(spec, res, from, state.side);
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && length !== spec.expectedBytes - from) {
      throw new IntegrityError(`${spec.label}: the server announces ${length} bytes from byte ${from}, the record says the file has ${spec.expectedBytes}`);
    }
    await recordValidators(spec, res.headers, state, sidePath);
    if (res.body === null) throw new RetryableFault('an answer without a body');
    await streamBody(spec, part, res.body.getReader(), state);
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
    if (part.size < spec.expectedBytes) {
      ac.abort();
      await res?.body?.cancel().catch(() => undefined);
    }
  }
}

/** Writes the sidecar when the part starts, or when the server's validators appear for the first time. */
async function recordValidators(spec: ResumableSpec, headers: ResponseHeaders, state: RunState, sidePath: string): Promise<void> {
  const v = validatorsOf(headers);
  const length = Number(headers.get('content-length') ?? NaN);
  const prev = state.side;
  if (prev !== null && prev.etag === (v.etag ?? prev.etag) && prev.lastModified === (v.lastModified ?? prev.lastModified)) return;
  const next: PartSidecar = {
    url: spec.url,
    expectedBytes: spec.expectedBytes,
    expectedMd5: spec.expectedMd5,
    etag: v.etag ?? prev?.etag ?? null,
    lastModified: v.lastModified ?? prev?.lastModified ?? null,
    contentLength: Number.isFinite(length) ? length : null,
  };
  try {
    await writeFileAtomic(sidePath, `${JSON.stringify(next)}\n`, { syncDir: false });
  } catch (err) {
    if (err instanceof DiskError) throw err;
    throw toDiskError(err, sidePath, 'write');
  }
  state.side = next;
}

async function streamBody(spec: ResumableSpec, part: Part, reader: WireReader, state: RunState): Promise<void> {
  const flushBytes = spec.flushBytes ?? FLUSH_BYTES;
  await part.ensureOpen();
  for (;;) {
    let chunk;
    try {
      chunk = await readWithIdle(reader, spec.idleTimeoutMs);
    } catch (err) {
      if (spec.signal?.aborted === true) throw err;
      if (err instanceof RetryableFault) throw err;
      throw new RetryableFault(`connection lost after byte ${part.size}: ${(err as Error).message}`);
    }
    if (chunk.done) break;
    if (chunk.value === undefined || chunk.value.length === 0) continue;
    if (part.size + chunk.value.length > spec.expectedBytes) {
      throw new RestartFault(`${spec.label}: the server sent more than the record's ${spec.expectedBytes} bytes; starting again from zero`);
    }
    state.received += chunk.value.length;
    spec.onBytes?.(chunk.value.length);
    await part.push(chunk.value, flushBytes);
  }
  if (part.size < spec.expectedBytes) throw new RetryableFault(`the body ended early at byte ${part.size} of ${spec.expectedBytes} (truncated)`);
}
