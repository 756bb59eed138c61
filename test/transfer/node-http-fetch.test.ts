/**
 * The engine's default HTTP client (node-http-fetch.ts) on its own: the fetch subset it
 * promises, connection reuse, and how a cut connection surfaces.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNetworkFault } from '../../src/transfer/retry-policy.js';
import { nodeHttpFetch as wireFetch } from '../../src/transfer/node-http-fetch.js';
import { startServer } from './helpers.js';

async function readAll(body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } } | null): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = body?.getReader();
  for (;;) {
    const r = await reader?.read();
    if (r === undefined || r.done || r.value === undefined) break;
    parts.push(r.value);
  }
  return Buffer.concat(parts);
}

const init = (over: Partial<Parameters<typeof wireFetch>[1]> = {}): Parameters<typeof wireFetch>[1] => ({
  method: 'GET',
  headers: {},
  redirect: 'manual',
  signal: new AbortController().signal,
  ...over,
});

describe('node:http wire', () => {
  test('status, case-insensitive headers (repeats joined), body, POST with length, HEAD without body', async () => {
    const big = Buffer.alloc(700_000, 7); // more than the 256 KiB queue: paused and resumed on the way
    const server = await startServer((req, res, _n, body) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '5' });
        res.end();
        return;
      }
      res.setHeader('X-Twice', ['a', 'b']);
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'text/plain' });
      res.end(req.method === 'POST' ? `got ${body} (${req.headers['content-length']})` : big);
    });
    try {
      const get = await wireFetch(`${server.url}/x`, init());
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('content-type'), 'text/plain');
      assert.equal(get.headers.get('X-TWICE'), 'a, b');
      assert.equal(get.headers.get('missing'), null);
      assert.ok((await readAll(get.body)).equals(big));
      const post = await wireFetch(`${server.url}/x`, init({ method: 'POST', body: 'key=abc' }));
      assert.equal(post.status, 201);
      assert.equal((await readAll(post.body)).toString(), 'got key=abc (7)');
      const head = await wireFetch(`${server.url}/x`, init({ method: 'HEAD' }));
      assert.equal(head.body, null);
      assert.equal(head.headers.get('content-length'), '5');
    } finally {
      await server.close();
    }
  });

  test('a cancelled complete answer (a redirect\'s empty body) keeps its connection; an incomplete one is cut', async () => {
    const ports: number[] = [];
    const server = await startServer((req, res) => {
      ports.push(req.socket.remotePort ?? -1);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/next', 'content-length': '0' });
        res.end();
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'content-length': '10' });
        res.write('12345');
      } else {
        res.end('ok');
      }
    });
    try {
      const first = await wireFetch(`${server.url}/redirect`, init());
      await first.body?.cancel();
      await readAll((await wireFetch(`${server.url}/next`, init())).body);
      assert.equal(ports[0], ports[1], 'the same connection served both');
      const slow = await wireFetch(`${server.url}/slow`, init());
      await slow.body?.cancel();
      await readAll((await wireFetch(`${server.url}/after`, init())).body);
      assert.notEqual(ports[3], ports[2], 'a cut connection is not reused');
    } finally {
      await server.close();
    }
  });

  test('a connection lost mid-body is a network fault on the next read; an abort rejects the request', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => res.socket?.destroy());
        return;
      }
      // /hang never answers
    });
    try {
      const cut = await wireFetch(`${server.url}/cut`, init());
      await assert.rejects(readAll(cut.body), (err: unknown) => isNetworkFault(err));
      const ac = new AbortController();
      const hang = wireFetch(`${server.url}/hang`, init({ signal: ac.signal }));
      while (server.requests.length < 2) await new Promise((r) => setImmediate(r));
      const reason = new Error('stop');
      ac.abort(reason);
      await assert.rejects(hang, (err: unknown) => err === reason || (err as { name?: string }).name === 'AbortError');
    } finally {
      await server.close();
    }
  });
});
