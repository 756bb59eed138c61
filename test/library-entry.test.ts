import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as bcss from '../src/index.js';

test('the library entry exposes the building blocks and does no work at import', () => {
  for (const name of [
    'planRegion',
    'predictOutputSize',
    'resizeNearest',
    'rasteriseRoi',
    'roiFileName',
    'parseRoiFileName',
    'readPngHeader',
    'builtinRois',
    'builtinClasses',
    'openSlide',
    'readRegion',
    'runDownload',
    'runVerify',
    'startServer',
    'loadDemoDataset',
  ] as const) {
    assert.equal(typeof bcss[name], 'function', name);
  }
  assert.ok(new bcss.UsageError('x') instanceof bcss.BcssError);
  assert.equal(bcss.roiFileName('TCGA-A1-A0SK-DX1', 45749, 25055, { kind: 'mpp', mpp: 0.25 }), 'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png');
  assert.equal(bcss.builtinRois().length, 151);
});
