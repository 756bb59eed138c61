// Issue 8 item 5: `prepare tiles` that makes no tile says why, and exits 2 (documented in its help).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { noTilesReason } from '../../src/prepare/prepare-tiles.js';
import type { PrepareTilesResult, RoiPair } from '../../src/prepare/types.js';
import { fakeContext } from '../helpers/cli-context.js';
import { makeSyntheticDataset, type Synthetic } from './synthetic-dataset.js';

describe('prepare tiles with nothing to cut', () => {
  let ds: Synthetic;
  before(async () => {
    ds = await makeSyntheticDataset();
  });
  after(async () => ds.cleanup());

  test('every ROI smaller than --size: the reason names the largest ROI, exit 2', async () => {
    const f = fakeContext({}, { cwd: ds.root });
    const code = await main(['node', 'bcss', 'prepare', 'tiles', '--out', ds.root, '--size', '64', '--quiet'], f.ctx);
    assert.equal(code, EXIT.usage, f.stderr());
    assert.match(f.stdout(), /tiles\/64: 0 tile\(s\) from 4 ROIs/);
    assert.match(f.stderr(), /prepare tiles made no tiles: every ROI is smaller than --size 64 px at this resolution \(the largest is 40×30 px \(TCGA-A2-\S+\)\): choose a smaller --size/);
    const json = fakeContext({}, { cwd: ds.root });
    assert.equal(await main(['node', 'bcss', 'prepare', 'tiles', '--out', ds.root, '--size', '64', '--quiet', '--json'], json.ctx), EXIT.usage);
    const r = JSON.parse(json.stdout()) as PrepareTilesResult;
    assert.equal(r.smallerThanSize, 4);
    assert.match(r.noTilesReason ?? '', /every ROI is smaller/);
  });

  test('tiles made: no reason, exit 0', async () => {
    const f = fakeContext({}, { cwd: ds.root });
    assert.equal(await main(['node', 'bcss', 'prepare', 'tiles', '--out', ds.root, '--size', '10', '--quiet'], f.ctx), EXIT.ok, f.stderr());
    assert.doesNotMatch(f.stderr(), /made no tiles/);
  });

  test('too little ROI per tile, some ROIs too small: both counted in the reason', () => {
    const pair = (roi: string, width: number, height: number): RoiPair => ({ roi, site: 'A1', fileName: roi, imagePath: null, maskPath: roi, maskFileName: roi, width, height, baselineSplit: 'train', evaSplit: 'train' });
    const pairs = [pair('big', 100, 90), pair('small', 20, 20)];
    const r = { rois: 2, tiles: 0, written: 0, belowMinRoiFraction: 4, upToDateRois: 0, smallerThanSize: 1, noTilesReason: null, indexPath: '', interrupted: false };
    const why = noTilesReason(r, pairs, { root: '', size: 32, stride: 32, minRoiFraction: 0.9, groups: 'baseline', exclude: 'other' });
    assert.equal(why, '4 tile position(s) had less than --min-roi-fraction 0.9 of their pixels inside the ROI; 1 of 2 ROIs are smaller than --size 32 px (the largest is 100×90 px (big)): lower --min-roi-fraction or --size');
  });
});

describe('prepare help', () => {
  for (const task of ['splits', 'tiles', 'gallery', 'stats']) {
    test(`prepare ${task} --help has examples of itself`, async () => {
      const f = fakeContext({}, { columns: 200 });
      assert.equal(await main(['node', 'bcss', 'prepare', task, '--help'], f.ctx), EXIT.ok);
      const examples = f.stdout().split('Examples:\n')[1] ?? '';
      assert.ok(examples.split('\n').filter((l) => l.startsWith(`  bcss prepare ${task}`)).length >= 2, f.stdout());
    });
  }

  test('the top-level example for prepare tiles claims only what it does', async () => {
    const f = fakeContext({}, { columns: 200 });
    await main(['node', 'bcss', '--help'], f.ctx);
    const line = f.stdout().split('\n').find((l) => l.includes('bcss prepare tiles'));
    assert.ok(line);
    assert.match(line, /--size 512 +512x512 image\/mask tiles with an index\.csv/);
  });
});
