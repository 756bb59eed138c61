import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Whether the response may carry a body (HEAD is answered by the GET handler without one). */
export function wantsBody(req: IncomingMessage): boolean {
  return req.method !== 'HEAD';
}

/** Send a complete in-memory body with its Content-Length. */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number>,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Length': bytes.length });
  res.end(wantsBody(req) ? bytes : undefined);
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
): void {
  sendBody(req, res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', ...headers });
}

/** Stream `body` after writing the head; `length` is the exact number of bytes it yields. */
export async function sendStream(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: () => Readable,
  length: number,
  headers: Record<string, string | number>,
): Promise<void> {
  res.writeHead(status, { ...headers, 'Content-Length': length });
  if (!wantsBody(req) || length === 0) {
    res.end();
    return;
  }
  await pipeline(body(), res);
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, `*` matches anything). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const strip = (t: string): string => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}
