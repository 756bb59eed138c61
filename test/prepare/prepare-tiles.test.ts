import assert from 'node:assert/strict';
import { readFile, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { classGroups } from '../../src/catalog/classes.js';
import { baselineSplit, evaSplit } from '../../src/catalog/splits.js';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { readPngHeader } from '../../src/image/png-header.js';
import { normaliseTilesOptions, prepareTiles } from '../../src/prepare/prepare-tiles.js';
import type { PrepareTilesOptions } from '../../src/prepare/types.js';
import { imagePixel, makeSyntheticDataset, maskCode, maskPixels, snapshot, writeGreyPng, type Synthetic, type SyntheticRoi } from './synthetic-dataset.js';

/** The brief's numbering of the baseline groups. */
const GROUP_NUMBER = { ignore: 0, tumor: 1, stroma: 2, inflammatory: 3, necrosis: 4, other: 5 } as const;

interface ExpectedTile {
  name: string;
  roi: SyntheticRoi;
  x: number;
  y: number;
  inside: number;
}

/**
 * The tiles the synthetic layout must give, from its definition: a tile's inside pixels are the
 * columns right of `outsideColumns`, times the tile height.
 */
function expectedTiles(rois: readonly SyntheticRoi[], size: number, stride: number, minFraction: number): { kept: ExpectedTile[]; below: number } {
  const kept: ExpectedTile[] = [];
  let below = 0;
  for (const roi of rois) {
    for (let y = 0; y + size <= roi.height; y += stride) {
      for (let x = 0; x + size <= roi.width; x += stride) {
        const insideColumns = Math.max(0, x + size - Math.max(x, roi.outsideColumns));
        const inside = insideColumns * size;
        if (inside / (size * size) < minFraction) below += 1;
        else kept.push({ name: `${roi.roi}_x${x}_y${y}.png`, roi, x, y, inside });
      }
    }
  }
  return { kept, below };
}

function options(root: string, o: Partial<PrepareTilesOptions>): PrepareTilesOptions {
  return { root, size: 10, stride: 10, minRoiFraction: 0.5, groups: 'baseline', exclude: 'other', ...o };
}

async function decodeGrey(path: string): Promise<Uint8Array> {
  const header = readPngHeader(await readFile(path));
  assert.equal(header.colorType, 0, `${path} is 8-bit grey`);
  assert.equal(header.bitDepth, 8);
  const { data } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

function parseCsv(text: string): string[][] {
  return text.trimEnd().split('\n').map((l) => l.split(','));
}

describe('prepare tiles', () => {
  let ds: Synthetic;
  before(async () => {
    ds = await makeSyntheticDataset();
  });
  after(async () => ds.cleanup());

  test('cuts exactly the tiles the layout predicts; image tiles are the crops, masks the baseline groups', async () => {
    const want = expectedTiles(ds.rois, 10, 10, 0.5);
    assert.ok(want.kept.length > 0 && want.below > 0, 'the fixture exercises both sides of the threshold');
    const r = await prepareTiles(options(ds.root, {}));
    assert.equal(r.tiles, want.kept.length);
    assert.equal(r.belowMinRoiFraction, want.below);
    assert.equal(r.written, want.kept.length);
    const names = want.kept.map((t) => t.name).sort();
    assert.deepEqual((await readdir(join(ds.root, 'tiles/10/images'))).sort(), names);
    assert.deepEqual((await readdir(join(ds.root, 'tiles/10/masks'))).sort(), names);

    const groups = classGroups({ exclude: 'other' });
    for (const t of want.kept) {
      const { data, info } = await sharp(join(ds.root, 'tiles/10/images', t.name)).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
      const mask = await decodeGrey(join(ds.root, 'tiles/10/masks', t.name));
      for (let y = 0; y < 10; y++) {
        for (let x = 0; x < 10; x++) {
          const i = y * 10 + x;
          assert.deepEqual([...data.subarray(i * 3, i * 3 + 3)], imagePixel(t.roi, t.x + x, t.y + y), `${t.name} (${x},${y})`);
          const code = maskCode(t.roi, t.x + x, t.y + y);
          assert.equal(mask[i], GROUP_NUMBER[groups.get(code) ?? 'ignore'], `${t.name} mask (${x},${y}) code ${code}`);
        }
      }
    }
  });

  test('index.csv: one row per tile with splits, ROI fraction and per-group counts', async () => {
    const want = expectedTiles(ds.rois, 10, 10, 0.5);
    await prepareTiles(options(ds.root, {}));
    const rows = parseCsv(await readFile(join(ds.root, 'tiles/10/index.csv'), 'utf8'));
    const header = rows[0] ?? [];
    assert.deepEqual(header, ['tile', 'roi', 'x', 'y', 'split_baseline', 'split_eva', 'roi_fraction', 'px_ignore', 'px_tumor', 'px_stroma', 'px_inflammatory', 'px_necrosis', 'px_other']);
    assert.equal(rows.length - 1, want.kept.length);
    const groups = classGroups({ exclude: 'other' });
    for (const t of want.kept) {
      const row = rows.find((r) => r[0] === t.name);
      assert.ok(row !== undefined, t.name);
      assert.deepEqual(row.slice(1, 6), [t.roi.roi, String(t.x), String(t.y), baselineSplit(t.roi), evaSplit(t.roi)]);
      assert.equal(Number(row[6]), Number((t.inside / 100).toFixed(6)));
      const counts = new Array<number>(6).fill(0);
      for (let y = t.y; y < t.y + 10; y++) {
        for (let x = t.x; x < t.x + 10; x++) {
          const g = GROUP_NUMBER[groups.get(maskCode(t.roi, x, y)) ?? 'ignore'];
          counts[g] = (counts[g] as number) + 1;
        }
      }
      assert.deepEqual(row.slice(7).map(Number), counts, t.name);
    }
    const classes = JSON.parse(await readFile(join(ds.root, 'tiles/10/classes.json'), 'utf8')) as { values: Array<{ value: number; name: string; codes: number[] }> };
    assert.deepEqual(classes.values.find((v) => v.name === 'tumor')?.codes, [1, 19, 20]);
  });

  test('a rerun does no work and touches no file; a changed mask redoes only its ROI', async () => {
    await prepareTiles(options(ds.root, {}));
    const before = await snapshot(join(ds.root, 'tiles'));
    const again = await prepareTiles(options(ds.root, {}));
    assert.equal(again.written, 0);
    assert.equal(again.upToDateRois, ds.rois.length);
    assert.deepEqual(await snapshot(join(ds.root, 'tiles')), before);

    const roi = ds.rois[0];
    assert.ok(roi !== undefined);
    const later = new Date(Date.now() + 5000);
    await utimes(join(ds.root, 'masks', roi.fileName), later, later);
    const third = await prepareTiles(options(ds.root, {}));
    assert.equal(third.upToDateRois, ds.rois.length - 1);
    assert.equal(third.written, expectedTiles([roi], 10, 10, 0.5).kept.length);
    // Same bytes, so even the re-cut tiles keep their files (and mtimes).
    assert.deepEqual(await snapshot(join(ds.root, 'tiles')), before);
  });

  test('stride and threshold: overlapping tiles, 0 keeps every tile, 1 keeps only tiles fully inside', async () => {
    for (const [stride, min] of [
      [5, 0.5],
      [10, 0],
      [7, 1],
    ] as const) {
      const want = expectedTiles(ds.rois, 10, stride, min);
      const r = await prepareTiles(options(ds.root, { stride, minRoiFraction: min }));
      assert.equal(r.tiles, want.kept.length, `stride ${stride} min ${min}`);
      assert.equal(r.belowMinRoiFraction, want.below, `stride ${stride} min ${min}`);
      // Tiles of the previous settings are gone.
      assert.deepEqual((await readdir(join(ds.root, 'tiles/10/images'))).sort(), want.kept.map((t) => t.name).sort());
      const rows = parseCsv(await readFile(join(ds.root, 'tiles/10/index.csv'), 'utf8'));
      assert.equal(rows.length - 1, want.kept.length);
    }
  });

  test('--exclude ignore sends code 7 to 0; raw groups keep the codes', async () => {
    const bh = ds.rois.find((r) => r.middleCode === 7);
    assert.ok(bh !== undefined);
    await prepareTiles(options(ds.root, { exclude: 'ignore' }));
    const name = `${bh.roi}_x0_y10.png`; // rows 10..19 hold code 7
    const ignored = await decodeGrey(join(ds.root, 'tiles/10/masks', name));
    assert.ok(ignored.every((v) => v === 0));

    await prepareTiles(options(ds.root, { groups: 'raw' }));
    const raw = await decodeGrey(join(ds.root, 'tiles/10/masks', name));
    assert.ok(raw.every((v) => v === 7));
    const header = parseCsv(await readFile(join(ds.root, 'tiles/10/index.csv'), 'utf8'))[0] ?? [];
    assert.equal(header.length, 7 + 22);
    assert.ok(header.includes('px_angioinvasion'));
  });

  test('bad options are usage errors', () => {
    const bad: Array<Parameters<typeof normaliseTilesOptions>[0]> = [
      { root: ds.root, size: 0 },
      { root: ds.root, size: 10.5 },
      { root: ds.root, size: 10, stride: -1 },
      { root: ds.root, size: 10, minRoiFraction: 1.5 },
      { root: ds.root, size: 10, groups: 'five' },
      { root: ds.root, size: 10, exclude: 'drop' },
      { root: ds.root, size: 10, groups: 'raw', exclude: 'ignore' },
    ];
    for (const o of bad) assert.throws(() => normaliseTilesOptions(o), UsageError, JSON.stringify(o));
    assert.equal(normaliseTilesOptions({ root: ds.root, size: 64 }).stride, 64);
  });

  test('a mask value that is no class code is an integrity error naming the file', async () => {
    const other = await makeSyntheticDataset();
    try {
      const roi = other.rois[1];
      assert.ok(roi !== undefined);
      const pixels = maskPixels(roi);
      pixels[3] = 200;
      await writeGreyPng(join(other.root, 'masks', roi.fileName), pixels, roi.width, roi.height);
      await assert.rejects(prepareTiles(options(other.root, {})), (err: unknown) => {
        assert.ok(err instanceof IntegrityError);
        assert.ok(err.message.includes(roi.fileName));
        assert.match(err.message, /200 \(1 px\)/);
        return true;
      });
    } finally {
      await other.cleanup();
    }
  });
});
