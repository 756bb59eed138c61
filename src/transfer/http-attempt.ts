/**
 * One attempt of one request: manual redirects with credential stripping, the headers timeout,
 * and body streaming with an idle timeout. Failures come out as HttpError / NetworkError /
 * IntegrityError so the retry policy can classify them; the global signal wins over everything.
 */
import { HttpError, NetworkError } from '../errors.js';
import type { EngineContext } from './engine-context.js';
import { MAX_REDIRECTS } from './engine-context.js';
import { abortReason, type LaneLimiter } from './lane-limiter.js';
import type { WireResponse } from './node-http-fetch.js';
import type { Redactor } from './redact.js';
import { isNetworkFault } from './retry-policy.js';
import { BodyLimitError } from './content-errors.js';

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/** A request after validation: header names lower-cased, secrets known. */
export interface PreparedRequest {
  readonly url: string;
  readonly lane: string;
  readonly method: 'GET' | 'POST' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Lower-cased names of headers dropped on a cross-origin redirect. */
  readonly secretHeaders: ReadonlySet<string>;
  readonly acceptStatus: ReadonlySet<number>;
  /** Lane for the hops after a redirect (RequestSpec.redirectLane); undefined = stay on `lane`. */
  readonly redirectLane: string | undefined;
  /** Redacts global secrets and this request's secret header values. */
  readonly redact: Redactor;
  /** The body's ceiling (RequestSpec.maxBytes, or the JSON limit), and what it stands for. */
  readonly maxBytes: number | undefined;
  readonly maxBytesReason: string;
  /** Where a credential travels besides the headers ('body', 'URL'), or null: then no cross-origin redirect. */
  readonly secretIn: 'body' | 'URL' | null;
}

/** Per-attempt abort scope: linked to the global signal, aborted by our own timeouts. */
export class AttemptScope {
  readonly number: number;
  readonly #controller = new AbortController();
  readonly #global: AbortSignal | undefined;
  readonly #onGlobalAbort = (): void => this.#controller.abort(abortReason(this.#global as AbortSignal));
  #fault: Error | undefined;
  /** The lane slot this attempt holds (given back by `releaseLane`). */
  #release: (() => void) | null = null;
  #laneName = '';

  constructor(number: number, global: AbortSignal | undefined) {
    this.number = number;
    this.#global = global;
    if (global?.aborted) this.#onGlobalAbort();
    else global?.addEventListener('abort', this.#onGlobalAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The lane whose slot the attempt holds now. */
  get lane(): string {
    return this.#laneName;
  }

  /** Records the lane slot taken for this attempt. */
  holdLane(name: string, release: () => void): void {
    this.#laneName = name;
    this.#release = release;
  }

  /**
   * Gives the current slot back, then waits for one on `limiter` (a redirect to another service).
   * The old slot goes first: this attempt must not block its first lane while it queues elsewhere.
   */
  async moveToLane(name: string, limiter: LaneLimiter): Promise<void> {
    this.releaseLane();
    this.#release = await limiter.acquire(this.signal);
    this.#laneName = name;
  }

  /** Gives the held slot back (idempotent). */
  releaseLane(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  /** Aborts the attempt because of `fault` (a timeout); the fault is what the attempt reports. */
  fail(fault: Error): void {
    this.#fault ??= fault;
    this.#controller.abort(fault);
  }

  /**
   * Ends the attempt. After a failure the controller is aborted so that any body still unread
   * (an early rejection) releases its connection instead of pinning it in the pool.
   */
  dispose(failed: boolean): void {
    this.#global?.removeEventListener('abort', this.#onGlobalAbort);
    if (failed && !this.#controller.signal.aborted) this.#controller.abort(new Error('attempt finished'));
  }

  /** What an error thrown by fetch or a body reader means for the retry policy. */
  translate(err: unknown, url: string, what: string, redact: Redactor): unknown {
    if (this.#global?.aborted) return abortReason(this.#global);
    if (this.#fault !== undefined) return this.#fault;
    if (isNetworkFault(err)) return new NetworkError(url, `${what} ${url}: ${redact(describeCause(err))}`, { cause: sanitize(err, redact) });
    return err;
  }
}

/** "fetch failed: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)" from a nested error chain. */
function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} [${code}]` : e.message);
    e = e.cause;
  }
  return parts.join(': ') || String(err);
}

/** A copy of a low-level error with redacted text, safe to keep as `cause`. */
function sanitize(err: unknown, redact: Redactor): Error {
  const copy = new Error(redact(describeCause(err)));
  const code = (err as { code?: unknown } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export interface OpenedResponse {
  response: WireResponse;
  /** Where the answer came from (after redirects), unredacted. */
  url: string;
  redirected: boolean;
}

/**
 * Sends the request, following up to MAX_REDIRECTS redirects itself so it can drop credentials
 * when the origin changes and refuse https → http downgrades (prior-art §5.9). Every hop counts as
 * a request. `extraHeaders` (e.g. Range) are added for this attempt only.
 */
export async function openResponse(
  ctx: EngineContext,
  req: PreparedRequest,
  scope: AttemptScope,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<OpenedResponse> {
  let url = new URL(req.url);
  let method: string = req.method;
  let body = req.body;
  let headers: Record<string, string> = { ...req.headers, ...extraHeaders };
  const startOrigin = originOf(url);
  let strip = false;
  for (let hop = 0; ; hop++) {
    const shown = req.redact(url.href);
    const lane = scope.lane || req.lane;
    ctx.stats.requests++;
    ctx.emit({ type: 'request', lane, url: shown, attempt: scope.number });
    const timer = setTimeout(
      () => scope.fail(new NetworkError(shown, `no response from ${shown} within ${ctx.headersTimeoutMs} ms`)),
      ctx.headersTimeoutMs,
    );
    let response: WireResponse;
    try {
      response = await ctx.fetch(url.href, {
        method,
        headers,
        redirect: 'manual',
        signal: scope.signal,
        ...(body === undefined ? {} : { body }),
      });
    } catch (err) {
      throw scope.translate(err, shown, `${method} request failed:`, req.redact);
    } finally {
      clearTimeout(timer);
    }
    ctx.emit({ type: 'response', lane, url: shown, status: response.status });
    const location = response.headers.get('location');
    if (!REDIRECT_STATUS.has(response.status) || req.acceptStatus.has(response.status) || location === null) {
      return { response, url: url.href, redirected: hop > 0 };
    }
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) {
      throw new HttpError(response.status, shown, `${method} ${req.redact(req.url)}: more than ${MAX_REDIRECTS} redirects; last went to ${shown}`);
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected to an invalid location ${req.redact(location)}`);
    }
    if (url.protocol === 'https:' && next.protocol !== 'https:') {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected from https to ${req.redact(next.href)}: refusing the downgrade`, {
        hint: 'An https source must never send credentials or data over plain http; report this to the server operator.',
      });
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new HttpError(response.status, shown, `${method} ${shown} redirected to an unsupported URL ${req.redact(next.href)}`);
    }
    if (req.secretIn !== null && originOf(next) !== startOrigin) {
      // Headers can be stripped; a body (307/308 re-send it) or a URL cannot. Refuse, whatever the status.
      throw new HttpError(
        response.status,
        shown,
        `${method} ${req.redact(req.url)} carries a credential in its ${req.secretIn} and was redirected (${response.status}) to another origin, ${req.redact(originOf(next))}: refusing to follow it`,
        { hint: 'A server must not send credentials elsewhere; check the --api-url (or the service URL) and report the redirect to its operator.' },
      );
    }
    // Once credentials were dropped they stay dropped, even if a later hop comes back home.
    if (strip || originOf(next) !== startOrigin) {
      strip = true;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !req.secretHeaders.has(name)));
    }
    // 303 always, and 301/302 after a POST, become a GET without body (what browsers and curl do).
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type' && name !== 'content-length'));
    }
    if (req.redirectLane !== undefined && scope.lane !== req.redirectLane) {
      try {
        await scope.moveToLane(req.redirectLane, ctx.lane(req.redirectLane));
      } catch (err) {
        throw scope.translate(err, shown, `waiting to follow the redirect of`, req.redact);
      }
    }
    url = next;
  }
}

export interface ReadBodyOptions {
  /** Stop (without error) after this many bytes; used for error bodies. */
  stopAfter?: number;
}

/**
 * Streams the body chunk by chunk into `onChunk`, with the idle timeout re-armed after each chunk
 * (and paused while `onChunk` runs, so a slow disk is not blamed on the network). Checks the
 * received length against Content-Length. Returns the number of bytes received.
 */
export async function readBody(
  ctx: EngineContext,
  req: PreparedRequest,
  opened: OpenedResponse,
  scope: AttemptScope,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
  options: ReadBodyOptions = {},
): Promise<number> {
  const { response } = opened;
  const shown = req.redact(opened.url);
  const expected = declaredLength(response);
  if (response.body === null) {
    if (expected !== undefined && expected > 0 && req.method !== 'HEAD') {
      throw new NetworkError(shown, `${shown}: the response has no body but announced ${expected} bytes`);
    }
    return 0;
  }
  const limit = options.stopAfter === undefined ? req.maxBytes : undefined;
  const overLimit = (n: number, verb: string): BodyLimitError =>
    new BodyLimitError(`${shown}: the body ${verb} ${n} bytes, past the ${limit} bytes allowed for it (${req.maxBytesReason}); aborted`, {
      expected: `≤ ${limit} bytes`,
      actual: String(n),
    });
  if (limit !== undefined && expected !== undefined && expected > limit) {
    await response.body.cancel().catch(() => undefined);
    throw overLimit(expected, 'announces');
  }
  const pace = bodyPace(ctx, scope, shown, [expected, limit, options.stopAfter]);
  const reader = response.body.getReader();
  let received = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => {
      scope.fail(
        new NetworkError(shown, `${shown}: no data for ${ctx.idleTimeoutMs} ms while receiving the body (${received} bytes so far)`),
      );
    }, ctx.idleTimeoutMs);
  };
  try {
    while (true) {
      arm();
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        const of = expected === undefined ? '' : ` of ${expected}`;
        throw scope.translate(err, shown, `connection lost after ${received}${of} bytes from`, req.redact);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done || chunk.value === undefined) {
        done = true;
        break;
      }
      const bytes = chunk.value;
      received += bytes.byteLength;
      if (limit !== undefined && received > limit) throw overLimit(received, 'passed');
      pace.check(received);
      ctx.stats.bytes += bytes.byteLength;
      ctx.emit({ type: 'bytes', lane: req.lane, bytes: bytes.byteLength });
      await onChunk(bytes);
      if (options.stopAfter !== undefined && received >= options.stopAfter) return received;
    }
  } finally {
    pace.stop();
    if (!done) await reader.cancel().catch(() => undefined);
  }
  if (expected !== undefined && received < expected) {
    throw new NetworkError(shown, `${shown}: the body ended after ${received} of ${expected} bytes (truncated)`);
  }
  if (expected !== undefined && received > expected) {
    throw new NetworkError(shown, `${shown}: the body has ${received} bytes but Content-Length said ${expected}`);
  }
  return received;
}

/**
 * The overall deadline and minimum rate of one body (issue 9, item 5): the body must be complete
 * within grace + size / minRate, where size is the smallest of its announced length and ceilings;
 * and once the grace has passed, the bytes so far must keep up with minRate on average. A body
 * trickling one byte every few seconds, under the idle timeout, so fails after the grace instead
 * of holding its lane slot for hours.
 */
function bodyPace(ctx: EngineContext, scope: AttemptScope, shown: string, sizes: ReadonlyArray<number | undefined>): { check(received: number): void; stop(): void } {
  const start = Date.now();
  const known = sizes.filter((n): n is number => n !== undefined);
  const rate = ctx.minRateBytesPerSec;
  const grace = ctx.deadlineGraceMs;
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  if (known.length > 0) {
    const size = Math.min(...known);
    const ms = grace + Math.ceil((size / rate) * 1000);
    timer = setTimeout(() => {
      scope.fail(new NetworkError(shown, `${shown}: the body did not arrive within its deadline of ${ms} ms (${received} of ≤ ${size} bytes; ${grace} ms plus ${rate} bytes/s)`));
    }, ms);
  }
  return {
    check(n: number): void {
      received = n;
      const elapsed = Date.now() - start;
      if (elapsed > grace && n < (rate * (elapsed - grace)) / 1000) {
        throw new NetworkError(shown, `${shown}: the body arrives too slowly (${n} bytes in ${elapsed} ms; at least ${rate} bytes/s are needed after the first ${grace} ms)`);
      }
    },
    stop(): void {
      clearTimeout(timer);
    },
  };
}

/**
 * Content-Length, when it describes the bytes we will see: fetch decodes gzip/deflate/br, after
 * which the header counts the encoded size.
 */
export function declaredLength(response: WireResponse): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const raw = response.headers.get('content-length');
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}
