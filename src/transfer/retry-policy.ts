/**
 * The retry decision, kept pure so it can be tested exhaustively. Order is fixed (after ky):
 * attempts left? → HTTP status class → network fault → body (source) fault → anything else is a
 * bug and is never retried. `Retry-After` replaces the backoff when the server sends one.
 */
import { BcssError, HttpError, IntegrityError, NetworkError } from '../errors.js';
import { EMPTY_BODY_RETRIES, EmptyBodyError, WrongContentError } from './content-errors.js';

/** Statuses worth another try: timeouts, throttling and server-side trouble. */
const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Statuses that will not change by asking again: explain them instead (docs/protocols.md#retries-and-status-codes). */
const FATAL_STATUS = new Set([400, 401, 403, 404, 410, 422]);

export function isRetryableStatus(status: number): boolean {
  if (FATAL_STATUS.has(status)) return false;
  return RETRY_STATUS.has(status) || (status >= 500 && status <= 599);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * True for errors raised by the socket layer: resets, refusals, undici's `UND_ERR_*` family and
 * fetch's `terminated` (connection closed mid-body). Walks the `cause` chain because fetch wraps
 * the real reason in a `TypeError: fetch failed`.
 */
export function isNetworkFault(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (typeof e !== 'object') return false;
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true;
    if (typeof message === 'string' && /^(terminated|socket hang up|other side closed)$/i.test(message)) return true;
    if (name === 'TimeoutError') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export type FaultClass = 'retry-status' | 'fatal-status' | 'network' | 'body' | 'fatal' | 'bug';

/**
 * Classifies an attempt's failure. The engine raises HttpError (with `retryable`), NetworkError
 * and IntegrityError itself; raw socket errors are network faults; other BcssErrors (DiskError,
 * UsageError…) are final; everything else is a bug.
 */
export function classifyFault(err: unknown): FaultClass {
  if (err instanceof HttpError) return err.retryable ? 'retry-status' : 'fatal-status';
  if (err instanceof NetworkError) return 'network';
  // A well-formed answer that is not what was asked for comes back the same every time.
  if (err instanceof WrongContentError) return 'fatal';
  if (err instanceof IntegrityError) return 'body';
  if (err instanceof BcssError) return 'fatal';
  if (isNetworkFault(err)) return 'network';
  return 'bug';
}

/** Full jitter: a uniform wait in [0, min(maxDelay, base·2^attempt)). `attempt` counts from 0. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as delta-seconds or an HTTP-date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday/month; Date.parse alone would read "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface RetryInput {
  /** The failure of attempt number `attempt` (0 = first try). */
  error: unknown;
  attempt: number;
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** Parsed Retry-After of the failed response, if any. */
  retryAfterMs?: number | undefined;
  random: () => number;
}

export type RetryDecision =
  | { retry: true; delayMs: number; fault: FaultClass }
  | { retry: false; fault: FaultClass; exhausted: boolean };

export function decideRetry(input: RetryInput): RetryDecision {
  const fault = classifyFault(input.error);
  const retryable = fault === 'retry-status' || fault === 'network' || fault === 'body';
  if (!retryable) return { retry: false, fault, exhausted: false };
  const budget = input.error instanceof EmptyBodyError ? Math.min(input.maxRetries, EMPTY_BODY_RETRIES) : input.maxRetries;
  if (input.attempt >= budget) return { retry: false, fault, exhausted: true };
  const delayMs =
    input.retryAfterMs !== undefined
      ? Math.min(input.retryAfterMs, input.maxRetryAfterMs)
      : backoffDelay(input.attempt, input.baseDelayMs, input.maxDelayMs, input.random);
  return { retry: true, delayMs, fault };
}
