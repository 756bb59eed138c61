/**
 * Request phase 5, receive: the body streamed chunk by chunk under the idle timeout, the overall
 * deadline / minimum rate and the body ceiling, checked against Content-Length at the end.
 */
import { NetworkError } from '../errors.js';
import type { AttemptScope } from './attempt-scope.js';
import { BodyLimitError } from './content-errors.js';
import type { EngineContext } from './engine-context.js';
import type { OpenedResponse } from './open-response.js';
import type { PreparedRequest } from './prepared-request.js';
import type { WireBody, WireResponse } from './wire.js';

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
  const { received, stopped } = await pump(ctx, req, scope, response.body, shown, { expected, limit, stopAfter: options.stopAfter, overLimit }, onChunk);
  if (stopped) return received;
  if (expected !== undefined && received < expected) {
    throw new NetworkError(shown, `${shown}: the body ended after ${received} of ${expected} bytes (truncated)`);
  }
  if (expected !== undefined && received > expected) {
    throw new NetworkError(shown, `${shown}: the body has ${received} bytes but Content-Length said ${expected}`);
  }
  return received;
}

interface PumpLimits {
  expected: number | undefined;
  limit: number | undefined;
  stopAfter: number | undefined;
  overLimit: (n: number, verb: string) => BodyLimitError;
}

/** The read loop: one chunk at a time under the idle timer, the pace and the ceiling. */
async function pump(
  ctx: EngineContext,
  req: PreparedRequest,
  scope: AttemptScope,
  body: WireBody,
  shown: string,
  limits: PumpLimits,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<{ received: number; stopped: boolean }> {
  const { expected, limit, stopAfter } = limits;
  const pace = bodyPace(ctx, scope, shown, [expected, limit, stopAfter]);
  const reader = body.getReader();
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
        return { received, stopped: false };
      }
      const bytes = chunk.value;
      received += bytes.byteLength;
      if (limit !== undefined && received > limit) throw limits.overLimit(received, 'passed');
      pace.check(received);
      ctx.stats.bytes += bytes.byteLength;
      ctx.emit({ type: 'bytes', lane: req.lane, bytes: bytes.byteLength });
      await onChunk(bytes);
      if (stopAfter !== undefined && received >= stopAfter) return { received, stopped: true };
    }
  } finally {
    pace.stop();
    if (!done) await reader.cancel().catch(() => undefined);
  }
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
