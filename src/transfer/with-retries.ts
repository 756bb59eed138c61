/**
 * Request phase 2, retry: attempts run one after another until one succeeds or the retry policy
 * (retry-policy.ts) says stop, each holding a lane slot only while it runs.
 */
import { HttpError, IntegrityError, NetworkError } from '../errors.js';
import { AttemptScope } from './attempt-scope.js';
import { retryAfterOf } from './check-answer.js';
import { EmptyBodyError } from './content-errors.js';
import type { EngineContext } from './engine-context.js';
import { abortReason } from './lane-limiter.js';
import type { PreparedRequest } from './prepared-request.js';
import { decideRetry } from './retry-policy.js';

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
