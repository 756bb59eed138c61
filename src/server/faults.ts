import { UsageError } from '../errors.js';
import {
  arrayOf,
  type Field,
  fieldIssues,
  isBoolean,
  isInt,
  isNonNegative,
  isNonNegativeInt,
  isNumber,
  isObject,
  isPositive,
  isPositiveInt,
  isString,
} from '../validation/checks.js';
import { RenderQueue } from './render-queue.js';
import { realClock, TokenBucket, type Clock } from './http/token-bucket.js';

export const SERVICES = ['girder', 'figshare', 'gdc'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Injectable faults, in the order a request's random draw is matched against them. Status faults
 * answer instead of the service; body faults let the service answer and damage the body.
 */
export const FAULT_KINDS = [
  'error500',
  'error502',
  'error503',
  'error504',
  'rateLimit429',
  'htmlPage200',
  'challenge202',
  'expiredUrl403',
  'emptyBody200',
  'resetMidBody',
  'truncateBody',
  'stallBody',
  'ignoreRange',
  'badAnnotationJson',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type ServiceFaults = {
  /** Delay before the first byte of every answer (ms). */
  latencyMs?: number;
  /** Extra random delay in [0, latencyJitterMs) (seeded). */
  latencyJitterMs?: number;
  /** Total body bandwidth of the service, shared by all responses (bytes/s). */
  bandwidthBytesPerSec?: number;
  /** Girder only: parallel region renders (default 4). */
  renderConcurrency?: number;
  /** Girder only: modelled render time per output megapixel (ms, default 0). */
  renderMsPerMegapixel?: number;
  /** `Retry-After` of 429 answers, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Send `Retry-After` as an HTTP-date instead of seconds. */
  retryAfterHttpDate?: boolean;
  /** Only requests whose path (under the service) contains this text may get a fault. */
  pathIncludes?: string;
  /** Only these request numbers (1-based, counted per service) may get a fault. */
  requests?: number[];
} & {
  /**
   * Probability of each fault. challenge202: a 202 bot-challenge page (what figshare.com's WAF
   * answers scripts with); expiredUrl403: figshare blob URLs only, the object store's 403 for an
   * expired pre-signed URL.
   */
  [K in FaultKind]?: number;
};

export interface FaultOptions {
  /** Seed of the fault draws (default 1): the same seed and request order give the same faults. */
  seed?: number;
  /** Keep rendered region bytes in memory, so repeated renders cost the server no CPU. */
  cacheRegions?: boolean;
  /** Memory budget of that cache (bytes, default 512 MiB). */
  cacheRegionsMaxBytes?: number;
  girder?: ServiceFaults;
  figshare?: ServiceFaults;
  gdc?: ServiceFaults;
}

const probability: Field = { ok: (v) => isNumber(v) && v >= 0 && v <= 1, expected: 'a number from 0 to 1' };
const nonNegative: Field = { ok: isNonNegative, expected: 'a number >= 0' };

const SERVICE_FIELDS: Readonly<Record<string, Field>> = {
  latencyMs: nonNegative,
  latencyJitterMs: nonNegative,
  bandwidthBytesPerSec: { ok: isPositive, expected: 'a number > 0' },
  renderConcurrency: { ok: isPositiveInt, expected: 'an integer >= 1' },
  renderMsPerMegapixel: nonNegative,
  ...Object.fromEntries(FAULT_KINDS.map((k) => [k, probability])),
  retryAfterSeconds: { ok: isNonNegativeInt, expected: 'an integer >= 0' },
  retryAfterHttpDate: { ok: isBoolean, expected: 'a boolean' },
  pathIncludes: { ok: isString, expected: 'a string' },
  requests: { ok: arrayOf(isPositiveInt), expected: 'an array of integers >= 1' },
};

const OPTION_FIELDS: Readonly<Record<string, Field>> = {
  seed: { ok: isInt, expected: 'an integer' },
  cacheRegions: { ok: isBoolean, expected: 'a boolean' },
  cacheRegionsMaxBytes: { ok: isPositiveInt, expected: 'a positive integer' },
  ...Object.fromEntries(SERVICES.map((s) => [s, { ok: isObject, expected: 'an object' }])),
};

/** Every problem of fault options (from JSON), one `key.path: …` line each. */
function faultIssues(value: unknown): string[] {
  if (!isObject(value)) return ['(root): expected an object'];
  const issues = fieldIssues(value, OPTION_FIELDS);
  for (const service of SERVICES) {
    const f = value[service];
    if (isObject(f)) issues.push(...fieldIssues(f, SERVICE_FIELDS, `${service}.`));
  }
  return issues;
}

/** Validate fault options (from JSON), with a message naming every bad field. */
export function parseFaultOptions(value: unknown): FaultOptions {
  const issues = faultIssues(value);
  if (issues.length > 0) {
    throw new UsageError(`invalid fault options:\n${issues.map((i) => `  ${i}`).join('\n')}`, {
      hint: 'see `bcss serve --help` for the fault option names',
    });
  }
  const options = value as FaultOptions; // every key checked by faultIssues
  for (const service of SERVICES) {
    const f = options[service];
    if (!f) continue;
    const total = FAULT_KINDS.reduce((sum, k) => sum + (f[k] ?? 0), 0);
    if (total > 1 + 1e-9) {
      throw new UsageError(`invalid fault options: the ${service} fault probabilities add up to ${total}, more than 1`);
    }
  }
  return options;
}

/** mulberry32: a tiny seeded PRNG, enough for reproducible fault sequences. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a request looks like to the fault draw. */
export interface FaultRequest {
  path: string;
  hasRange: boolean;
}

interface ServiceState {
  faults: ServiceFaults;
  draw: () => number;
  jitter: () => number;
  requests: number;
  bucket: TokenBucket | null;
}

/** Seeded, per-service fault decisions, throttles and the render queue. */
export class FaultInjector {
  readonly renderQueue: RenderQueue;
  readonly cacheRegions: boolean;
  readonly cacheRegionsMaxBytes: number;
  private readonly state: Record<ServiceName, ServiceState>;

  constructor(options: FaultOptions = {}, clock: Clock = realClock) {
    const seed = options.seed ?? 1;
    this.cacheRegions = options.cacheRegions === true;
    this.cacheRegionsMaxBytes = options.cacheRegionsMaxBytes ?? 512 * 1024 * 1024;
    const make = (service: ServiceName, index: number): ServiceState => {
      const faults = options[service] ?? {};
      return {
        faults,
        draw: mulberry32(seed + index * 0x9e3779b9),
        jitter: mulberry32(seed + index * 0x9e3779b9 + 0x51ed270b),
        requests: 0,
        bucket: faults.bandwidthBytesPerSec ? new TokenBucket(faults.bandwidthBytesPerSec, clock) : null,
      };
    };
    this.state = { girder: make('girder', 0), figshare: make('figshare', 1), gdc: make('gdc', 2) };
    const g = this.state.girder.faults;
    this.renderQueue = new RenderQueue(g.renderConcurrency ?? 4, g.renderMsPerMegapixel ?? 0, clock);
  }

  /** Count the request and draw its fault (or none). One draw per request keeps runs reproducible. */
  decide(service: ServiceName, req: FaultRequest): FaultKind | null {
    const s = this.state[service];
    s.requests += 1;
    const f = s.faults;
    if (!FAULT_KINDS.some((k) => (f[k] ?? 0) > 0)) return null;
    const u = s.draw();
    if (f.pathIncludes !== undefined && !req.path.includes(f.pathIncludes)) return null;
    if (f.requests !== undefined && !f.requests.includes(s.requests)) return null;
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      const p = f[kind] ?? 0;
      if (p <= 0 || !applicable(kind, service, req)) continue;
      cumulative += p;
      if (u < cumulative) return kind;
    }
    return null;
  }

  /** Delay before answering (ms). */
  latency(service: ServiceName): number {
    const s = this.state[service];
    const base = s.faults.latencyMs ?? 0;
    const jitter = s.faults.latencyJitterMs ?? 0;
    return base + (jitter > 0 ? s.jitter() * jitter : 0);
  }

  bucket(service: ServiceName): TokenBucket | null {
    return this.state[service].bucket;
  }

  /** The `Retry-After` value of an injected 429. */
  retryAfter(service: ServiceName, nowMs: number): string {
    const f = this.state[service].faults;
    const seconds = f.retryAfterSeconds ?? 1;
    return f.retryAfterHttpDate ? new Date(nowMs + seconds * 1000).toUTCString() : String(seconds);
  }
}

function applicable(kind: FaultKind, service: ServiceName, req: FaultRequest): boolean {
  if (kind === 'ignoreRange') return req.hasRange;
  if (kind === 'badAnnotationJson') return service === 'girder' && req.path.startsWith('/annotation/item/');
  if (kind === 'expiredUrl403') return service === 'figshare' && req.path.startsWith('/blob/');
  return true;
}
