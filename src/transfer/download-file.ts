/**
 * `download`: stream a body into `.<name>.<random>.part` next to the destination, hashing while
 * writing, check size / md5 / content / caller validation, then fsync, rename and fsync the
 * folder. A partial file never carries the final name, and the temp file is removed on any
 * failure. After a dropped connection the next attempt asks for the missing bytes only (Range),
 * provided the server advertised `Accept-Ranges: bytes`; a 200 answer to that request restarts
 * from zero (Girder and others may ignore Range: remote-services A6, C3).
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { readFile, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { IntegrityError, NetworkError, UsageError } from '../errors.js';
import { fsyncDir, openNewFile, removeQuietly, tempPathFor } from '../storage/atomic-file.js';
import { BodyLimitError, EmptyBodyError } from './content-errors.js';
import { toDiskError } from '../storage/disk-error.js';
import type { EngineContext } from './engine-context.js';
import { MAX_MEMORY_BODY_BYTES } from './engine-context.js';
import type { AttemptScope, PreparedRequest } from './http-attempt.js';
import { declaredLength, openResponse, readBody } from './http-attempt.js';
import { abortReason } from './lane-limiter.js';
import { checkExpectations, checkSniffKind, checkStoredBody, ensureSuccess, prepareRequest, withRetries } from './request-runner.js';
import { parseJsonBody, sniffHead } from './sniff.js';
import type { BodyInspector, DownloadSpec, ResponseHeaders, Sniff, StoredFile } from './types.js';

/** `bytes a-b/total` → numbers; undefined when absent or malformed. */
export function parseContentRange(value: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = value === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (m === null) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Received bytes are written in pieces of about this size (one `writev` per piece). */
const WRITE_BATCH_BYTES = 1 << 20;

/** How many leading bytes are kept in memory for `validate`. */
export const HEAD_BYTES = 64 * 1024;

/**
 * The temp file and what has been received into it, carried across attempts. Chunks are hashed
 * as they arrive and written in batches of ~1 MiB (no copy: `writev` of the received chunks), so
 * reading the body is not paced by one disk write per 64 KiB chunk.
 */
class PartialBody {
  readonly path: string;
  readonly handle: FileHandle;
  readonly #wantMd5: boolean;
  /** Bytes on disk. */
  written = 0;
  md5: Hash | null;
  sha256: Hash = createHash('sha256');
  /** Set when the last attempt lost its connection after progress and the server can resume. */
  resumable = false;
  acceptsRanges = false;
  total: number | undefined;
  etag: string | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  readonly #makeInspector: (() => BodyInspector) | undefined;
  /** Has seen exactly the bytes received so far (recreated whenever the body restarts). */
  inspector: BodyInspector | undefined;
  /** The first HEAD_BYTES of the body (or all of a shorter one). */
  #head: Uint8Array[] = [];
  #headBytes = 0;

  constructor(path: string, handle: FileHandle, wantMd5: boolean, inspect?: () => BodyInspector) {
    this.path = path;
    this.handle = handle;
    this.#wantMd5 = wantMd5;
    this.md5 = wantMd5 ? createHash('md5') : null;
    this.#makeInspector = inspect;
    this.inspector = inspect?.();
  }

  /** Bytes received so far: on disk plus still buffered. */
  get received(): number {
    return this.written + this.#pendingBytes;
  }

  /** The body's first bytes, as `validate` gets them (a copy only if they span chunks). */
  head(): Uint8Array {
    const first = this.#head[0];
    if (first !== undefined && (first.byteLength >= HEAD_BYTES || this.#head.length === 1)) return first.subarray(0, Math.min(HEAD_BYTES, first.byteLength));
    const all = Buffer.concat(this.#head, this.#headBytes);
    return all.subarray(0, Math.min(HEAD_BYTES, all.length));
  }

  async reset(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#head = [];
    this.#headBytes = 0;
    if (this.written > 0) {
      try {
        await this.handle.truncate(0);
      } catch (err) {
        throw toDiskError(err, this.path, 'truncate');
      }
    }
    this.written = 0;
    this.md5 = this.#wantMd5 ? createHash('md5') : null;
    this.sha256 = createHash('sha256');
    this.resumable = false;
    this.inspector = this.#makeInspector?.();
  }

  /** Hashes the chunk and queues it; writes the queue once it holds ~1 MiB. */
  async append(chunk: Uint8Array): Promise<void> {
    this.inspector?.write(chunk);
    this.md5?.update(chunk);
    this.sha256.update(chunk);
    if (this.#headBytes < HEAD_BYTES) {
      this.#head.push(chunk);
      this.#headBytes += chunk.byteLength;
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    if (this.#pendingBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  /**
   * Writes every queued chunk. The hashes already cover them, so after a failed flush the state
   * is inexact: a DiskError is never retried, and callers only resume from a successful flush.
   */
  async flush(): Promise<void> {
    let bufs = this.#pending;
    let left = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      while (left > 0) {
        const { bytesWritten } = await this.handle.writev(bufs, this.written);
        this.written += bytesWritten;
        left -= bytesWritten;
        if (left > 0) bufs = skipBytes(bufs, bytesWritten);
      }
    } catch (err) {
      throw toDiskError(err, this.path, 'write');
    }
  }
}

/** The buffers after the first `n` bytes (a short `writev`). */
function skipBytes(bufs: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of bufs) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

export async function downloadFile(ctx: EngineContext, spec: DownloadSpec): Promise<StoredFile> {
  const req = prepareRequest(ctx, spec, 'download');
  const sniff = checkSniffKind(spec.sniff);
  const expected = checkExpectations(spec);
  if (typeof spec.destPath !== 'string' || spec.destPath === '') {
    throw new UsageError(`expected a destination path for ${req.redact(req.url)} but received ${JSON.stringify(spec.destPath)}`);
  }
  if (spec.validate !== undefined && typeof spec.validate !== 'function') {
    throw new UsageError('expected a function for validate');
  }
  if (ctx.signal?.aborted) throw abortReason(ctx.signal);
  const destPath = resolve(spec.destPath);
  const dir = dirname(destPath);
  const tempPath = tempPathFor(destPath);
  let handle: FileHandle;
  try {
    handle = await openNewFile(tempPath);
  } catch (err) {
    throw toDiskError(err, tempPath, 'create temp file');
  }
  if (spec.inspect !== undefined && typeof spec.inspect !== 'function') throw new UsageError('expected a function for inspect');
  const body = new PartialBody(tempPath, handle, expected.md5 !== undefined, spec.inspect);
  let closed = false;
  let committed = false;
  try {
    const answer = await withRetries(ctx, req, (scope) => attempt(ctx, req, scope, spec, sniff, expected, body));
    const md5 = body.md5?.copy().digest('hex') ?? null;
    const sha256 = body.sha256.copy().digest('hex');
    let step = 'flush';
    let mtimeMs: number;
    try {
      await handle.sync();
      // The rename keeps it: callers record it without another stat of the path.
      step = 'stat';
      mtimeMs = (await handle.stat()).mtimeMs;
      step = 'close';
      closed = true;
      await handle.close();
      step = 'rename';
      await rename(tempPath, destPath);
    } catch (err) {
      throw toDiskError(err, step === 'rename' ? destPath : tempPath, step === 'rename' ? 'replace' : step);
    }
    committed = true;
    if (spec.syncDir !== false) await fsyncDir(dir);
    return { path: destPath, bytes: body.written, sha256, md5, mtimeMs, status: answer.status, headers: answer.headers };
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
    if (!committed) await removeQuietly(tempPath);
  }
}

async function attempt(
  ctx: EngineContext,
  req: PreparedRequest,
  scope: AttemptScope,
  spec: DownloadSpec,
  sniff: Sniff,
  expected: { bytes?: number; md5?: string },
  body: PartialBody,
): Promise<{ status: number; headers: ResponseHeaders }> {
  const resumeFrom = body.resumable && body.written > 0 ? body.written : 0;
  if (resumeFrom === 0) await body.reset();
  body.resumable = false;
  const extra: Record<string, string> = {};
  if (resumeFrom > 0) {
    extra.range = `bytes=${resumeFrom}-`;
    if (body.etag !== undefined) extra['if-range'] = body.etag;
  }
  const opened = await openResponse(ctx, req, scope, extra);
  await ensureSuccess(ctx, req, opened, scope);
  const { response } = opened;
  const shown = req.redact(opened.url);
  const range = parseContentRange(response.headers.get('content-range'));
  let appending = false;
  if (response.status === 206) {
    const wantStart = resumeFrom;
    const wantTotal = resumeFrom > 0 ? body.total : range?.total;
    // Girder answers 206 with the whole file when a range is unsatisfiable: check, never assume.
    if (range === undefined || range.start !== wantStart || range.total === undefined || range.total !== wantTotal || range.end !== range.total - 1) {
      await response.body?.cancel().catch(() => undefined);
      throw new IntegrityError(`${shown}: the server answered 206 with Content-Range ${String(response.headers.get('content-range'))} for bytes ${wantStart}- (restarting the download)`);
    }
    appending = resumeFrom > 0;
    body.total = range.total;
  } else if (resumeFrom > 0) {
    // The server ignored our Range (or If-Range did not match): a full body follows.
    await body.reset();
  }
  if (!appending) {
    const announced = declaredLength(response);
    if (response.status !== 206) body.total = announced;
    if (expected.bytes !== undefined && body.total !== undefined && body.total !== expected.bytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new IntegrityError(`${shown}: the server announces ${body.total} bytes but ${expected.bytes} were expected`, {
        path: spec.destPath,
        expected: String(expected.bytes),
        actual: String(body.total),
      });
    }
    body.acceptsRanges = (response.headers.get('accept-ranges') ?? '').toLowerCase().includes('bytes');
    const etag = response.headers.get('etag');
    body.etag = etag !== null && !etag.startsWith('W/') ? etag : undefined;
  }
  // A body whose length was known before it was sent is finished at the server: the slot may go.
  if (spec.releaseLaneOnHeaders === true && declaredLength(response) !== undefined) scope.releaseLane();
  const contentType = response.headers.get('content-type');
  let decided = sniff === 'any' || appending;
  let head = Buffer.alloc(0);
  try {
    await readBody(ctx, req, opened, scope, async (chunk) => {
      // readBody counts this attempt's bytes; after a resume the ceiling is on the whole file.
      if (req.maxBytes !== undefined && body.received + chunk.byteLength > req.maxBytes) {
        throw new BodyLimitError(`${shown}: the body passed ${body.received + chunk.byteLength} bytes, past the ${req.maxBytes} bytes allowed for it (${req.maxBytesReason}); aborted`, {
          path: spec.destPath,
          expected: `≤ ${req.maxBytes} bytes`,
        });
      }
      if (expected.bytes !== undefined && body.received + chunk.byteLength > expected.bytes) {
        throw new IntegrityError(`${shown}: the body is longer than the expected ${expected.bytes} bytes`, {
          path: spec.destPath,
          expected: String(expected.bytes),
        });
      }
      if (!decided) {
        head = Buffer.concat([head, chunk]).subarray(0, 64);
        const verdict = sniffHead(sniff, head, contentType, false);
        if (verdict.ok === false) throw new IntegrityError(`${shown}: ${verdict.reason}`, { path: spec.destPath });
        decided = verdict.ok === true;
      }
      await body.append(chunk);
    });
  } catch (err) {
    // Resume only bytes already judged to be the right kind of content, and only once they are
    // all on disk (a resumed attempt continues from `written`, which the hashes must match).
    const canResume = decided && body.acceptsRanges && body.total !== undefined && req.method === 'GET' && !('range' in req.headers);
    if (err instanceof NetworkError && body.received > 0 && canResume) {
      await body.flush();
      body.resumable = true;
    }
    throw err;
  }
  // Every byte is in: the server's part is over, so its lane slot (e.g. one of the DSA's 4
  // render slots) is given back before the disk write and the checks below, which are ours.
  scope.releaseLane();
  await body.flush();
  if (!decided) {
    const verdict = sniffHead(sniff, head, contentType, true);
    if (verdict.ok !== true) {
      const Kind = body.written === 0 ? EmptyBodyError : IntegrityError;
      throw new Kind(`${shown}: ${verdict.ok === false ? verdict.reason : 'undecidable body'}`, { path: spec.destPath });
    }
  }
  if (body.total !== undefined && body.written !== body.total) {
    throw new IntegrityError(`${shown}: stored ${body.written} bytes but the server announced ${body.total}`, { path: spec.destPath });
  }
  const md5 = body.md5?.copy().digest('hex') ?? null;
  const sha256 = body.sha256.copy().digest('hex');
  checkStoredBody(shown, body.written, md5, expected, spec.destPath);
  body.inspector?.end();
  if (sniff === 'json' && body.inspector === undefined && body.written <= MAX_MEMORY_BODY_BYTES) {
    let raw: Buffer;
    try {
      raw = await readFile(body.path);
    } catch (err) {
      throw toDiskError(err, body.path, 'read back');
    }
    const parsed = parseJsonBody(raw);
    if (!parsed.ok) throw new IntegrityError(`${shown}: ${req.redact(parsed.reason)}`, { path: spec.destPath });
  }
  if (spec.validate !== undefined) await spec.validate(body.path, { bytes: body.written, sha256, md5, head: body.head() });
  return { status: response.status, headers: response.headers };
}
