/**
 * What every operation shares: request validation, the retry loop around attempts, status
 * checks and the final size/md5 checks.
 */
import { HttpError, IntegrityError, NetworkError, UsageError } from '../errors.js';
import { EmptyBodyError } from './content-errors.js';
import type { EngineContext } from './engine-context.js';
import { ERROR_BODY_BYTES } from './engine-context.js';
import { statusError } from './http-status-error.js';
import type { OpenedResponse, PreparedRequest } from './http-attempt.js';
import { AttemptScope, readBody } from './http-attempt.js';
import { abortReason } from './lane-limiter.js';
import { ALWAYS_SECRET_HEADERS, createRedactor } from './redact.js';
import { decideRetry, parseRetryAfter } from './retry-policy.js';
import type { RequestSpec, Sniff } from './types.js';

/** Retry-After of a failed answer, kept beside the error rather than inside the shared error type. */
const retryAfterOf = new WeakMap<object, number>();

export function checkInt(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || !Number.isInteger(value)) {
    throw new UsageError(`expected an integer ≥ ${min} for ${name} but received ${String(value)}`);
  }
  return value;
}

export function checkExpectations(spec: { expectedBytes?: number; expectedMd5?: string }): { bytes?: number; md5?: string } {
  const out: { bytes?: number; md5?: string } = {};
  if (spec.expectedBytes !== undefined) out.bytes = checkInt('expectedBytes', spec.expectedBytes, 0, 0);
  if (spec.expectedMd5 !== undefined) {
    if (!/^[0-9a-f]{32}$/i.test(spec.expectedMd5)) {
      throw new UsageError(`expected 32 hex digits for expectedMd5 but received ${JSON.stringify(spec.expectedMd5)}`);
    }
    out.md5 = spec.expectedMd5.toLowerCase();
  }
  return out;
}

export function checkSniffKind(sniff: unknown): Sniff {
  if (sniff === 'png' || sniff === 'json' || sniff === 'any') return sniff;
  throw new UsageError(`expected "png", "json" or "any" for sniff but received ${JSON.stringify(sniff)}`);
}

function checkLaneName(name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name === '') throw new UsageError(`expected a lane name for redirectLane but received ${JSON.stringify(name)}`);
  return name;
}

/** Validates a spec and fixes its headers (lower-cased names, defaults, secrets). */
export function prepareRequest(ctx: EngineContext, spec: RequestSpec, purpose: 'json' | 'buffer' | 'download'): PreparedRequest {
  const redactGlobal = ctx.redact;
  if (typeof spec.lane !== 'string' || spec.lane === '') throw new UsageError('expected a lane name for the request but received none');
  let parsed: URL;
  try {
    parsed = new URL(spec.url);
  } catch {
    throw new UsageError(`expected an absolute http(s) URL but received ${JSON.stringify(redactGlobal(String(spec.url)))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`expected an http(s) URL but received ${redactGlobal(parsed.href)}`);
  }
  const method = spec.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') throw new UsageError(`unsupported HTTP method ${String(method)}`);
  const secretHeaders = new Set<string>(ALWAYS_SECRET_HEADERS);
  for (const name of spec.secretHeaders ?? []) secretHeaders.add(name.toLowerCase());
  const headers: Record<string, string> = {
    'user-agent': ctx.userAgent,
    accept: purpose === 'json' ? 'application/json' : '*/*',
  };
  // Byte-exact storage and Content-Length checks need the body as sent, not re-encoded.
  if (purpose !== 'json') headers['accept-encoding'] = 'identity';
  let body: string | undefined;
  if (spec.body instanceof URLSearchParams) {
    body = spec.body.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  } else if (typeof spec.body === 'string') {
    body = spec.body;
  }
  const headerSecrets: string[] = [];
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const lower = name.toLowerCase();
    headers[lower] = value;
    if (secretHeaders.has(lower) && value !== '') {
      headerSecrets.push(value);
      // "token abc…": the credential part alone may show up elsewhere.
      const last = value.trim().split(/\s+/).pop();
      if (last !== undefined && last !== value && last.length >= 8) headerSecrets.push(last);
    }
  }
  const redact = createRedactor(() => [...ctx.secrets(), ...headerSecrets]);
  return {
    url: parsed.href,
    lane: spec.lane,
    method,
    headers,
    body,
    secretHeaders,
    acceptStatus: new Set(spec.acceptStatus ?? []),
    redirectLane: checkLaneName(spec.redirectLane),
    redact,
    ...ceilingOf(ctx, spec, purpose),
    secretIn: secretCarrier(spec, parsed.href, body, redact),
  };
}

/** The ceiling a request's body must stay under: the caller's, else the JSON limit for JSON. */
function ceilingOf(ctx: EngineContext, spec: RequestSpec, purpose: 'json' | 'buffer' | 'download'): { maxBytes: number | undefined; maxBytesReason: string } {
  if (spec.maxBytes !== undefined) {
    const maxBytes = checkInt('maxBytes', spec.maxBytes, 0, 0);
    return { maxBytes, maxBytesReason: spec.maxBytesReason ?? 'the limit the caller set' };
  }
  if (purpose === 'json') {
    return { maxBytes: ctx.maxJsonBytes, maxBytesReason: `the JSON limit of ${Math.round(ctx.maxJsonBytes / 1048576)} MB, --max-json-mb` };
  }
  return { maxBytes: undefined, maxBytesReason: '' };
}

/**
 * Where a request carries a credential outside its headers: declared by the caller, or a known
 * secret (or a credential-named parameter such as `key=`/`token=`) found in the body or the URL.
 */
function secretCarrier(spec: RequestSpec, url: string, body: string | undefined, redact: (text: string) => string): 'body' | 'URL' | null {
  if (body !== undefined && body !== '' && (spec.carriesSecret === true || redact(body) !== body || redact(`?${body}`) !== `?${body}`)) return 'body';
  if (redact(url) !== url) return 'URL';
  return spec.carriesSecret === true ? 'URL' : null;
}

/**
 * Runs `attempt` until it succeeds or the retry policy says stop. The lane slot is held only while
 * an attempt runs; backoff sleeps happen outside it so a sleeping retry never blocks the lane.
 */
export async function withRetries<T>(ctx: EngineContext, req: PreparedRequest, attempt: (scope: AttemptScope) => Promise<T>): Promise<T> {
  const limiter = ctx.lane(req.lane);
  for (let n = 0; ; n++) {
    if (ctx.signal?.aborted) throw abortReason(ctx.signal);
    const release = await limiter.acquire(ctx.signal);
    const scope = new AttemptScope(n + 1, ctx.signal);
    scope.holdLane(req.lane, release);
    let error: unknown;
    let failed = false;
    try {
      return await attempt(scope);
    } catch (err) {
      error = err;
      failed = true;
    } finally {
      scope.dispose(failed);
      scope.releaseLane();
    }
    if (ctx.signal?.aborted) throw abortReason(ctx.signal);
    const decision = decideRetry({
      error,
      attempt: n,
      maxRetries: ctx.maxRetries,
      baseDelayMs: ctx.baseDelayMs,
      maxDelayMs: ctx.maxDelayMs,
      maxRetryAfterMs: ctx.maxRetryAfterMs,
      retryAfterMs: typeof error === 'object' && error !== null ? retryAfterOf.get(error) : undefined,
      random: ctx.random,
    });
    if (!decision.retry) throw decision.exhausted ? withAttemptCount(error, n + 1) : error;
    ctx.stats.retries++;
    const reason = error instanceof Error ? req.redact(error.message) : 'unknown failure';
    ctx.emit({ type: 'retry', lane: req.lane, url: req.redact(req.url), attempt: n + 1, delayMs: decision.delayMs, reason });
    if (decision.delayMs > 0) await ctx.sleep(decision.delayMs, ctx.signal);
  }
}

/** The final error after retries ran out says so, keeping its class (and so its exit code). */
function withAttemptCount(error: unknown, attempts: number): unknown {
  const note = ` (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  const hint = 'The source may be overloaded or the connection unstable: run the command again later; completed files are kept.';
  if (error instanceof HttpError) {
    return new HttpError(error.status, error.url, error.message + note, { retryable: error.retryable, hint: error.hint ?? hint, cause: error.cause });
  }
  if (error instanceof NetworkError) return new NetworkError(error.url, error.message + note, { hint: error.hint ?? hint, cause: error.cause });
  if (error instanceof IntegrityError) {
    // Keep the subclass: callers explain an empty answer differently from a damaged one.
    const Kind = error instanceof EmptyBodyError ? EmptyBodyError : IntegrityError;
    return new Kind(error.message + note, {
      path: error.path,
      expected: error.expected,
      actual: error.actual,
      hint: error.hint ?? hint,
      cause: error.cause,
    });
  }
  return error;
}

function isSuccess(req: PreparedRequest, status: number): boolean {
  if (req.acceptStatus.has(status)) return true;
  // figshare answers scripts with 202 + an HTML bot challenge: not content (remote-services B5).
  return status >= 200 && status <= 299 && status !== 202;
}

/** Throws the explained HttpError for a non-success answer (after reading a bit of its body). */
export async function ensureSuccess(ctx: EngineContext, req: PreparedRequest, opened: OpenedResponse, scope: AttemptScope): Promise<void> {
  const { status } = opened.response;
  if (isSuccess(req, status)) return;
  const parts: Uint8Array[] = [];
  try {
    await readBody(ctx, req, opened, scope, (chunk) => void parts.push(chunk), { stopAfter: ERROR_BODY_BYTES });
  } catch {
    // The status already tells the story; a broken error body adds nothing.
  }
  const body = Buffer.concat(parts).subarray(0, ERROR_BODY_BYTES).toString('utf8');
  const error = statusError({
    status,
    method: req.method,
    url: req.redact(opened.url),
    body: req.redact(body),
    redirected: opened.redirected,
  });
  const retryAfter = parseRetryAfter(opened.response.headers.get('retry-after'), Date.now());
  if (retryAfter !== undefined) retryAfterOf.set(error, retryAfter);
  throw error;
}

/** Size and md5 checks shared by buffer() and download(); failures are retryable source faults. */
export function checkStoredBody(shown: string, bytes: number, md5: string | null, expected: { bytes?: number; md5?: string }, path: string | undefined): void {
  if (expected.bytes !== undefined && bytes !== expected.bytes) {
    throw new IntegrityError(`${shown}: received ${bytes} bytes but ${expected.bytes} were expected`, {
      path,
      expected: String(expected.bytes),
      actual: String(bytes),
    });
  }
  if (bytes === 0 && expected.bytes !== 0) {
    throw new EmptyBodyError(`${shown}: the server sent an empty body (0 bytes) where content was expected`, { path });
  }
  if (expected.md5 !== undefined && md5 !== expected.md5) {
    throw new IntegrityError(`${shown}: md5 ${md5 ?? '(not computed)'} does not match the expected ${expected.md5}`, {
      path,
      expected: expected.md5,
      actual: md5 ?? undefined,
    });
  }
}
