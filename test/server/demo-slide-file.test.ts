import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoSlideFile } from '../../src/server/demo/demo-slide-file.js';
import { demoBasePixels, demoSlideGeometry, type DemoSlideSpec } from '../../src/server/demo/demo-slide.js';
import { createMirroredSlide } from '../../src/slides/mirrored-slide.js';
import { openSlide } from '../../src/slides/open-slide.js';
import { slideGeometry } from '../../src/slides/slide-geometry.js';
import { readTiffStructure } from '../../src/slides/tiff-structure.js';
import { diffStats } from '../slides/fixtures.js';
import { md5 } from './figshare-test-server.js';

/** A two-level demo slide (Aperio stores 1× and 4×), larger than the 2220×2967 base so it mirrors. */
const SPEC: DemoSlideSpec = { sizeX: 5000, sizeY: 4300, magnification: 40, mm: 0.000252, storedDownsamples: [1, 4] };
const NAME = 'TCGA-ZZ-TEST-01Z-00-DX1.svs';

describe('demo slide files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bcss-demo-tiff-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('generated once on first need; size and md5 are the file’s; a later process reuses the cache', async () => {
    const generated: string[] = [];
    const cachePath = join(dir, 'a', NAME);
    const file = demoSlideFile({ name: NAME, spec: SPEC, base: demoBasePixels, cachePath, onGenerate: (n) => generated.push(n) });
    assert.throws(() => file.size, /before ready/);
    assert.throws(() => file.open(), /before ready/);
    await Promise.all([file.ready(), file.ready(), file.ready()]);
    assert.deepEqual(generated, [NAME]);
    const bytes = await readFile(cachePath);
    assert.equal(file.size, bytes.length);
    assert.equal(file.md5, md5(bytes));
    const part: Buffer[] = [];
    for await (const c of file.open({ start: 100, end: 1100 })) part.push(c as Buffer);
    assert.deepEqual(Buffer.concat(part), bytes.subarray(100, 1100));

    const again = demoSlideFile({ name: NAME, spec: SPEC, base: demoBasePixels, cachePath, onGenerate: (n) => generated.push(n) });
    await again.ready();
    assert.deepEqual(generated, [NAME], 'the sidecar and file are reused');
    assert.equal(again.md5, file.md5);

    // Deterministic bytes: another cache folder gets the very same file.
    const other = demoSlideFile({ name: NAME, spec: SPEC, base: demoBasePixels, cachePath: join(dir, 'b', NAME) });
    await other.ready();
    assert.equal(other.md5, file.md5);
  });

  test('a sidecar that does not match the file is not trusted: the file is made again', async () => {
    const cachePath = join(dir, 'c', NAME);
    const first = demoSlideFile({ name: NAME, spec: SPEC, base: demoBasePixels, cachePath });
    await first.ready();
    await writeFile(`${cachePath}.json`, JSON.stringify({ size: first.size + 1, md5: first.md5 }));
    const generated: string[] = [];
    const second = demoSlideFile({ name: NAME, spec: SPEC, base: demoBasePixels, cachePath, onGenerate: (n) => generated.push(n) });
    await second.ready();
    assert.deepEqual(generated, [NAME]);
    assert.equal(second.size, (await stat(cachePath)).size);
    assert.equal(second.md5, first.md5);
  });

  test('our reader sees an Aperio SVS with the declared geometry and the demo DSA’s pixels', async () => {
    const path = join(dir, 'a', NAME);
    const structure = await readTiffStructure(path);
    assert.deepEqual(
      structure.ifds.map((i) => [i.role, i.width, i.height, i.tileWidth]),
      [
        ['level', 5000, 4300, 240],
        ['thumbnail', 625, 537, null],
        ['level', 1250, 1075, 240],
      ],
    );
    const slide = await openSlide(path);
    const mirrored = createMirroredSlide(await demoBasePixels(), {
      width: SPEC.sizeX,
      height: SPEC.sizeY,
      mm: SPEC.mm,
      magnification: SPEC.magnification,
      storedDownsamples: SPEC.storedDownsamples,
    });
    try {
      assert.ok(slide.isAperio);
      assert.equal(slide.mmX, 0.000252);
      assert.equal(slide.magnification, 40);
      const fromFile = slideGeometry(slide);
      const declared = demoSlideGeometry(SPEC);
      assert.deepEqual(
        [fromFile.sizeX, fromFile.sizeY, fromFile.levels, fromFile.mmX, fromFile.magnification],
        [declared.sizeX, declared.sizeY, declared.levels, declared.mmX, declared.magnification],
      );
      for (let k = 0; k < declared.levels; k++) assert.equal(fromFile.stored?.(k), declared.stored?.(k), `level ${k}`);
      // Across the mirror seam at x = 2220 and up to the bottom-right corner; then level 1.
      for (const [level, rect] of [
        [0, { left: 2000, top: 2800, width: 600, height: 400 }],
        [0, { left: 4700, top: 4000, width: 300, height: 300 }],
        [1, { left: 0, top: 0, width: 1250, height: 1075 }],
      ] as const) {
        const a = await slide.readRaw(level, rect);
        const b = await mirrored.readRaw(level, rect);
        const stats = diffStats(a.data, b.data);
        // JPEG q95 4:4:4 over the demo's pixels: ~0.8 mean at 1×, ~1.6 at 4× (finer detail per pixel).
        const bound = level === 0 ? { mean: 1, max: 32 } : { mean: 2, max: 40 };
        assert.ok(stats.mean <= bound.mean && stats.max <= bound.max, `level ${level} ${JSON.stringify(rect)}: ${JSON.stringify(stats)}`);
      }
    } finally {
      await slide.close();
      await mirrored.close();
    }
  });
});
