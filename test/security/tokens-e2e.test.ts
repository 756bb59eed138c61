/**
 * Issue 9 item 2 (client half), end to end: with BCSS_GDC_TOKEN and BCSS_FIGSHARE_TOKEN in the
 * environment a full download against the demo services succeeds, and neither token reaches
 * stdout, stderr or any file written (log, lock, generated scripts, manifest).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

const GDC_TOKEN = 'GdcTok-9f8e7d6c5b4a3210fedcba';
const FIG_TOKEN = 'FigTok0123456789abcdefABCDEF';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    out.push(...(entry.isDirectory() ? await walk(p) : [p]));
  }
  return out;
}

describe('service tokens end to end', () => {
  let server: RunningServer;
  let work: string;
  let roiTable: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-tokens-e2e-'));
    const dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slides: ['A1-A0SK'] });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  test('the tokens are used and written nowhere', async () => {
    const out = join(work, 'out');
    const f = fakeContext({ BCSS_GDC_TOKEN: GDC_TOKEN, BCSS_FIGSHARE_TOKEN: FIG_TOKEN }, { cwd: work });
    const argv = ['--out', out, '--api-url', server.urls.girder, '--figshare-url', server.urls.figshare, '--gdc-url', server.urls.gdc, '--rois', roiTable, '--figshare-interval', '0', '--components', 'all', '--json'];
    const code = await main(['node', 'bcss', 'download', ...argv], f.ctx);
    assert.equal(code, EXIT.ok, f.stderr());
    for (const token of [GDC_TOKEN, FIG_TOKEN]) {
      assert.ok(!f.stdout().includes(token) && !f.stderr().includes(token), 'not printed');
      for (const file of await walk(out)) assert.ok(!(await readFile(file, 'latin1')).includes(token), `${file} must not contain a token`);
    }
    const manifest = await readFile(join(out, 'wsis', 'gdc_manifest.txt'), 'utf8');
    assert.equal(manifest.trim().split('\n').length, 2, 'the GDC lookup with the token found the slide');
  });
});
