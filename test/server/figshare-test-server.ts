import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { FigshareFile, GdcFile, ServedDataset } from '../../src/server/dataset-types.js';
import type { ServiceHandler } from '../../src/server/http/service-handler.js';

/**
 * Mount one ServiceHandler under `prefix` on a throwaway 127.0.0.1 server, the way the shared
 * `bcss serve` plumbing does (path relative to the prefix, slashes collapsed, body read first).
 * Used by the figshare, GDC and demo tests until they can run against startServer.
 */
export async function mountHandler(
  prefix: string,
  makeHandler: (baseUrl: string) => ServiceHandler,
): Promise<{ baseUrl: string; notes: string[]; close: () => Promise<void> }> {
  const notes: string[] = [];
  // Set once the port (hence the base URL) is known.
  const mounted: { handler?: ServiceHandler } = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const collapsed = url.pathname.replace(/\/{2,}/g, '/');
      const handler = mounted.handler;
      if (handler === undefined || !collapsed.startsWith(prefix)) {
        res.writeHead(404).end();
        return;
      }
      const path = collapsed.slice(prefix.length) || '/';
      handler(req, res, { path, url, body: Buffer.concat(chunks), log: (n) => notes.push(n) }).catch((err: unknown) => {
        notes.push(`handler threw: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}${prefix}`;
  mounted.handler = makeHandler(baseUrl);
  return {
    baseUrl,
    notes,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Deterministic filler bytes, different per label. */
export function fakeBytes(label: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(label).digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A dataset with only figshare files (PNG-signed filler) and GDC files, for protocol tests. */
export function syntheticDataset(options: { masks: number; slides: number; controlled?: number[] }): ServedDataset {
  const files: FigshareFile[] = Array.from({ length: options.masks }, (_, i) => {
    const bytes = Buffer.concat([PNG_SIGNATURE, fakeBytes(`mask${i}`, 300 + i)]);
    return {
      id: 5000 + i,
      name: `mask-${i}.png`,
      mimetype: 'image/png',
      meta: async () => ({ size: bytes.length, md5: md5(bytes) }),
      read: async () => bytes,
    };
  });
  const gdc: GdcFile[] = Array.from({ length: options.slides }, (_, i) => {
    const bytes = fakeBytes(`slide${i}`, 1000 + 17 * i);
    return {
      fileId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      fileName: `TCGA-ZZ-${String(i).padStart(4, '0')}-01Z-00-DX1.svs`,
      size: bytes.length,
      md5: md5(bytes),
      dataFormat: 'SVS',
      access: options.controlled?.includes(i) === true ? 'controlled' : 'open',
      open: (range) => Readable.from([bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length)]),
    };
  });
  return {
    collection: { id: '5bbdeba3e629140048d01700', name: 'synthetic' },
    folders: [],
    items: [],
    figshare: { articleId: 7193138, title: 'synthetic', doi: '10.0/x', files },
    gdc: { files: gdc },
    roiTablePath: null,
  };
}
