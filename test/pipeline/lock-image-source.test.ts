import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageSourceOf, parseLockText } from '../../src/pipeline/lock-file.js';

const entry = (id: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  kind: 'images',
  path: id,
  bytes: 10,
  sha256: 'a'.repeat(64),
  source: { url, params: { roi: id } },
  status: 'done',
  completed: '2026-01-01T00:00:00.000Z',
  ...extra,
});

const lockText = (artifacts: unknown[]): string =>
  JSON.stringify({
    version: 1,
    tool: { name: 'bcss', version: '0.2.0' },
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    options: { resolution: { kind: 'mpp', mpp: 0.25 }, encoding: 'png', maskAlign: 'resize', roiTableSha256: 'x', rois: 3, components: ['images'] },
    artifacts,
  });

test('lock entries say which source made an image; entries from before the field still load and are read by their URL', async () => {
  const { lock, problem } = await parseLockText(
    lockText([
      entry('images/a.png', 'http://dsa/api/v1/item/1/tiles/region?x'),
      entry('images/b.png', 'wsi:TCGA-X.svs'),
      entry('images/c.png', 'wsi:TCGA-Y.svs', { imageSource: 'wsi' }),
      entry('images/d.png', 'http://dsa/api/v1/item/4/tiles/region?x', { imageSource: 'dsa' }),
    ]),
  );
  assert.equal(problem, undefined);
  assert.deepEqual(lock?.artifacts.map((e) => [e.id, e.imageSource, imageSourceOf(e)]), [
    ['images/a.png', undefined, 'dsa'],
    ['images/b.png', undefined, 'wsi'],
    ['images/c.png', 'wsi', 'wsi'],
    ['images/d.png', 'dsa', 'dsa'],
  ]);
});

test('an unknown image source drops that entry only (its file is re-checked), naming the field', async () => {
  const { lock, problem } = await parseLockText(lockText([entry('images/a.png', 'wsi:T.svs', { imageSource: 'gdc' }), entry('images/b.png', 'wsi:T.svs')]));
  assert.deepEqual(lock?.artifacts.map((e) => e.id), ['images/b.png']);
  assert.match(problem ?? '', /imageSource.*"dsa" or "wsi"/);
});
