import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatFixedHalfEven,
  formatMm,
  mmPerPixel,
  parseHistomicsTkMaskName,
  parseRoiFileName,
  resolutionSuffix,
  roiFileName,
} from '../../src/geometry/naming.js';
import type { Resolution } from '../../src/geometry/types.js';

describe('resolutionSuffix (Python %.4f / %.2f)', () => {
  test('MPP-%.4f', () => {
    const cases: [number, string][] = [
      [0.25, 'MPP-0.2500'],
      [0.23, 'MPP-0.2300'],
      [0.2, 'MPP-0.2000'],
      [0.125, 'MPP-0.1250'],
      [0.5, 'MPP-0.5000'],
      [0.2523, 'MPP-0.2523'],
      [0.25236, 'MPP-0.2524'],
      [1, 'MPP-1.0000'],
      // exact binary tie: Python rounds to even, toFixed would give 0.0313
      [0.03125, 'MPP-0.0312'],
    ];
    for (const [mpp, want] of cases) assert.equal(resolutionSuffix({ kind: 'mpp', mpp }), want, String(mpp));
  });
  test('MAG-%.2f', () => {
    const cases: [number, string][] = [
      [20, 'MAG-20.00'],
      [40, 'MAG-40.00'],
      [40.5, 'MAG-40.50'],
      [2.5, 'MAG-2.50'],
      [10.005, 'MAG-10.01'], // the double is above 10.005
      [20.125, 'MAG-20.12'], // exact tie, to even
      [0.125, 'MAG-0.12'],
    ];
    for (const [magnification, want] of cases) {
      assert.equal(resolutionSuffix({ kind: 'mag', magnification }), want, String(magnification));
    }
  });
  test('base is MAG-0', () => assert.equal(resolutionSuffix({ kind: 'base' }), 'MAG-0'));
  test('rejects non-positive or non-finite values and unknown kinds', () => {
    assert.throws(() => resolutionSuffix({ kind: 'mpp', mpp: 0 }), /positive finite mpp/);
    assert.throws(() => resolutionSuffix({ kind: 'mag', magnification: Number.NaN }), /magnification/);
    assert.throws(() => resolutionSuffix({ kind: 'micron' } as unknown as Resolution), /unknown resolution kind/);
  });
});

describe('roiFileName', () => {
  test('the names the original script writes', () => {
    assert.equal(
      roiFileName('TCGA-A1-A0SK-DX1', 45749, 25055, { kind: 'mpp', mpp: 0.25 }),
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png',
    );
    assert.equal(
      roiFileName('TCGA-A2-A0YE-DX1', 59206, 33505, { kind: 'base' }),
      'TCGA-A2-A0YE-DX1_xmin59206_ymin33505_MAG-0.png',
    );
    assert.equal(
      roiFileName('TCGA-OL-A5RW-DX1', 0, 7, { kind: 'mag', magnification: 40 }),
      'TCGA-OL-A5RW-DX1_xmin0_ymin7_MAG-40.00.png',
    );
  });
  test('round-trips through parseRoiFileName', () => {
    const name = roiFileName('TCGA-E2-A1L7-DX1', 12345, 678, { kind: 'mpp', mpp: 0.23 });
    assert.deepEqual(parseRoiFileName(name), {
      roi: 'TCGA-E2-A1L7-DX1',
      site: 'E2',
      caseId: 'A1L7',
      xmin: 12345,
      ymin: 678,
      resolution: 'MPP-0.2300',
    });
  });
  test('rejects garbage ROI names, bad coordinates and bad resolutions', () => {
    const mpp: Resolution = { kind: 'mpp', mpp: 0.25 };
    for (const bad of ['', 'TCGA-A1-A0SK', 'tcga-a1-a0sk-dx1', 'TCGA-A1-A0SK-DX1/../x', 'TCGA-A1-A0SK-01Z-00-DX1']) {
      assert.throws(() => roiFileName(bad, 1, 1, mpp), /expected an ROI name like TCGA-A1-A0SK-DX1/, bad);
    }
    assert.throws(() => roiFileName('TCGA-A1-A0SK-DX1', -1, 1, mpp), /non-negative integer xmin/);
    assert.throws(() => roiFileName('TCGA-A1-A0SK-DX1', 1, 2.5, mpp), /non-negative integer ymin/);
    assert.throws(() => roiFileName('TCGA-A1-A0SK-DX1', Number.NaN, 1, mpp), /xmin/);
    assert.throws(() => roiFileName('TCGA-A1-A0SK-DX1', 1, 1, { kind: 'mpp', mpp: 0 }), /positive finite mpp/);
    assert.throws(() => roiFileName('TCGA-A1-A0SK-DX1', 1, 1, { kind: 'mpp', mpp: -0.25 }), /positive finite mpp/);
  });
});

describe('mmPerPixel and formatMm', () => {
  test('mm is the double nearest the decimal mpp / 1000', () => {
    assert.equal(mmPerPixel(0.25), 0.00025);
    assert.equal(mmPerPixel(0.23), 0.00023);
    assert.equal(mmPerPixel(0.2523), 0.0002523);
    assert.equal(mmPerPixel(0.12), 0.00012);
    assert.notEqual(0.12 / 1000, 0.00012); // dividing the double rounds twice: 0.00011999999999999999
    assert.equal(mmPerPixel(1.5e-4), 1.5e-7); // exponent-form input
    for (let k = 1; k <= 20000; k++) assert.equal(mmPerPixel(k / 10000), Number(`${k}e-7`), `mpp ${k / 10000}`);
    assert.throws(() => mmPerPixel(0), /positive finite mpp/);
  });
  test('shortest round-trip decimal without exponent notation', () => {
    const cases: [number, string][] = [
      [0.00025, '0.00025'],
      [0.00023, '0.00023'],
      [0.000252, '0.000252'],
      [0.0003, '0.0003'],
      [1e-7, '0.0000001'],
      [1.5e-7, '0.00000015'],
      [2.5e-10, '0.00000000025'],
      [0.001, '0.001'],
      [0.1, '0.1'],
      [3, '3'],
      [1e21, '1000000000000000000000'],
    ];
    for (const [mm, want] of cases) {
      assert.equal(formatMm(mm), want, String(mm));
      assert.equal(Number(formatMm(mm)), mm, 'round-trips');
    }
  });
  test('every mpp from 0.100 to 2.000 in 0.001 steps round-trips and never uses an exponent', () => {
    for (let k = 100; k <= 2000; k++) {
      const mm = mmPerPixel(k / 1000);
      const s = formatMm(mm);
      assert.match(s, /^0\.\d+$/);
      assert.equal(Number(s), mm);
    }
  });
  test('why not %.4f: the original sends 0.0003 for MPP 0.25', () => {
    assert.equal(formatFixedHalfEven(0.001 * 0.25, 4), '0.0003'); // the script's '%.4f' % (0.001 * MPP)
    assert.equal(formatFixedHalfEven(mmPerPixel(0.25), 4), '0.0003'); // a better mm alone does not help
    assert.equal(formatMm(mmPerPixel(0.25)), '0.00025');
    assert.equal(formatMm(mmPerPixel(0.23)), '0.00023');
  });
  test('rejects zero, negative and non-finite values', () => {
    assert.throws(() => formatMm(0), /positive finite mm per pixel/);
    assert.throws(() => formatMm(-1e-4), /positive finite/);
    assert.throws(() => formatMm(Number.POSITIVE_INFINITY), /positive finite/);
  });
});

describe('parseRoiFileName', () => {
  const base = { roi: 'TCGA-A1-A0SK-DX1', site: 'A1', caseId: 'A0SK', xmin: 45749, ymin: 25055 };
  test('every variant of docs/dataset.md#file-names', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png', { resolution: 'MPP-0.2500' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2300.png', { resolution: 'MPP-0.2300' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2000.png', { resolution: 'MPP-0.2000' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.png', { resolution: 'MPP-0' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MAG-40.00.png', { resolution: 'MAG-40.00' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MAG-0.png', { resolution: 'MAG-0' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500+17[0110].png', { resolution: 'MPP-0.2500', patch: 17, tags: '0110' }],
      ['TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500+3.png', { resolution: 'MPP-0.2500', patch: 3 }],
    ];
    for (const [name, extra] of cases) assert.deepEqual(parseRoiFileName(name), { ...base, ...extra }, name);
  });
  test('rejections', () => {
    const bad = [
      '',
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.jpg',
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.25.png', // not 4 decimals
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MAG-40.0.png', // not 2 decimals
      'TCGA-A1-A0SK-DX1_xmin-5_ymin25055_MPP-0.2500.png',
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055.png',
      'TCGA-A1-A0SK-DX2_xmin45749_ymin25055_MPP-0.2500.png',
      'tcga-a1-a0sk-dx1_xmin45749_ymin25055_MPP-0.2500.png',
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500+17[012].png',
      'TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500+17[0120].png',
      'masks/TCGA-A1-A0SK-DX1_xmin45749_ymin25055_MPP-0.2500.png', // base names only
      'TCGA-A1-A0SK-DX1_xmin99999999999999999999_ymin1_MAG-0.png', // beyond safe integers
    ];
    for (const name of bad) assert.equal(parseRoiFileName(name), null, name);
  });
});

describe('parseHistomicsTkMaskName', () => {
  test('2019 _mag-BASE form', () => {
    assert.deepEqual(
      parseHistomicsTkMaskName(
        'TCGA-A2-A0YE-01Z-00-DX1.8A2E3094-5755-42BC-969D-7F0A2ECA0F39_left-59206_top-33505_mag-BASE.png',
      ),
      { slide: 'TCGA-A2-A0YE-01Z-00-DX1.8A2E3094-5755-42BC-969D-7F0A2ECA0F39', site: 'A2', left: 59206, top: 33505 },
    );
  });
  test('current _bottom-…_right-… form', () => {
    assert.deepEqual(parseHistomicsTkMaskName('TCGA-A2-A0YE-DX1_left-59206_top-33505_bottom-38100_right-63749.png'), {
      slide: 'TCGA-A2-A0YE-DX1',
      site: 'A2',
      left: 59206,
      top: 33505,
      bottom: 38100,
      right: 63749,
    });
  });
  test('rejections', () => {
    for (const name of [
      'TCGA-A2-A0YE-DX1_left-59206_top-33505.png',
      'TCGA-A2-A0YE-DX1_left-59206_top-33505_mag-20.png',
      'TCGA-A2-A0YE-DX1_left-59206_top-33505_right-63749_bottom-38100.png',
      'TCGA-A2-A0YE-DX1_xmin59206_ymin33505_MAG-0.png',
      'slide_left-1_top-2_mag-BASE.png',
    ]) {
      assert.equal(parseHistomicsTkMaskName(name), null, name);
    }
  });
});
