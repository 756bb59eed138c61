import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { HttpError, NetworkError } from '../../src/errors.js';
import { makeTransfer, rejectionOf, startServer } from './helpers.js';

const API_KEY = 'Zk3lq9XfA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tUv';
const TOKEN = 'girder-token-0123456789abcdef';

/** Everything a user or a log could see of an error. */
function visible(err: unknown): string {
  return [String(err), inspect(err, { depth: 10 }), JSON.stringify(err), (err as { url?: string }).url ?? ''].join('\n');
}

function assertClean(text: string): void {
  assert.ok(!text.includes(API_KEY), `API key leaked in: ${text.slice(0, 400)}`);
  assert.ok(!text.includes(TOKEN), `token leaked in: ${text.slice(0, 400)}`);
}

describe('transfer secret hygiene', () => {
  test('a 401 error names the URL and the server message with every secret masked', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Invalid token ${TOKEN} for key ${API_KEY}`, type: 'access' }));
    });
    try {
      const { transfer, events } = makeTransfer({ secrets: () => [API_KEY] });
      const err = await rejectionOf(
        transfer.json({ url: `${server.url}/api/v1/api_key/token?key=${API_KEY}`, lane: 't', headers: { 'Girder-Token': TOKEN } }),
      );
      assert.ok(err instanceof HttpError);
      assert.match(err.message, /authentication required/);
      assert.match(err.url, /\?key=\*\*\*$/);
      assertClean(visible(err));
      assertClean(JSON.stringify(events));
      assert.ok(events.length > 0);
    } finally {
      await server.close();
    }
  });

  test('network errors and retry events never carry the key', async () => {
    const server = await startServer((_req, res) => res.end());
    const base = server.url;
    await server.close();
    const { transfer, events } = makeTransfer({ maxRetries: 1, secrets: () => [API_KEY] });
    const err = await rejectionOf(transfer.json({ url: `${base}/item?apiKey=${API_KEY}&limit=1`, lane: 't' }));
    assert.ok(err instanceof NetworkError);
    assertClean(visible(err));
    assertClean(JSON.stringify(events));
    assert.ok(events.some((e) => e.type === 'retry'));
  });

  test('a secret that only the caller knows is masked even outside a token/key parameter', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(500);
      res.end(`{"message": "crash while handling ${API_KEY}"}`);
    });
    try {
      const { transfer, events } = makeTransfer({ maxRetries: 0, secrets: () => [API_KEY] });
      const err = await rejectionOf(transfer.json({ url: `${server.url}/p/${API_KEY}/x`, lane: 't' }));
      assert.ok(err instanceof HttpError);
      assert.match(err.message, /crash while handling \*\*\*/);
      assertClean(visible(err));
      assertClean(JSON.stringify(events));
    } finally {
      await server.close();
    }
  });

  test('download errors are redacted too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-secret-'));
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html>hello ${TOKEN}</html>`);
    });
    try {
      const { transfer } = makeTransfer({ maxRetries: 0 });
      const err = await rejectionOf(
        transfer.download({
          url: `${server.url}/data/1?token=${TOKEN}`,
          lane: 't',
          destPath: join(dir, 'x.png'),
          sniff: 'png',
          headers: { 'X-Auth-Token': TOKEN },
        }),
      );
      assertClean(visible(err));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
