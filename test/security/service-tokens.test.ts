/**
 * Issue 9 item 2 (client half): BCSS_GDC_TOKEN / BCSS_FIGSHARE_TOKEN come from the environment or
 * the config file only (there is no flag, so never argv), travel as `X-Auth-Token` and
 * `Authorization: token …`, never follow a redirect to another origin, and are redacted from
 * every message like the API key.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { resolveDownloadOptions } from '../../src/cli/options/download-options.js';
import { UsageError } from '../../src/errors.js';
import { SecretBox, redactError } from '../../src/pipeline/secrets.js';
import { listArticleFiles } from '../../src/remote/figshare-client.js';
import { queryGdcFiles } from '../../src/remote/gdc-client.js';
import { fakeContext } from '../helpers/cli-context.js';
import { quickTransfer, sendJson, tinyServer } from '../remote/tiny-server.js';

const GDC_TOKEN = 'gdc-TOKEN-0123456789abcdef';
const FIG_TOKEN = 'fig0123456789abcdefTOKEN';

describe('service tokens', () => {
  test('read from the environment, else the config file; malformed ones refused without echoing them', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'bcss-tok-'));
    const fromEnv = await resolveDownloadOptions({ dryRun: true }, { BCSS_GDC_TOKEN: GDC_TOKEN, BCSS_FIGSHARE_TOKEN: FIG_TOKEN }, { path: null, config: {} }, cwd);
    assert.equal(fromEnv.options.gdcToken, GDC_TOKEN);
    assert.equal(fromEnv.options.figshareToken, FIG_TOKEN);
    const fromConfig = await resolveDownloadOptions({ dryRun: true }, {}, { path: 'c', config: { gdcToken: 'cfg-gdc', figshareToken: 'cfg-fig' } }, cwd);
    assert.equal(fromConfig.options.gdcToken, 'cfg-gdc');
    assert.equal(fromConfig.options.figshareToken, 'cfg-fig');
    const none = await resolveDownloadOptions({ dryRun: true }, {}, { path: null, config: {} }, cwd);
    assert.equal(none.options.gdcToken, undefined);
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_GDC_TOKEN: 'has space secret' }, { path: null, config: {} }, cwd), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.ok(!err.message.includes('secret'));
      return true;
    });
  });

  test('there is no flag for a token: argv cannot carry one', async () => {
    for (const flag of ['--gdc-token', '--figshare-token', '--token']) {
      const f = fakeContext();
      const code = await main(['node', 'bcss', 'download', flag, 'argv-secret', '--dry-run'], f.ctx);
      assert.equal(code, EXIT.usage, flag);
      assert.match(f.stderr(), /unknown option/);
    }
  });

  test('GDC gets X-Auth-Token and figshare Authorization: token …; a 403 echoing them is redacted', async () => {
    const server = await tinyServer((req, res) => {
      if (req.url.startsWith('/gdc')) {
        if (req.headers['x-auth-token'] !== GDC_TOKEN) return sendJson(res, 403, { message: `bad token ${String(req.headers['x-auth-token'])}` });
        return sendJson(res, 200, { data: { hits: [], pagination: { total: 0 } } });
      }
      if (req.headers.authorization !== `token ${FIG_TOKEN}`) return sendJson(res, 403, { message: `bad ${String(req.headers.authorization)}`, code: 'Forbidden' });
      return sendJson(res, 200, []);
    });
    try {
      const box = new SecretBox({ kind: 'anonymous' }).addTokens({ gdcToken: GDC_TOKEN, figshareToken: FIG_TOKEN });
      const transfer = quickTransfer([...box.list()]);
      await queryGdcFiles({ transfer, baseUrl: `${server.base}/gdc`, fileNames: ['a.svs'], token: GDC_TOKEN });
      await listArticleFiles({ transfer, baseUrl: `${server.base}/fig`, articleId: 1, token: FIG_TOKEN });
      assert.equal(server.seen[0]?.headers['x-auth-token'], GDC_TOKEN);
      assert.equal(server.seen[1]?.headers.authorization, `token ${FIG_TOKEN}`);
      const wrong = quickTransfer(['wrong-gdc-token-xyz', 'wrong-fig-token-xyz']);
      const gdcErr = await queryGdcFiles({ transfer: wrong, baseUrl: `${server.base}/gdc`, fileNames: ['a.svs'], token: 'wrong-gdc-token-xyz' }).catch((e: Error) => e);
      const figErr = await listArticleFiles({ transfer: wrong, baseUrl: `${server.base}/fig`, articleId: 1, token: 'wrong-fig-token-xyz' }).catch((e: Error) => e);
      for (const err of [gdcErr, figErr]) {
        assert.ok(err instanceof Error);
        assert.match(err.message, /403/);
        assert.ok(!err.message.includes('wrong-'), err.message);
      }
      const leaked = redactError(new Error(`echo ${GDC_TOKEN} and ${FIG_TOKEN}`), box.redactor()) as Error;
      assert.equal(leaked.message, 'echo *** and ***');
    } finally {
      await server.close();
    }
  });

  test('a token header is dropped on a redirect to another origin (figshare → object store)', async () => {
    const store = await tinyServer((_req, res) => sendJson(res, 200, []));
    const fig = await tinyServer((_req, res) => {
      res.writeHead(302, { location: `${store.base}/blob` });
      res.end();
    });
    try {
      await listArticleFiles({ transfer: quickTransfer([FIG_TOKEN]), baseUrl: fig.base, articleId: 1, token: FIG_TOKEN });
      assert.equal(fig.seen[0]?.headers.authorization, `token ${FIG_TOKEN}`);
      assert.equal(store.seen[0]?.headers.authorization, undefined);
    } finally {
      await fig.close();
      await store.close();
    }
  });
});
