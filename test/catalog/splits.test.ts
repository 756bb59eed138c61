import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRois } from '../../src/catalog/rois.js';
import {
  BASELINE_TEST_SITES,
  baselineSplit,
  countSites,
  countSplits,
  EVA_VAL_SITES,
  evaSplit,
} from '../../src/catalog/splits.js';

// docs/dataset.md#splits: the ROIs of each Baseline test site and eva validation site.
const TEST_CASES: Record<string, string> = {
  OL: 'A5D6 A5D7 A5RW A66I A66P A6VO A97C',
  LL: 'A441 A5YO A73Y A740',
  E2: 'A14N A14R A14X A150 A158 A159 A1AZ A1B6 A1L7 A1LH A1LI A1LK A1LL A1LS A573 A574',
  EW: 'A1OV A1OW A1P1 A1P4 A1P7 A1P8 A1PB A1PH A3U0 A6SB',
  GM: 'A2DB A2DD A2DF A2DH A2DI A3XL',
  S3: 'AA10 AA15',
};
const VAL_CASES: Record<string, string> = {
  BH: 'A0AV A0B3 A0B9 A0BG A0BL A0BW A0E0 A0E6 A0RX A0WA A18G A18V A1EW A1F6 A1FC A42U',
  C8: 'A12V A131 A1HJ A26X A26Y A27B A3M7',
  A8: 'A07C A07O A08R A09X',
  A1: 'A0SK A0SP',
  E9: 'A5FL',
};
// "ROIs per site across all 151" in docs/dataset.md#splits.
const PER_SITE =
  'A1 2, A2 18, A7 11, A8 4, AC 5, AN 5, AO 9, AQ 2, AR 12, BH 16, C8 7, D8 12, E2 16, E9 1, EW 10, GI 1, GM 6, HN 1, LL 4, OL 7, S3 2';

function roiNames(table: Record<string, string>): string[] {
  return Object.entries(table)
    .flatMap(([site, ids]) => ids.split(' ').map((id) => `TCGA-${site}-${id}-DX1`))
    .sort();
}

describe('site splits on the built-in ROIs', () => {
  const rois = builtinRois();

  test('per-site counts are exactly those of docs/dataset.md#splits', () => {
    const expected = new Map(PER_SITE.split(', ').map((p) => [p.slice(0, 2), Number(p.slice(3))]));
    assert.deepEqual(countSites(rois), expected);
    assert.equal(expected.size, 21);
  });

  test('Baseline: the 45 test ROIs are exactly the listed ones, 106 train', () => {
    assert.deepEqual(countSplits(rois).baseline, { train: 106, test: 45 });
    const test = rois.filter((r) => baselineSplit(r) === 'test').map((r) => r.name);
    assert.deepEqual(test, roiNames(TEST_CASES));
    assert.deepEqual([...BASELINE_TEST_SITES].sort(), Object.keys(TEST_CASES).sort());
  });

  test('eva: 76 train / 30 val / 45 test with the listed validation ROIs', () => {
    assert.deepEqual(countSplits(rois).eva, { train: 76, val: 30, test: 45 });
    const val = rois.filter((r) => evaSplit(r) === 'val').map((r) => r.name);
    assert.deepEqual(val, roiNames(VAL_CASES));
    assert.deepEqual([...EVA_VAL_SITES].sort(), Object.keys(VAL_CASES).sort());
    const trainSites = new Set(rois.filter((r) => evaSplit(r) === 'train').map((r) => r.site));
    assert.deepEqual([...trainSites].sort(), ['A2', 'A7', 'AC', 'AN', 'AO', 'AQ', 'AR', 'D8', 'GI', 'HN']);
  });

  test('eva test equals Baseline test; eva train and val are Baseline train', () => {
    for (const r of rois) {
      assert.equal(evaSplit(r) === 'test', baselineSplit(r) === 'test', r.name);
    }
  });

  test('an unknown site is training data in both splits', () => {
    assert.equal(baselineSplit({ site: 'ZZ' }), 'train');
    assert.equal(evaSplit({ site: 'ZZ' }), 'train');
  });
});
