/**
 * `--image-source` through the CLI: flag, BCSS_IMAGE_SOURCE and the config key resolve the same
 * way; a bad value exits 2 naming the accepted ones; `wsi` with JPEG is refused; the plain and
 * the JSON summaries count the images per source. Runs `main` in-process against the demo server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import type { DownloadSummary } from '../../src/pipeline/types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeContext } from '../helpers/cli-context.js';

describe('--image-source on the command line', () => {
  let work = '';
  let server: RunningServer;
  let roiTable = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-image-source-cli-'));
    const dataset = await loadDemoDataset({ scale: 0.05, cacheDir: join(work, 'cache'), slides: ['A1-A0SK', 'A2-A04P'] });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
  });

  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const services = (): string[] => ['--api-url', server.urls.girder, '--figshare-url', server.urls.figshare, '--gdc-url', server.urls.gdc, '--rois', roiTable];

  test('a bad value from the flag, the environment or the config file exits 2 naming auto, dsa and wsi; nothing is fetched', async () => {
    const config = join(work, 'bad.json');
    await writeFile(config, JSON.stringify({ imageSource: 'gdc' }));
    const cases: Array<{ args: string[]; env: Record<string, string>; shows: RegExp }> = [
      { args: ['--image-source', 's3'], env: {}, shows: /--image-source must be auto, dsa or wsi, got "s3"/ },
      { args: [], env: { BCSS_IMAGE_SOURCE: 'local' }, shows: /--image-source must be auto, dsa or wsi, got "local"/ },
      { args: ['--config', config], env: {}, shows: /imageSource.*"auto", "dsa" or "wsi"/ },
      { args: ['--image-source', 'wsi', '--encoding', 'jpeg'], env: {}, shows: /--image-source wsi renders lossless PNG images only/ },
    ];
    server.resetLog();
    for (const c of cases) {
      const f = fakeContext(c.env, { cwd: work });
      const code = await main(['node', 'bcss', 'download', '--out', join(work, 'never'), ...services(), ...c.args], f.ctx);
      assert.equal(code, EXIT.usage, f.stderr());
      assert.match(f.stderr(), c.shows);
    }
    assert.equal(server.log.length, 0);
  });

  test('wsi after wsis from the environment: the plain summary and --json count the images per source', async () => {
    const out = join(work, 'out');
    const f = fakeContext({ BCSS_IMAGE_SOURCE: 'WSI' }, { cwd: work });
    const code = await main(['node', 'bcss', 'download', '--out', out, ...services(), '--components', 'images,wsis', '--no-progress'], f.ctx);
    assert.equal(code, EXIT.ok, f.stderr() + f.stdout());
    assert.match(f.stdout(), /images made: 0 by the DSA, 2 from local slides\n/);
    assert.equal(server.log.filter((e) => e.service === 'girder').length, 0);

    // Images from the DSA into another folder, with the slides of the first as the fall-back.
    const j = fakeContext({}, { cwd: work });
    const args = ['--out', join(work, 'out-dsa'), ...services(), '--wsi-dir', join(out, 'wsis'), '--image-source', 'auto', '--json'];
    assert.equal(await main(['node', 'bcss', 'download', ...args, '--components', 'images'], j.ctx), EXIT.ok, j.stderr());
    const summary = JSON.parse(j.stdout()) as DownloadSummary;
    assert.deepEqual(summary.imageSources, { dsa: 2, wsi: 0, fallbacks: 0 });
  });
});
