import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { builtinClasses, classGroups } from '../../src/catalog/classes.js';
import { csvRow } from '../../src/prepare/csv-row.js';
import { labelMapping } from '../../src/prepare/label-mapping.js';
import { countInside, cutMaskTile, tileOrigins } from '../../src/prepare/tile-grid.js';
import { sampleLabels, thumbSize } from '../../src/prepare/thumbnails.js';

describe('label mapping', () => {
  test('baseline groups follow the catalog for every code, with raw tumour (1) as tumor (eva misses it)', () => {
    for (const exclude of ['other', 'ignore'] as const) {
      const m = labelMapping('baseline', exclude);
      const groups = classGroups({ exclude });
      for (const c of builtinClasses()) {
        const value = m.lut[c.code] as number;
        assert.equal(m.values[value]?.name, groups.get(c.code), `code ${c.code}`);
        assert.ok(m.values[value]?.codes.includes(c.code));
      }
      assert.equal(m.lut[1], 1);
      assert.equal(m.lut[0], 0);
      assert.equal(m.lut[7], exclude === 'ignore' ? 0 : 5);
    }
  });

  test('raw keeps the 22 codes', () => {
    const m = labelMapping('raw', 'other');
    assert.equal(m.values.length, 22);
    for (let c = 0; c <= 21; c++) assert.equal(m.lut[c], c);
  });
});

describe('tile grid', () => {
  test('origins hold whole tiles only', () => {
    assert.deepEqual(tileOrigins(40, 10, 10), [0, 10, 20, 30]);
    assert.deepEqual(tileOrigins(39, 10, 10), [0, 10, 20]);
    assert.deepEqual(tileOrigins(22, 10, 6), [0, 6, 12]);
    assert.deepEqual(tileOrigins(9, 10, 10), []);
  });

  test('inside count and mapped cut agree with a direct count', () => {
    const w = 7;
    const mask = Uint8Array.from({ length: w * 5 }, (_, i) => (i % 3 === 0 ? 0 : (i % 22) as number));
    const lut = labelMapping('baseline', 'other').lut;
    const { pixels, counts } = cutMaskTile(mask, w, 2, 1, 3, lut);
    let inside = 0;
    for (let y = 1; y < 4; y++) {
      for (let x = 2; x < 5; x++) {
        const v = mask[y * w + x] as number;
        if (v !== 0) inside += 1;
        assert.equal(pixels[(y - 1) * 3 + (x - 2)], lut[v]);
      }
    }
    assert.equal(countInside(mask, w, 2, 1, 3), inside);
    assert.equal([...counts].reduce((a, b) => a + b, 0), 9);
  });
});

describe('thumbnails and CSV', () => {
  test('thumbnail sizes fit the box and never enlarge', () => {
    assert.deepEqual(thumbSize(1000, 500, 512), { width: 512, height: 256 });
    assert.deepEqual(thumbSize(500, 1000, 512), { width: 256, height: 512 });
    assert.deepEqual(thumbSize(100, 50, 512), { width: 100, height: 50 });
  });

  test('nearest sampling never invents labels', () => {
    const mask = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const out = sampleLabels(mask, 3, 2, 2, 1);
    for (const v of out) assert.ok(mask.includes(v));
    assert.deepEqual([...sampleLabels(mask, 3, 2, 3, 2)], [...mask]);
  });

  test('csv quoting', () => {
    assert.equal(csvRow(['a', 1, 'b,c', 'say "x"']), 'a,1,"b,c","say ""x"""\n');
  });
});
