import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTransfer } from '../../src/transfer/create-transfer.js';
import type { Transfer } from '../../src/transfer/types.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export interface TinyServer {
  base: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A throwaway HTTP server on 127.0.0.1:0 that records every request with its body. */
export async function tinyServer(handler: Handler): Promise<TinyServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A transfer with no waiting: no retries by default, zero backoff. */
export function quickTransfer(secrets: string[] = [], maxRetries = 0): Transfer {
  return createTransfer({
    lanes: {},
    maxRetries,
    baseDelayMs: 0,
    maxDelayMs: 0,
    secrets: () => secrets,
  });
}
