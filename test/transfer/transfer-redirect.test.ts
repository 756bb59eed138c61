import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../../src/errors.js';
import { PNG_SMALL, makeTransfer, rejectionOf, startServer } from './helpers.js';

describe('transfer redirects', () => {
  test('a cross-origin redirect drops secret headers (127.0.0.1 → localhost)', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: `http://localhost:${server.port}/target` });
        res.end();
        return;
      }
      res.end('{}');
    });
    try {
      const { transfer } = makeTransfer();
      await transfer.json({
        url: `${server.url}/start`,
        lane: 't',
        headers: { 'Girder-Token': 'gt-1', Authorization: 'token abc', 'X-Custom-Key': 'ck-1', 'X-Plain': 'keep' },
        secretHeaders: ['X-Custom-Key'],
      });
      const [first, second] = server.requests;
      assert.equal(first?.headers['girder-token'], 'gt-1');
      assert.equal(first?.headers['x-custom-key'], 'ck-1');
      assert.equal(second?.url, '/target');
      assert.equal(second?.headers.host, `localhost:${server.port}`);
      assert.equal(second?.headers['girder-token'], undefined);
      assert.equal(second?.headers.authorization, undefined);
      assert.equal(second?.headers['x-custom-key'], undefined);
      assert.equal(second?.headers['x-plain'], 'keep');
      assert.equal(transfer.stats.requests, 2);
    } finally {
      await server.close();
    }
  });

  test('a same-origin redirect keeps the credentials', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/a') {
        res.writeHead(307, { location: '/b' });
        res.end();
        return;
      }
      res.end('{}');
    });
    try {
      const { transfer } = makeTransfer();
      await transfer.json({ url: `${server.url}/a`, lane: 't', headers: { 'Girder-Token': 'gt-2' } });
      assert.equal(server.requests[1]?.headers['girder-token'], 'gt-2');
    } finally {
      await server.close();
    }
  });

  test('303 after a POST continues as a GET without the body', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/post') {
        res.writeHead(303, { location: '/result' });
        res.end();
        return;
      }
      res.end('{"done":true}');
    });
    try {
      const { transfer } = makeTransfer();
      await transfer.json({ url: `${server.url}/post`, lane: 't', method: 'POST', body: new URLSearchParams({ q: '1' }) });
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.url, r.body]),
        [
          ['POST', '/post', 'q=1'],
          ['GET', '/result', ''],
        ],
      );
    } finally {
      await server.close();
    }
  });

  test('an expired signed URL (403 from the redirect target) is retried from the original URL', async () => {
    let signedHits = 0;
    const expiredXml = '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
    const server = await startServer((req, res) => {
      if (req.url === '/files/13243676') {
        res.writeHead(302, { location: `http://localhost:${server.port}/bucket/obj?X-Amz-Signature=sig${signedHits}` });
        res.end();
        return;
      }
      signedHits++;
      if (signedHits === 1) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(expiredXml);
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_SMALL);
    });
    try {
      const { transfer, events } = makeTransfer();
      const r = await transfer.buffer({ url: `${server.url}/files/13243676`, lane: 't', sniff: 'png' });
      assert.ok(r.data.equals(PNG_SMALL));
      assert.deepEqual(
        server.requests.map((q) => q.url.split('?')[0]),
        ['/files/13243676', '/bucket/obj', '/files/13243676', '/bucket/obj'],
      );
      assert.deepEqual(transfer.stats, { requests: 4, bytes: r.data.length + expiredXml.length, retries: 1 });
      // The signature never shows up in events.
      assert.ok(!JSON.stringify(events).includes('sig0'));
    } finally {
      await server.close();
    }
  });

  test('a 404 straight from the origin is still final', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.buffer({ url: `${server.url}/files/1`, lane: 't', sniff: 'png' }));
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 404);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('more than 5 redirects is an error, not a loop', async () => {
    const server = await startServer((_req, res, n) => {
      res.writeHead(302, { location: `/hop${n + 1}` });
      res.end();
    });
    try {
      const { transfer } = makeTransfer();
      const err = await rejectionOf(transfer.json({ url: `${server.url}/hop0`, lane: 't' }));
      assert.ok(err instanceof HttpError);
      assert.match(err.message, /more than 5 redirects/);
      assert.equal(server.requests.length, 6);
      assert.equal(transfer.stats.retries, 0);
    } finally {
      await server.close();
    }
  });

  test('an https → http redirect is refused', async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(null, { status: 302, headers: { location: 'http://objects.example.org/x' } });
    };
    const { transfer } = makeTransfer({ fetch: fakeFetch });
    const err = await rejectionOf(transfer.json({ url: 'https://api.example.org/file/1', lane: 't', headers: { 'Girder-Token': 'gt' } }));
    assert.ok(err instanceof HttpError);
    assert.match(err.message, /redirected from https to http:\/\/objects\.example\.org\/x: refusing the downgrade/);
    assert.deepEqual(seen, ['https://api.example.org/file/1']);
  });

  test('a 3xx listed in acceptStatus is returned instead of followed', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: '/elsewhere', 'content-type': 'application/json' });
      res.end('{"moved":true}');
    });
    try {
      const { transfer } = makeTransfer();
      const r = await transfer.json<{ moved: boolean }>({ url: `${server.url}/x`, lane: 't', acceptStatus: [302] });
      assert.equal(r.status, 302);
      assert.equal(r.data.moved, true);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
