/**
 * Request phase 1, prepare: a caller's RequestSpec validated once, with lower-cased header names,
 * default headers, the body's ceiling and the secrets this request carries (for redaction and
 * the redirect rules of open-response.ts).
 */
import { UsageError } from '../errors.js';
import type { EngineContext } from './engine-context.js';
import type { Redactor } from './redact.js';
import { ALWAYS_SECRET_HEADERS, createRedactor } from './redact.js';
import type { RequestSpec, Sniff } from './types.js';

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
