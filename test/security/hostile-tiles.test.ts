/**
 * Issue 9 item 9: lying `/tiles` metadata (mm_x 1000× too coarse, a wrong magnification, a slide
 * smaller than its ROI) is refused before it sizes an image or a mask; the message names both the
 * server's and the catalog's values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinRois } from '../../src/catalog/index.js';
import { WrongContentError } from '../../src/transfer/content-errors.js';
import { checkedOutputSize } from '../../src/pipeline/geometry-sanity.js';
import { maskTargetSize } from '../../src/pipeline/steps/masks.js';
import type { StepContext } from '../../src/pipeline/steps/step-context.js';
import { GirderClient, tilesToGeometry } from '../../src/remote/girder-client.js';
import { quickTransfer, sendJson, tinyServer } from '../remote/tiny-server.js';

const roi = builtinRois().find((r) => r.name === 'TCGA-A1-A0SK-DX1')!; // a 40× slide
const honest = { sizeX: 60000, sizeY: 40000, levels: 9, magnification: 40, mmX: 0.000252, mmY: 0.000252 };
const mpp = { kind: 'mpp', mpp: 0.25 } as const;

describe('lying /tiles metadata', () => {
  test('honest metadata (a real scanner is ~1 % off nominal) passes', () => {
    const size = checkedOutputSize(honest, roi, mpp);
    assert.ok(Math.abs(size.width - (roi.xmax - roi.xmin)) < 0.05 * (roi.xmax - roi.xmin));
  });

  test('mm_x 1000× too coarse is refused with both sizes named', () => {
    assert.throws(
      () => checkedOutputSize({ ...honest, mmX: 0.252, mmY: 0.252, magnification: 0.04 }, roi, mpp),
      (err: unknown) => {
        assert.ok(err instanceof WrongContentError);
        assert.match(err.message, /mm_x=0\.252/);
        assert.match(err.message, /\d+×\d+ px for this ROI, but the catalog \(a 40× scan, ROI 4040×2936 base px\) gives \d+×\d+ px/);
        return true;
      },
    );
  });

  test('a magnification that disagrees with the catalog is refused for --mag requests', () => {
    assert.throws(() => checkedOutputSize({ ...honest, magnification: 4, mmX: null, mmY: null }, roi, { kind: 'mag', magnification: 20 }), /catalog \(a 40× scan/);
  });

  test('a slide smaller than the ROI is refused', () => {
    assert.throws(() => checkedOutputSize({ ...honest, sizeX: 1000 }, roi, { kind: 'base' }), /slide is 1000×40000 px, but the catalog's ROI reaches \(49789, 27991\)/);
  });

  test('the mask step asks a lying server for /tiles and refuses before any mask is made', async () => {
    const server = await tinyServer((_req, res) =>
      sendJson(res, 200, { sizeX: 202002000, sizeY: 147001000, levels: 20, magnification: 40, mm_x: 0.000000252, mm_y: 0.000000252, tileWidth: 256, tileHeight: 256 }),
    );
    try {
      const girder = new GirderClient({ transfer: quickTransfer(), apiUrl: `${server.base}/api/v1` });
      const ctx = {
        options: { resolution: mpp },
        remote: {
          slideFor: () => ({ itemId: 'a'.repeat(24), name: 'x.svs' }),
          geometryFor: async (id: string) => tilesToGeometry(await girder.getTilesInfo(id)),
        },
      } as unknown as StepContext;
      await assert.rejects(maskTargetSize(ctx, roi), /refusing geometry that far off/);
    } finally {
      await server.close();
    }
  });
});
