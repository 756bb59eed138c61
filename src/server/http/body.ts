import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * Read a request body into memory, refusing (413) anything above `limit` bytes. An oversized
 * body is still read to its end (and dropped) so the client can receive the 413 instead of a
 * reset connection; beyond `8 × limit` the connection is cut.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= limit) chunks.push(chunk);
      else if (total > 8 * limit) {
        req.destroy();
        reject(new BodyTooLargeError(limit));
      }
    });
    req.once('end', () => (total > limit ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks, total))));
    req.once('error', reject);
  });
}
