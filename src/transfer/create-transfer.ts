/**
 * The transfer engine: per-lane politeness, classified retries with jittered backoff and
 * Retry-After, timeouts, manual redirects, content sniffing, hashing and atomic storage.
 * Callers describe requests (types.ts); everything about "how to fetch politely and correctly"
 * lives here.
 */
import { setMaxListeners } from 'node:events';
import { downloadFile } from './download-file.js';
import type { EngineContext } from './engine-context.js';
import { DEFAULT_DEADLINE_GRACE_MS, DEFAULT_MAX_JSON_BYTES, DEFAULT_MIN_RATE_BYTES_PER_SEC, MAX_MEMORY_BODY_BYTES } from './engine-context.js';
import { LaneLimiter, realSleep } from './lane-limiter.js';
import { fetchBuffer, fetchJson } from './memory-body.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { createRedactor } from './redact.js';
import { checkInt } from './prepared-request.js';
import type { LanePolicy, RequestSpec, Transfer, TransferEvent, TransferOptions, TransferStats } from './types.js';

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

  const signal = options.signal === undefined ? undefined : followSignal(options.signal);

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

/**
 * Every queued or running request listens for an abort; with a few hundred queued (e.g. the
 * `/tiles` lookups a run starts at once) the caller's signal would warn about a listener leak.
 * So they listen on an internal signal that follows the caller's through one listener.
 */
function followSignal(outer: AbortSignal): AbortSignal {
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  if (outer.aborted) inner.abort(outer.reason);
  else outer.addEventListener('abort', () => inner.abort(outer.reason), { once: true });
  return inner.signal;
}
