/**
 * `--data DIR` and symlinks (issue 9, item 10): a file whose real path leaves DIR is refused and
 * reported unless `followSymlinks`; links that stay inside are fine; a file swapped for a link
 * after start is not followed. Real symlinks on disk, served over HTTP.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isInside } from '../../src/server/data-dir/contained-path.js';
import { loadDataDir } from '../../src/server/data-dir/data-dir-dataset.js';
import { startServer } from '../../src/server/start-server.js';
import { UsageError } from '../../src/errors.js';
import { get, SLIDE_PATH } from './fixtures.js';

const SECRET = 'TOP SECRET: the server user may read this, the other user may not\n';

describe('--data DIR: symlinks that leave the folder', () => {
  let base = '';
  let dir = '';
  let outside = '';
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'bcss-symlinks-'));
    dir = join(base, 'data');
    outside = join(base, 'elsewhere');
    await mkdir(dir);
    await mkdir(outside);
    await copyFile(SLIDE_PATH, join(dir, 'inside.svs'));
    await copyFile(SLIDE_PATH, join(outside, 'other.svs'));
    await writeFile(join(outside, 'notes.json'), JSON.stringify([{ type: 'point', center: [1, 2, 0] }]));
    await symlink(join(outside, 'other.svs'), join(dir, 'link-out.svs'));
    await symlink('inside.svs', join(dir, 'link-in.svs'));
    await symlink(join(outside, 'notes.json'), join(dir, 'inside.svs.json'));
    await writeFile(join(outside, 'secret.txt'), SECRET);
  });
  after(() => rm(base, { recursive: true, force: true }));

  test('by default a link leaving DIR is refused and each refusal is reported once; links inside DIR are served', async () => {
    const refused: string[] = [];
    const dataset = await loadDataDir(dir, { log: (m) => refused.push(m) });
    assert.deepEqual(dataset.items.map((i) => i.name).sort(), ['inside.svs', 'link-in.svs']);
    assert.equal(refused.length, 2, refused.join('\n'));
    assert.ok(refused.some((m) => m.includes('link-out.svs') && m.includes(join(outside, 'other.svs')) && m.includes('--follow-symlinks')));
    assert.ok(refused.some((m) => m.includes('inside.svs.json')), 'annotation files obey the same rule');
    assert.equal(dataset.gdc.files.length, 2);
    assert.ok(!dataset.gdc.files.some((f) => f.fileName === 'link-out.svs'));
  });

  test('--follow-symlinks serves them', async () => {
    const refused: string[] = [];
    const dataset = await loadDataDir(dir, { followSymlinks: true, log: (m) => refused.push(m) });
    assert.deepEqual(dataset.items.map((i) => i.name).sort(), ['inside.svs', 'link-in.svs', 'link-out.svs']);
    assert.deepEqual(refused, []);
    const inside = dataset.items.find((i) => i.name === 'inside.svs');
    assert.equal((await inside?.annotations())?.length, 1, 'the linked annotation file is read');
  });

  test('a folder whose every slide leaves it is a usage error that says why', async () => {
    const only = join(base, 'only-links');
    await mkdir(only);
    await symlink(join(outside, 'other.svs'), join(only, 'a.svs'));
    await assert.rejects(loadDataDir(only), (err: unknown) => err instanceof UsageError && /refused as symlinks/.test(err.message));
  });

  test('a served file replaced by a link after start is not followed (no byte of the target leaves)', async () => {
    const swap = join(base, 'swap');
    await mkdir(swap);
    await copyFile(SLIDE_PATH, join(swap, 's.svs'));
    const dataset = await loadDataDir(swap);
    const server = await startServer({ dataset });
    try {
      const item = dataset.items[0];
      const fileId = item?.files[0]?.id as string;
      const gdcId = dataset.gdc.files[0]?.fileId as string;
      assert.equal((await get(`${server.urls.girder}/file/${fileId}/download?endByte=2`)).text, 'II', 'served before the swap');
      await unlink(join(swap, 's.svs'));
      await symlink(join(outside, 'secret.txt'), join(swap, 's.svs'));
      for (const url of [`${server.urls.girder}/file/${fileId}/download`, `${server.urls.gdc}/data/${gdcId}`]) {
        const r = await get(url).catch((err: unknown) => ({ status: -1, text: String(err) }));
        assert.notEqual(r.status, 200, url);
        assert.ok(!r.text.includes('TOP SECRET'), url);
      }
      const tiles = await get(`${server.urls.girder}/item/${item?.id}/tiles/region?left=0&top=0&right=8&bottom=8&encoding=PNG`);
      assert.notEqual(tiles.status, 200, 'nor is the slide reopened through the link');
    } finally {
      await server.close();
    }
  });

  test('isInside: only strict descendants of the root', () => {
    assert.equal(isInside('/a/b', '/a/b/c.svs'), true);
    assert.equal(isInside('/a/b', '/a/b/sub/c.svs'), true);
    assert.equal(isInside('/a/b', '/a/b'), false);
    assert.equal(isInside('/a/b', '/a/bc/x.svs'), false);
    assert.equal(isInside('/a/b', '/a/x.svs'), false);
    assert.equal(isInside('/a/b', '/a/b/..x/y'), true, 'a name starting with two dots is still inside');
  });
});
