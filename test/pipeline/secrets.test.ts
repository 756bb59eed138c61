/**
 * Secrets in what the pipeline hands back: an error built from a server's answer that quotes the
 * key, and source URLs recorded in the lock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { builtinRois } from '../../src/catalog/index.js';
import { AuthError } from '../../src/errors.js';
import { LOCK_FILE_NAME, LockStore } from '../../src/pipeline/lock-file.js';
import { runDownload } from '../../src/pipeline/run-download.js';
import { SecretBox } from '../../src/pipeline/secrets.js';
import { sendJson, tinyServer } from '../remote/tiny-server.js';

const KEY = 'Qw3' + 'e'.repeat(34) + 'Rt9';
let work = '';
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-secrets-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('secrets leaving the pipeline', () => {
  test('a server that quotes the rejected key in its 401 message: the AuthError, its stack and inspect() never show it', async () => {
    const server = await tinyServer((req, res) => {
      const key = new URLSearchParams(req.body).get('key') ?? '';
      sendJson(res, 401, { message: `Invalid API key ${key}.`, type: 'access' });
    });
    try {
      const lane = { concurrency: 1, minIntervalMs: 0 };
      const err = await runDownload({
        outDir: join(work, 'out'),
        components: ['images'],
        resolution: { kind: 'mpp', mpp: 0.25 },
        encoding: 'png',
        maskAlign: 'resize',
        rois: builtinRois().slice(0, 1),
        customRois: false,
        apiUrl: `${server.base}/api/v1`,
        folderId: '5bbdeba3e629140048d017bb',
        figshareUrl: `${server.base}/figshare`,
        figshareArticleId: 7193138,
        gdcUrl: `${server.base}/gdc`,
        credentials: { kind: 'api-key', apiKey: KEY },
        lanes: { dsa: lane, 'dsa-render': lane, figshare: lane, gdc: lane },
        concurrency: 1,
        maxRetries: 0,
        headersTimeoutMs: 5000,
        idleTimeoutMs: 5000,
        dryRun: false,
        failFast: false,
        wsiKeyEnvVar: 'BCSS_API_KEY',
      }).then(
        () => assert.fail('a rejected key must fail the run'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof AuthError, String(err));
      assert.ok(server.seen.some((r) => r.body.includes(KEY)), 'the key was sent (in the form body)');
      assert.match(err.message, /rejected the API key \(401: Invalid API key \*\*\*\.\)/);
      for (const text of [err.message, err.hint ?? '', err.stack ?? '', inspect(err, { depth: 5 })]) assert.ok(!text.includes(KEY), text);
    } finally {
      await server.close();
    }
  });

  test('source URLs are recorded without tokens, signatures or known secrets', async () => {
    const outDir = join(work, 'lock');
    const secrets = new SecretBox({ kind: 'api-key', apiKey: KEY });
    const store = new LockStore({
      outDir,
      previous: null,
      toolVersion: '1',
      options: { resolution: { kind: 'mpp', mpp: 0.25 }, encoding: 'png', maskAlign: 'resize', roiTableSha256: 'a'.repeat(64), rois: 1, components: ['masks'] },
      redact: secrets.redactor(),
    });
    await store.set({
      id: 'masks/a.png',
      kind: 'masks',
      path: 'masks/a.png',
      bytes: 1,
      sha256: '0'.repeat(64),
      source: { url: `https://blob.example/files/1?X-Amz-Signature=abcdef0123&mirror=${KEY}`, params: {} },
      status: 'done',
      completed: '2024-01-01T00:00:00.000Z',
    });
    await store.close();
    const text = await readFile(join(outDir, LOCK_FILE_NAME), 'utf8');
    assert.ok(!text.includes('abcdef0123') && !text.includes(KEY), text);
    assert.match(text, /https:\/\/blob\.example\/files\/1\?X-Amz-Signature=\*\*\*&mirror=\*\*\*/);
  });
});
