import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { builtinRois, builtinSlides, DSA_FOLDER_ID, findSlideForRoi } from '../../src/catalog/index.js';
import { IntegrityError } from '../../src/errors.js';
import { buildArtifacts } from '../../src/pipeline/artifacts.js';
import { failedRois } from '../../src/pipeline/failed-items.js';
import { earlyGeometryItems, earlyRenders, kindCaps } from '../../src/pipeline/run-download.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';
import { isJpeg, readJpegSize } from '../../src/image/jpeg-size.js';
import { matchRoisToItems, slideKeyOfItemName } from '../../src/pipeline/slide-match.js';
import { checkAnnotationJson } from '../../src/pipeline/steps/annotations.js';
import { imageValidator } from '../../src/pipeline/steps/images.js';
import { runPool } from '../../src/pipeline/worker-pool.js';
import { WrongContentError } from '../../src/transfer/content-errors.js';

describe('slide matching', () => {
  const [a, b] = builtinRois();
  const item = (id: string, name: string) => ({ id, name, folderId: 'f', size: 1, largeImage: true });

  test('full prefix up to DX<n>, case-insensitive', () => {
    assert.equal(slideKeyOfItemName('TCGA-A1-A0SK-01Z-00-DX1.A44D70FA-4D96.svs'), 'TCGA-A1-A0SK-DX1');
    assert.equal(slideKeyOfItemName('tcga-a1-a0sk-01z-00-dx1.a44d.svs'), 'TCGA-A1-A0SK-DX1');
    assert.equal(slideKeyOfItemName('TCGA-A1-A0SK-01Z-00-DX12.x.svs'), 'TCGA-A1-A0SK-DX12');
    assert.equal(slideKeyOfItemName('readme.txt'), null);
  });

  test('a second diagnostic slide of the same patient does not replace the first (docs/dataset.md#slides-and-items); duplicates are ambiguous', () => {
    const got = matchRoisToItems(
      [a!, b!],
      [
        item('1'.repeat(24), `${a!.caseId}-01Z-00-DX1.U1.svs`),
        item('2'.repeat(24), `${a!.caseId}-01Z-00-DX2.U2.svs`),
        item('3'.repeat(24), `${b!.caseId}-01Z-00-DX1.U3.svs`),
        item('4'.repeat(24), `${b!.caseId}-01Z-00-DX1.U4.svs`),
      ],
      'f',
    );
    const ra = got.get(a!.name);
    assert.ok(ra?.ok && ra.slide.itemId === '1'.repeat(24));
    const rb = got.get(b!.name);
    assert.ok(rb !== undefined && !rb.ok && /ambiguous/.test(rb.error.message));
  });

  test('a missing slide is a clear per-ROI error', () => {
    const r = matchRoisToItems([a!], [], 'folder123').get(a!.name);
    assert.ok(r !== undefined && !r.ok && /not in DSA folder folder123/.test(r.error.message));
  });
});

describe('annotation check', () => {
  test('accepts an array whose documents carry _elementQuery.returned elements', () => {
    const doc = { annotation: { elements: [{ type: 'point' }, { type: 'point' }] }, _elementQuery: { returned: 2, count: 2 } };
    assert.equal(checkAnnotationJson(JSON.stringify([doc, { annotation: { elements: [] } }]), 'x'), 2);
    assert.equal(checkAnnotationJson('[]', 'x'), 0);
  });

  test('refuses the doubled-separator quirk, non-arrays and element-count mismatches', () => {
    assert.throws(() => checkAnnotationJson('[{"a": 1},\n,\n{"b": 2}]', 'x'), IntegrityError);
    assert.throws(() => checkAnnotationJson('{"message": "x"}', 'x'), /not a JSON array/);
    const short = { annotation: { elements: [{ type: 'point' }] }, _elementQuery: { returned: 2 } };
    assert.throws(() => checkAnnotationJson(JSON.stringify([short]), 'x'), /1 elements but _elementQuery.returned = 2/);
  });
});

describe('image validation', () => {
  test('PNG and JPEG sizes come from the header; a mismatch names both sizes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-img-'));
    try {
      const raw = { raw: { width: 21, height: 13, channels: 3 as const } };
      const pixels = Buffer.alloc(21 * 13 * 3, 128);
      const png = join(dir, 'a.png');
      await writeFile(png, await sharp(pixels, raw).png().toBuffer());
      await imageValidator({ width: 21, height: 13 }, 'png', 'x')(png);
      await assert.rejects(imageValidator({ width: 22, height: 13 }, 'png', 'x')(png), (err: unknown) => {
        // Not retried: the header of a render of the wrong size is the server's real answer.
        assert.ok(err instanceof WrongContentError);
        assert.match(err.message, /21×13 px/);
        assert.match(err.message, /22×13 px/);
        return true;
      });
      const jpgBytes = await sharp(pixels, raw).jpeg({ quality: 95 }).toBuffer();
      assert.ok(isJpeg(jpgBytes));
      assert.deepEqual(readJpegSize(jpgBytes), { width: 21, height: 13 });
      const jpg = join(dir, 'a.jpg');
      await writeFile(jpg, jpgBytes);
      await imageValidator({ width: 21, height: 13 }, 'jpeg', 'x')(jpg);
      await assert.rejects(imageValidator({ width: 21, height: 13 }, 'jpeg', 'x')(png), /not a JPEG/);
      await assert.rejects(imageValidator({ width: 21, height: 13 }, 'png', 'x')(jpg), IntegrityError);
      // With the body's head from the engine, no file is read (this path does not exist).
      const gone = join(dir, 'never-written.png');
      const pngBytes = await readFile(png);
      await imageValidator({ width: 21, height: 13 }, 'png', 'x')(gone, { bytes: pngBytes.length, head: pngBytes });
      await assert.rejects(imageValidator({ width: 20, height: 13 }, 'png', 'x')(gone, { bytes: pngBytes.length, head: pngBytes }), WrongContentError);
      await imageValidator({ width: 21, height: 13 }, 'jpeg', 'x')(gone, { bytes: jpgBytes.length, head: jpgBytes });
      await assert.rejects(imageValidator({ width: 21, height: 13 }, 'png', 'x')(gone, { bytes: jpgBytes.length, head: jpgBytes }), new RegExp(`${gone}: .*PNG`));
      // A head shorter than the body and than 64 KiB is not trusted: the file is read (and is missing here).
      await assert.rejects(imageValidator({ width: 21, height: 13 }, 'png', 'x')(gone, { bytes: pngBytes.length + 1, head: pngBytes }), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('worker pool', () => {
  test('respects the overall limit and per-kind caps, and runs every task', async () => {
    let active = 0;
    let peak = 0;
    const perKind = new Map<string, number>();
    const peakKind = new Map<string, number>();
    const ran: number[] = [];
    const tasks = Array.from({ length: 30 }, (_, i) => {
      const kind = i % 3 === 0 ? 'masks' : 'images';
      return {
        kind,
        run: async () => {
          active++;
          perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
          peak = Math.max(peak, active);
          peakKind.set(kind, Math.max(peakKind.get(kind) ?? 0, perKind.get(kind)!));
          await new Promise((r) => setImmediate(r));
          ran.push(i);
          active--;
          perKind.set(kind, perKind.get(kind)! - 1);
        },
      };
    });
    const left = await runPool(tasks, { concurrency: 5, caps: { masks: 2 } });
    assert.deepEqual(left, []);
    assert.equal(ran.length, 30);
    assert.equal(peak, 5);
    assert.equal(peakKind.get('masks'), 2);
  });

  test('stop() leaves the rest unstarted and returns them', async () => {
    let started = 0;
    const tasks = Array.from({ length: 10 }, () => ({
      kind: 'x',
      run: async () => {
        started++;
        await new Promise((r) => setImmediate(r));
      },
    }));
    const left = await runPool(tasks, { concurrency: 2, stop: () => started >= 3 });
    assert.ok(started >= 3 && started <= 4);
    assert.equal(left.length, 10 - started);
  });
});

describe('failedRois', () => {
  test('maps failure ids to ROI names for --slides, keeping the rest apart', () => {
    assert.deepEqual(
      failedRois([
        { item: 'images/TCGA-A1-A0SK-DX1_xmin1_ymin2_MPP-0.2500.png' },
        { item: 'masks/TCGA-A1-A0SK-DX1_xmin1_ymin2_MPP-0.2500.png' },
        { item: 'annotations/TCGA-E2-A14N-DX1' },
        { item: 'wsis/download_wsis.sh' },
      ]),
      { rois: ['TCGA-A1-A0SK-DX1', 'TCGA-E2-A14N-DX1'], other: ['wsis/download_wsis.sh'] },
    );
  });
});

describe('run planning helpers', () => {
  const rois = builtinRois().slice(0, 6);
  const base: Pick<DownloadOptions, 'components' | 'resolution' | 'encoding' | 'maskAlign' | 'rois' | 'folderId' | 'lanes' | 'apiUrl' | 'gdcUrl' | 'wsiKeyEnvVar'> = {
    components: ['images', 'masks'],
    resolution: { kind: 'mpp', mpp: 0.25 },
    encoding: 'png',
    maskAlign: 'resize',
    rois,
    folderId: DSA_FOLDER_ID,
    lanes: { dsa: { concurrency: 4, minIntervalMs: 0 }, 'dsa-render': { concurrency: 4, minIntervalMs: 0 }, figshare: { concurrency: 4, minIntervalMs: 1000 } },
    apiUrl: 'http://127.0.0.1:9/api/v1',
    gdcUrl: 'http://127.0.0.1:9/gdc',
    wsiKeyEnvVar: 'BCSS_API_KEY',
  };
  const opts = (over: Partial<DownloadOptions> = {}): DownloadOptions => ({ ...base, ...over }) as DownloadOptions;
  const catalogId = (i: number): string => findSlideForRoi(rois[i]!, builtinSlides())!.dsaItemId;

  test('kind caps leave every lane a queued task: 2 per render slot, masks 2 per figshare slot + 2', () => {
    assert.deepEqual(kindCaps(opts()), { images: 8, masks: 10, annotations: 4, 'wsi-scripts': 1, wsis: 2 });
    const polite = opts({ lanes: { ...base.lanes, figshare: { concurrency: 1, minIntervalMs: 1000 }, 'dsa-render': { concurrency: 2, minIntervalMs: 0 } } });
    assert.deepEqual(kindCaps(polite), { images: 4, masks: 4, annotations: 4, 'wsi-scripts': 1, wsis: 2 });
    assert.equal(kindCaps(opts({ gdcConcurrency: 5 })).wsis, 5, '--gdc-concurrency slides at once');
  });

  test('early /tiles lookups: the first slides the fetch list needs, one slot fewer than the dsa lane, only for the catalog folder', () => {
    const all = buildArtifacts(opts());
    assert.deepEqual(earlyGeometryItems(all, opts()), [catalogId(0), catalogId(1), catalogId(2)]);
    // Only what is to be fetched counts, in its order.
    const later = all.filter((a) => a.roi?.name !== rois[0]!.name && a.roi?.name !== rois[2]!.name);
    assert.deepEqual(earlyGeometryItems(later, opts()), [catalogId(1), catalogId(3), catalogId(4)]);
    // Another folder: the catalog's ids mean nothing there.
    assert.deepEqual(earlyGeometryItems(all, opts({ folderId: 'a'.repeat(24) })), []);
    // Base-resolution masks need no slide metadata.
    const baseMasks = buildArtifacts(opts({ components: ['masks'], resolution: { kind: 'base' } }));
    assert.deepEqual(earlyGeometryItems(baseMasks, opts({ resolution: { kind: 'base' } })), []);
    // As many as there are early renders, when that is more than the dsa lane's spare slots.
    assert.equal(earlyGeometryItems(all, opts(), 5).length, 5);
  });

  test('early renders: the first images of the fetch list, one per render slot, on the catalog ids, only in the catalog folder', () => {
    const all = buildArtifacts(opts());
    const early = earlyRenders(all, opts());
    assert.deepEqual(
      [...early],
      all.filter((a) => a.kind === 'images').slice(0, 4).map((a) => [a.id, findSlideForRoi(a.roi!, builtinSlides())!.dsaItemId]),
    );
    assert.equal(earlyRenders(all, opts({ lanes: { ...base.lanes, 'dsa-render': { concurrency: 2, minIntervalMs: 0 } } })).size, 2);
    assert.equal(earlyRenders(all, opts({ folderId: 'a'.repeat(24) })).size, 0);
    assert.equal(earlyRenders(all.filter((a) => a.kind === 'masks'), opts()).size, 0);
  });
});
