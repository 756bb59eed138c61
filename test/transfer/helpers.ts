/**
 * Test helpers for the transfer engine: a tiny node:http server on 127.0.0.1 (port 0) driven by a
 * per-test handler, and a transfer whose sleeps are recorded instead of slept.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encode as encodePng } from 'fast-png';
import { createTransfer } from '../../src/transfer/create-transfer.js';
import type { Transfer, TransferEvent, TransferOptions } from '../../src/transfer/types.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number, body: string) => unknown;

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const n = requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }) - 1;
      Promise.resolve(handler(req, res, n, body)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestTransfer {
  transfer: Transfer;
  /** Every delay passed to the injected sleep. */
  sleeps: number[];
  events: TransferEvent[];
}

/** A transfer with instant, recorded sleeps, fixed jitter and short timeouts. */
export function makeTransfer(overrides: Partial<TransferOptions> = {}): TestTransfer {
  const sleeps: number[] = [];
  const events: TransferEvent[] = [];
  const transfer = createTransfer({
    lanes: { t: { concurrency: 4, minIntervalMs: 0 } },
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    headersTimeoutMs: 5000,
    idleTimeoutMs: 5000,
    random: () => 0.5,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw signal.reason;
    },
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { transfer, sleeps, events };
}

/** A real 8×8 RGB PNG, so PNG bodies look like the real thing. */
export const PNG_SMALL = Buffer.from(
  encodePng({ width: 8, height: 8, channels: 3, depth: 8, data: new Uint8Array(8 * 8 * 3).map((_, i) => (i * 37) & 0xff) }),
);

export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (no Math.random in tests). */
export function bytesOf(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Awaits `promise` expecting a rejection and returns the error (fails the test otherwise). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
