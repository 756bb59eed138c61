/**
 * The normalised options and shared state of one Transfer, passed to the modules that implement
 * its operations. Built once by `createTransfer`.
 */
import type { Sleep } from './lane-limiter.js';
import type { LaneLimiter } from './lane-limiter.js';
import type { WireFetch } from './wire.js';
import type { Redactor } from './redact.js';
import type { TransferEvent, TransferStats } from './types.js';

export interface EngineContext {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxJsonBytes: number;
  readonly minRateBytesPerSec: number;
  readonly deadlineGraceMs: number;
  readonly userAgent: string;
  readonly fetch: WireFetch;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly signal: AbortSignal | undefined;
  readonly secrets: () => readonly string[];
  readonly redact: Redactor;
  readonly stats: TransferStats;
  emit(event: TransferEvent): void;
  lane(name: string): LaneLimiter;
}

/** Bodies held in memory (json, buffer) are refused above this size. */
export const MAX_MEMORY_BODY_BYTES = 512 * 1024 * 1024;

/** Up to this much of an error body is read to explain the failure. */
export const ERROR_BODY_BYTES = 16 * 1024;

export const MAX_REDIRECTS = 5;

/** Default JSON ceiling: real BCSS annotation documents are a few MB (20,000 polygons over 151 slides). */
export const DEFAULT_MAX_JSON_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MIN_RATE_BYTES_PER_SEC = 16 * 1024;
export const DEFAULT_DEADLINE_GRACE_MS = 60_000;
