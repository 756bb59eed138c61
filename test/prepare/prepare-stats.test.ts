import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decode } from 'fast-png';
import { CLASS_STATS_PATH, prepareStats } from '../../src/prepare/prepare-stats.js';
import { makeSyntheticDataset, snapshot, type Synthetic } from './synthetic-dataset.js';

/** Pixel counts per value, straight from the mask files (a different decoder than the tool's). */
async function directCounts(path: string): Promise<number[]> {
  const png = decode(await readFile(path));
  assert.equal(png.channels, 1);
  const counts = new Array<number>(256).fill(0);
  for (const v of png.data) counts[v] = (counts[v] as number) + 1;
  return counts;
}

describe('prepare stats', () => {
  let ds: Synthetic;
  before(async () => {
    ds = await makeSyntheticDataset();
  });
  after(async () => ds.cleanup());

  test('per-ROI counts and totals equal a direct count of the masks, code 0 left out', async () => {
    const r = await prepareStats({ root: ds.root });
    const totals = new Array<number>(256).fill(0);
    for (const roi of ds.rois) {
      const direct = await directCounts(join(ds.root, 'masks', roi.fileName));
      direct.forEach((n, v) => (totals[v] = (totals[v] as number) + n));
      const got = r.rois.find((x) => x.roi === roi.roi);
      assert.ok(got !== undefined);
      for (let code = 1; code <= 21; code++) assert.equal(got.counts[code], direct[code], `${roi.roi} code ${code}`);
      assert.equal(got.counts[0], undefined);
      assert.equal(got.roiPixels, roi.width * roi.height - (direct[0] as number));
    }
    for (let code = 1; code <= 21; code++) assert.equal(r.totals[code], totals[code], `total code ${code}`);
    assert.equal(r.totalRoiPixels, totals.slice(1).reduce((a, b) => a + b, 0));
    assert.ok((totals[19] as number) > 0 && (totals[7] as number) > 0, 'the fixture has the less common codes');

    const csv = (await readFile(join(ds.root, CLASS_STATS_PATH), 'utf8')).trimEnd().split('\n').map((l) => l.split(','));
    const header = csv[0] ?? [];
    assert.deepEqual(header.slice(0, 8), ['roi', 'site', 'split_baseline', 'split_eva', 'width', 'height', 'roi_pixels', 'tumor']);
    assert.equal(header.length, 7 + 21);
    assert.equal(csv.length, 1 + ds.rois.length + 1);
    const total = csv[csv.length - 1] ?? [];
    assert.equal(total[0], 'total');
    assert.equal(Number(total[6]), r.totalRoiPixels);
    assert.deepEqual(total.slice(7).map(Number), totals.slice(1, 22));
  });

  test('a rerun decodes nothing and leaves the CSV untouched', async () => {
    await prepareStats({ root: ds.root });
    const before = await snapshot(join(ds.root, 'meta'));
    const r = await prepareStats({ root: ds.root });
    assert.equal(r.upToDateRois, ds.rois.length);
    assert.deepEqual(await snapshot(join(ds.root, 'meta')), before);
  });

  test('needs masks only', async () => {
    const other = await makeSyntheticDataset({ lock: false });
    try {
      await rm(join(other.root, 'images'), { recursive: true });
      const r = await prepareStats({ root: other.root });
      assert.equal(r.rois.length, other.rois.length);
    } finally {
      await other.cleanup();
    }
  });
});
