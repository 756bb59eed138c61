import assert from 'node:assert/strict';
import { lstat, readFile, readdir, readlink, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { baselineSplit, evaSplit } from '../../src/catalog/splits.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { IntegrityError } from '../../src/errors.js';
import { EVA_IMAGE_FOLDER, EVA_ROOT, prepareSplits, SPLIT_PARTS } from '../../src/prepare/prepare-splits.js';
import { makeSyntheticDataset, snapshot, writeRgbPng, type Synthetic } from './synthetic-dataset.js';

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('prepare splits', () => {
  let ds: Synthetic;
  before(async () => {
    ds = await makeSyntheticDataset();
  });
  after(async () => ds.cleanup());

  test('split files list each file name under the part the catalog assigns to its site', async () => {
    for (const split of ['baseline', 'eva'] as const) {
      const r = await prepareSplits({ root: ds.root, split, layout: 'script', link: 'hard' });
      assert.equal(r.rois, ds.rois.length);
      for (const part of SPLIT_PARTS[split]) {
        const expected = ds.rois
          .filter((x) => (split === 'baseline' ? baselineSplit(x) : evaSplit(x)) === part)
          .map((x) => x.fileName)
          .sort();
        assert.deepEqual(await lines(join(ds.root, 'splits', split, `${part}.txt`)), expected, `${split}/${part}`);
        assert.equal(r.parts[part], expected.length);
      }
    }
    // The fixture covers every part, so an empty list would be a bug, not a data artefact.
    assert.ok((await lines(join(ds.root, 'splits/eva/val.txt'))).length > 0);
    assert.ok((await lines(join(ds.root, 'splits/baseline/test.txt'))).length > 0);
  });

  test('folders layout: hard links that share the originals\' inodes; rerun does nothing', async () => {
    const originals = await snapshot(join(ds.root, 'images'));
    const r = await prepareSplits({ root: ds.root, split: 'eva', layout: 'folders', link: 'hard' });
    assert.equal(r.placed, 2 * ds.rois.length);
    assert.equal(r.copiedInsteadOfLinked, false);
    for (const roi of ds.rois) {
      const part = evaSplit(roi);
      for (const kind of ['images', 'masks']) {
        const placed = await stat(join(ds.root, 'prepared/eva', part, kind, roi.fileName));
        const source = await stat(join(ds.root, kind, roi.fileName));
        assert.equal(placed.ino, source.ino, `${kind}/${roi.fileName}`);
      }
    }
    for (const part of SPLIT_PARTS.eva) {
      const want = ds.rois.filter((x) => evaSplit(x) === part).map((x) => x.fileName).sort();
      assert.deepEqual((await readdir(join(ds.root, 'prepared/eva', part, 'images'))).sort(), want);
      assert.deepEqual((await readdir(join(ds.root, 'prepared/eva', part, 'masks'))).sort(), want);
    }
    const before = await snapshot(join(ds.root, 'prepared'));
    const again = await prepareSplits({ root: ds.root, split: 'eva', layout: 'folders', link: 'hard' });
    assert.equal(again.placed, 0);
    assert.equal(again.upToDate, 2 * ds.rois.length);
    assert.deepEqual(again.written, []);
    assert.deepEqual(await snapshot(join(ds.root, 'prepared')), before);
    assert.deepEqual(await snapshot(join(ds.root, 'images')), originals);
  });

  test('a stray file in a prepared folder is removed on the next run', async () => {
    const roi = ds.rois[0];
    assert.ok(roi !== undefined);
    const dir = join(ds.root, 'prepared/baseline', baselineSplit(roi), 'images');
    await prepareSplits({ root: ds.root, split: 'baseline', layout: 'folders', link: 'hard' });
    await writeFile(join(dir, 'TCGA-ZZ-ZZZZ-DX1_xmin0_ymin0_MPP-0.2500.png'), 'stale');
    await prepareSplits({ root: ds.root, split: 'baseline', layout: 'folders', link: 'hard' });
    assert.ok(!(await readdir(dir)).includes('TCGA-ZZ-ZZZZ-DX1_xmin0_ymin0_MPP-0.2500.png'));
  });

  test('copy and symlink modes', async () => {
    const other = await makeSyntheticDataset();
    try {
      await prepareSplits({ root: other.root, split: 'baseline', layout: 'folders', link: 'copy' });
      const roi = other.rois[0];
      assert.ok(roi !== undefined);
      const copy = join(other.root, 'prepared/baseline', baselineSplit(roi), 'masks', roi.fileName);
      const source = join(other.root, 'masks', roi.fileName);
      assert.notEqual((await stat(copy)).ino, (await stat(source)).ino);
      assert.deepEqual(await readFile(copy), await readFile(source));

      await rm(join(other.root, 'prepared'), { recursive: true });
      await prepareSplits({ root: other.root, split: 'baseline', layout: 'folders', link: 'symlink' });
      assert.ok((await lstat(copy)).isSymbolicLink());
      assert.ok(!(await readlink(copy)).startsWith('/'), 'relative, so the tree can move');
      assert.equal(await realpath(copy), await realpath(source));
      assert.equal(resolve(dirname(copy), await readlink(copy)), source);
    } finally {
      await other.cleanup();
    }
  });

  test('hard links fall back to copies across devices', async () => {
    const other = await makeSyntheticDataset();
    try {
      const exdev = async (): Promise<void> => {
        throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
      };
      const events: string[] = [];
      const r = await prepareSplits(
        { root: other.root, split: 'baseline', layout: 'folders', link: 'hard' },
        { ops: { link: exdev }, onEvent: (e) => e.type === 'log' && events.push(e.message) },
      );
      assert.equal(r.copiedInsteadOfLinked, true);
      assert.equal(r.placed, 2 * other.rois.length);
      assert.ok(events.some((m) => m.includes('copying instead')));
      const roi = other.rois[0];
      assert.ok(roi !== undefined);
      const placed = join(other.root, 'prepared/baseline', baselineSplit(roi), 'images', roi.fileName);
      assert.deepEqual(await readFile(placed), await readFile(join(other.root, 'images', roi.fileName)));
      // The copies carry the source mtime, so the rerun (links still failing) copies nothing.
      const again = await prepareSplits({ root: other.root, split: 'baseline', layout: 'folders', link: 'hard' }, { ops: { link: exdev } });
      assert.equal(again.placed, 0);
    } finally {
      await other.cleanup();
    }
  });

  test('eva layout: rgbs_colorNormalized + masks with exactly the files, and a README saying they are not normalised', async () => {
    await prepareSplits({ root: ds.root, split: 'eva', layout: 'eva', link: 'hard' });
    const want = ds.rois.map((r) => r.fileName).sort();
    assert.deepEqual((await readdir(join(ds.root, EVA_ROOT, EVA_IMAGE_FOLDER))).sort(), want);
    assert.deepEqual((await readdir(join(ds.root, EVA_ROOT, 'masks'))).sort(), want);
    const readme = await readFile(join(ds.root, EVA_ROOT, 'README.txt'), 'utf8');
    assert.match(readme, /NOT colour-normalised/);
  });

  test('a missing mask fails with exit code 4 naming it, and writes nothing', async () => {
    const other = await makeSyntheticDataset();
    try {
      const victim = other.rois[2];
      assert.ok(victim !== undefined);
      await unlink(join(other.root, 'masks', victim.fileName));
      await assert.rejects(prepareSplits({ root: other.root, split: 'eva', layout: 'folders', link: 'hard' }), (err: unknown) => {
        assert.ok(err instanceof IntegrityError);
        assert.equal(exitCodeFor(err.kind), 4);
        assert.ok(err.message.includes(`masks/ has no file for ${victim.roi}`), err.message);
        assert.ok(err.message.includes(`masks/${victim.fileName}`), 'names the file the lock expects');
        return true;
      });
      assert.equal(await stat(join(other.root, 'splits')).catch(() => null), null);
      assert.equal(await stat(join(other.root, 'prepared')).catch(() => null), null);
    } finally {
      await other.cleanup();
    }
  });

  test('an image and mask of different sizes are refused', async () => {
    const other = await makeSyntheticDataset();
    try {
      const victim = other.rois[0];
      assert.ok(victim !== undefined);
      await writeRgbPng(join(other.root, 'images', victim.fileName), new Uint8Array(5 * 4 * 3), 5, 4);
      await assert.rejects(prepareSplits({ root: other.root, split: 'baseline', layout: 'script', link: 'hard' }), (err: unknown) => {
        assert.ok(err instanceof IntegrityError);
        assert.match(err.message, new RegExp(`${victim.roi}: images/.* is 5×4 px but masks/.* is ${victim.width}×${victim.height} px`));
        return true;
      });
    } finally {
      await other.cleanup();
    }
  });

  test('without a lock, the files present are paired and a warning says so', async () => {
    const other = await makeSyntheticDataset({ lock: false });
    try {
      const warnings: string[] = [];
      const r = await prepareSplits(
        { root: other.root, split: 'baseline', layout: 'script', link: 'hard' },
        { onEvent: (e) => e.type === 'log' && warnings.push(e.message) },
      );
      assert.equal(r.rois, other.rois.length);
      assert.ok(warnings.some((w) => w.includes('no bcss.lock.json')));
    } finally {
      await other.cleanup();
    }
  });
});
