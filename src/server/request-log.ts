import type { FaultKind, ServiceName } from './faults.js';

export interface RequestLogEntry {
  service: ServiceName | 'none';
  method: string;
  /** Path and query as received, with secrets (token, key, signature…) redacted. */
  path: string;
  status: number;
  /** Body bytes actually sent. */
  bytes: number;
  /** Time from request to close of the response (ms). */
  ms: number;
  fault?: FaultKind;
  /** Injected latency before the answer (ms, to 0.1), when latency faults are configured. */
  latencyMs?: number;
  /** The response was not completed (client gone, connection cut). */
  aborted?: true;
  notes?: string[];
}

const SECRET_PARAMS = new Set([
  'token',
  'key',
  'apikey',
  'api_key',
  'password',
  'signature',
  'sig',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
]);

/** The request target with the values of secret-bearing query parameters replaced. */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_PARAMS.has(decoded.toLowerCase()) ? `${name}=REDACTED` : pair;
    })
    .join('&');
  return `${target.slice(0, q)}?${query}`;
}

/** The request log (bounded) and counters of a running server. */
export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit = 100_000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    const s = entry.service;
    const bump = (key: string, by = 1): void => {
      this.counts.set(key, (this.counts.get(key) ?? 0) + by);
    };
    for (const prefix of ['', `${s}.`]) {
      bump(`${prefix}requests`);
      bump(`${prefix}status.${entry.status}`);
      bump(`${prefix}bytes`, entry.bytes);
      if (entry.fault) bump(`${prefix}fault.${entry.fault}`);
      if (entry.aborted) bump(`${prefix}aborted`);
    }
  }

  counters(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  reset(): void {
    this.entries.length = 0;
    this.counts.clear();
  }
}
