/**
 * Issue 9 item 4: a request that carries a secret in its body or URL never follows a redirect to
 * another origin (307/308 would re-send the body there); it fails with a clear message, and the
 * other origin never sees a request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BcssError } from '../../src/errors.js';
import { GirderClient } from '../../src/remote/girder-client.js';
import { quickTransfer, sendJson, tinyServer } from '../remote/tiny-server.js';

const KEY = 'hostile-test-api-key-0123456789';

describe('secrets never follow a redirect to another origin', () => {
  for (const status of [307, 308, 301, 302, 303]) {
    test(`POST /api_key/token answered ${status} to another origin: refused, nothing sent there`, async () => {
      const elsewhere = await tinyServer((_req, res) => sendJson(res, 200, { authToken: { token: 'stolen' } }));
      const dsa = await tinyServer((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.base}/api/v1/api_key/token` });
        res.end();
      });
      try {
        const secrets: string[] = [];
        const girder = new GirderClient({ transfer: quickTransfer(secrets), apiUrl: `${dsa.base}/api/v1`, onSecret: (s) => secrets.push(s) });
        const err = await girder.authenticate({ kind: 'api-key', apiKey: KEY }).then(
          () => assert.fail('the redirect was followed'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof BcssError);
        assert.match(err.message, new RegExp(`carries a credential in its body and was redirected \\(${status}\\) to another origin`));
        assert.ok(!err.message.includes(KEY));
        assert.equal(elsewhere.seen.length, 0, 'the other origin saw no request');
        assert.equal(dsa.seen[0]?.body, `key=${KEY}`);
      } finally {
        await dsa.close();
        await elsewhere.close();
      }
    });
  }

  test('a known secret in a JSON body, or a token in the URL, is refused too; a same-origin redirect is followed', async () => {
    const elsewhere = await tinyServer((_req, res) => sendJson(res, 200, {}));
    const origin = await tinyServer((req, res) => {
      if (req.url.startsWith('/same')) {
        res.writeHead(307, { location: '/done' });
        res.end();
      } else if (req.url === '/done') {
        sendJson(res, 200, { ok: true });
      } else {
        res.writeHead(308, { location: `${elsewhere.base}/x` });
        res.end();
      }
    });
    try {
      const transfer = quickTransfer(['s3cret-value-xyz']);
      await assert.rejects(
        transfer.json({ url: `${origin.base}/a`, lane: 'l', method: 'POST', body: JSON.stringify({ password: 's3cret-value-xyz' }) }),
        /credential in its body .*refusing/,
      );
      await assert.rejects(transfer.json({ url: `${origin.base}/b?token=abcdef123456`, lane: 'l' }), (e: Error) => {
        assert.match(e.message, /credential in its URL/);
        assert.ok(!e.message.includes('abcdef123456'));
        return true;
      });
      assert.equal(elsewhere.seen.length, 0);
      const ok = await transfer.json<{ ok: boolean }>({ url: `${origin.base}/same`, lane: 'l', method: 'POST', body: 'key=abc', carriesSecret: true });
      assert.equal(ok.data.ok, true);
      assert.equal(origin.seen.at(-1)?.body, 'key=abc', '307 re-sends the body on the same origin');
    } finally {
      await origin.close();
      await elsewhere.close();
    }
  });
});
