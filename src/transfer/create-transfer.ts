/**
 * The transfer engine: per-lane politeness, classified retries with jittered backoff and
 * Retry-After, timeouts, manual redirects, content sniffing, hashing and atomic storage.
 * Callers describe requests (types.ts); everything about "how to fetch politely and correctly"
 * lives here.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { HttpError, IntegrityError } from '../errors.js';
import { EmptyBodyError } from './content-errors.js';
import { downloadFile } from './download-file.js';
import type { EngineContext } from './engine-context.js';
import { DEFAULT_DEADLINE_GRACE_MS, DEFAULT_MAX_JSON_BYTES, DEFAULT_MIN_RATE_BYTES_PER_SEC, MAX_MEMORY_BODY_BYTES } from './engine-context.js';
import type { AttemptScope, OpenedResponse, PreparedRequest } from './http-attempt.js';
import { declaredLength, openResponse, readBody } from './http-attempt.js';
import { LaneLimiter, realSleep } from './lane-limiter.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { createRedactor } from './redact.js';
import { checkExpectations, checkInt, checkSniffKind, checkStoredBody, ensureSuccess, prepareRequest, withRetries } from './request-runner.js';
import { parseJsonBody, sniffHead } from './sniff.js';
import type { BufferResult, JsonResult, LanePolicy, RequestSpec, Sniff, Transfer, TransferEvent, TransferOptions, TransferStats } from './types.js';

const DEFAULT_POLICY: LanePolicy = { concurrency: 4, minIntervalMs: 0 };

function checkPolicy(name: string, policy: LanePolicy): LanePolicy {
  checkInt(`lane "${name}" concurrency`, policy.concurrency, 1, 1);
  checkInt(`lane "${name}" minIntervalMs`, policy.minIntervalMs, 0, 0);
  return { concurrency: policy.concurrency, minIntervalMs: policy.minIntervalMs };
}

export function createTransfer(options: TransferOptions): Transfer {
  const policies = new Map<string, LanePolicy>();
  for (const [name, policy] of Object.entries(options.lanes)) policies.set(name, checkPolicy(name, policy));
  const defaultPolicy = checkPolicy('default', options.defaultPolicy ?? DEFAULT_POLICY);
  const secrets = options.secrets ?? ((): readonly string[] => []);
  const sleep = options.sleep ?? realSleep;
  const limiters = new Map<string, LaneLimiter>();
  const stats: TransferStats = { requests: 0, bytes: 0, retries: 0 };
  const onEvent = options.onEvent;

  // Every queued or running request listens for an abort; with a few hundred queued (e.g. the
  // `/tiles` lookups a run starts at once) the caller's signal would warn about a listener leak.
  // So they listen on an internal signal that follows the caller's through one listener.
  let signal: AbortSignal | undefined;
  if (options.signal !== undefined) {
    const outer = options.signal;
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    if (outer.aborted) inner.abort(outer.reason);
    else outer.addEventListener('abort', () => inner.abort(outer.reason), { once: true });
    signal = inner.signal;
  }

  const ctx: EngineContext = {
    maxRetries: checkInt('maxRetries', options.maxRetries, 6, 0),
    baseDelayMs: checkInt('baseDelayMs', options.baseDelayMs, 500, 0),
    maxDelayMs: checkInt('maxDelayMs', options.maxDelayMs, 30_000, 0),
    maxRetryAfterMs: checkInt('maxRetryAfterMs', options.maxRetryAfterMs, 120_000, 0),
    headersTimeoutMs: checkInt('headersTimeoutMs', options.headersTimeoutMs, 60_000, 1),
    idleTimeoutMs: checkInt('idleTimeoutMs', options.idleTimeoutMs, 30_000, 1),
    maxJsonBytes: Math.min(checkInt('maxJsonBytes', options.maxJsonBytes, DEFAULT_MAX_JSON_BYTES, 1), MAX_MEMORY_BODY_BYTES),
    minRateBytesPerSec: checkInt('minRateBytesPerSec', options.minRateBytesPerSec, DEFAULT_MIN_RATE_BYTES_PER_SEC, 1),
    deadlineGraceMs: checkInt('deadlineGraceMs', options.deadlineGraceMs, DEFAULT_DEADLINE_GRACE_MS, 0),
    userAgent: options.userAgent ?? `bcss (Node.js ${process.versions.node})`,
    fetch: options.fetch ?? nodeHttpFetch,
    sleep,
    random: options.random ?? Math.random,
    signal,
    secrets,
    redact: createRedactor(secrets),
    stats,
    emit(event: TransferEvent): void {
      if (onEvent === undefined) return;
      try {
        onEvent(event);
      } catch {
        // A failing observer must not turn a good transfer into a failed one.
      }
    },
    lane(name: string): LaneLimiter {
      let limiter = limiters.get(name);
      if (limiter === undefined) {
        limiter = new LaneLimiter(policies.get(name) ?? defaultPolicy, { sleep });
        limiters.set(name, limiter);
      }
      return limiter;
    },
  };

  return {
    stats,
    json: <T>(spec: RequestSpec) => fetchJson<T>(ctx, spec),
    buffer: (spec) => fetchBuffer(ctx, spec),
    download: (spec) => downloadFile(ctx, spec),
  };
}

interface MemoryBody {
  data: Buffer;
  /** Empty when not asked for (JSON answers need no hash). */
  md5: string;
  sha256: string;
}

/**
 * Reads a whole body into memory, bounded by MAX_MEMORY_BODY_BYTES, rejecting a wrong-looking
 * body (HTML, empty, bad signature) from its first bytes without reading the rest.
 */
async function readMemoryBody(
  ctx: EngineContext,
  req: PreparedRequest,
  opened: OpenedResponse,
  scope: AttemptScope,
  sniff: Sniff,
  hash: boolean,
): Promise<MemoryBody> {
  const shown = req.redact(opened.url);
  const contentType = opened.response.headers.get('content-type');
  const announced = declaredLength(opened.response);
  const tooLarge = (n: number): HttpError =>
    new HttpError(opened.response.status, shown, `${req.method} ${shown}: the body (${n} bytes) exceeds the ${MAX_MEMORY_BODY_BYTES}-byte limit for in-memory answers`);
  // A tighter ceiling (req.maxBytes) is enforced by readBody with its own message.
  if (announced !== undefined && announced > MAX_MEMORY_BODY_BYTES) throw tooLarge(announced);
  const parts: Uint8Array[] = [];
  const md5 = hash ? createHash('md5') : null;
  const sha256 = hash ? createHash('sha256') : null;
  let total = 0;
  let head = Buffer.alloc(0);
  let decided = sniff === 'any';
  await readBody(ctx, req, opened, scope, (chunk) => {
    total += chunk.byteLength;
    if (total > MAX_MEMORY_BODY_BYTES) throw tooLarge(total);
    parts.push(chunk);
    md5?.update(chunk);
    sha256?.update(chunk);
    if (!decided) {
      head = Buffer.concat([head, chunk]).subarray(0, 64);
      const verdict = sniffHead(sniff, head, contentType, false);
      if (verdict.ok === false) throw new IntegrityError(`${shown}: ${verdict.reason}`);
      decided = verdict.ok === true;
    }
  });
  const data = Buffer.concat(parts, total);
  // The whole body is in: the server's part is over, the lane slot goes back before our checks.
  scope.releaseLane();
  if (!decided) {
    const verdict = sniffHead(sniff, data, contentType, true);
    if (verdict.ok !== true) {
      const Kind = total === 0 ? EmptyBodyError : IntegrityError;
      throw new Kind(`${shown}: ${verdict.ok === false ? verdict.reason : 'undecidable body'}`);
    }
  }
  return { data, md5: md5?.digest('hex') ?? '', sha256: sha256?.digest('hex') ?? '' };
}

async function fetchJson<T>(ctx: EngineContext, spec: RequestSpec): Promise<JsonResult<T>> {
  const req = prepareRequest(ctx, spec, 'json');
  return withRetries(ctx, req, async (scope) => {
    const opened = await openResponse(ctx, req, scope);
    await ensureSuccess(ctx, req, opened, scope);
    const { data } = await readMemoryBody(ctx, req, opened, scope, 'json', false);
    const parsed = parseJsonBody(data);
    if (!parsed.ok) throw new IntegrityError(`${req.redact(opened.url)}: ${req.redact(parsed.reason)}`);
    return { data: parsed.value as T, status: opened.response.status, headers: opened.response.headers, raw: data };
  });
}

async function fetchBuffer(
  ctx: EngineContext,
  spec: RequestSpec & { sniff: Sniff; expectedBytes?: number; expectedMd5?: string },
): Promise<BufferResult> {
  const expected = checkExpectations(spec);
  // A known size is the ceiling (a mask: the listing's `size`), aborted the moment it is passed.
  const ceiling = expected.bytes !== undefined && spec.maxBytes === undefined && spec.method !== 'HEAD' ? { maxBytes: expected.bytes, maxBytesReason: 'the size the file listing gives' } : {};
  const req = prepareRequest(ctx, { ...spec, ...ceiling }, 'buffer');
  const sniff = checkSniffKind(spec.sniff);
  return withRetries(ctx, req, async (scope) => {
    const opened = await openResponse(ctx, req, scope);
    await ensureSuccess(ctx, req, opened, scope);
    const shown = req.redact(opened.url);
    const announced = declaredLength(opened.response);
    if (expected.bytes !== undefined && announced !== undefined && announced !== expected.bytes) {
      throw new IntegrityError(`${shown}: the server announces ${announced} bytes but ${expected.bytes} were expected`, {
        expected: String(expected.bytes),
        actual: String(announced),
      });
    }
    // A HEAD answer has no body to sniff.
    const body = await readMemoryBody(ctx, req, opened, scope, req.method === 'HEAD' ? 'any' : sniff, true);
    if (req.method !== 'HEAD') checkStoredBody(shown, body.data.length, body.md5, expected, undefined);
    return { data: body.data, status: opened.response.status, headers: opened.response.headers, md5: body.md5, sha256: body.sha256 };
  });
}

