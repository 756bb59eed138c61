import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinClasses, classGroups, gtCodes, parseClassTable } from '../../src/catalog/classes.js';
import { UsageError } from '../../src/errors.js';

// docs/dataset.md#class-codes, in code order 0..21.
const NAMES = [
  'outside_roi', 'tumor', 'stroma', 'lymphocytic_infiltrate', 'necrosis_or_debris', 'glandular_secretions', 'blood',
  'exclude', 'metaplasia_NOS', 'fat', 'plasma_cells', 'other_immune_infiltrate', 'mucoid_material',
  'normal_acinus_or_duct', 'lymphatics', 'undetermined', 'nerve', 'skin_adnexa', 'blood_vessel', 'angioinvasion',
  'dcis', 'other',
];
// The Baseline grouping table of docs/dataset.md#baseline-grouping; everything not listed is "other".
const BASELINE: Record<string, number[]> = {
  tumor: [1, 19, 20],
  stroma: [2],
  inflammatory: [3, 10, 11],
  necrosis: [4],
  ignore: [0],
};
const TSV = new URL('../../data/gtruth_codes.tsv', import.meta.url);

function expectedGroup(code: number): string {
  return Object.entries(BASELINE).find(([, codes]) => codes.includes(code))?.[0] ?? 'other';
}

describe('builtinClasses', () => {
  const classes = builtinClasses();

  test('has codes 0..21 with the gtruth_codes.tsv names', () => {
    assert.deepEqual(
      classes.map((c) => c.code),
      NAMES.map((_, i) => i),
    );
    assert.deepEqual(
      classes.map((c) => c.name),
      NAMES,
    );
  });

  test('baseline groups follow the grand-challenge table', () => {
    for (const c of classes) assert.equal(c.group, expectedGroup(c.code), c.name);
  });

  test('DSA group names and overlay orders follow HistomicsTK', () => {
    const byCode = new Map(classes.map((c) => [c.code, c]));
    assert.deepEqual([byCode.get(0)?.dsaGroup, byCode.get(0)?.overlayOrder], [null, null]);
    assert.equal(byCode.get(17)?.dsaGroup, 'skin_adnexia');
    assert.equal(byCode.get(3)?.dsaGroup, 'mostly_lymphocytic_infiltrate');
    assert.equal(byCode.get(2)?.overlayOrder, 2);
    assert.equal(byCode.get(7)?.overlayOrder, 3);
    const others = classes.filter((c) => c.code !== 0 && c.code !== 2 && c.code !== 7);
    assert.ok(others.every((c) => c.overlayOrder === 1));
    assert.equal(new Set(classes.map((c) => c.dsaGroup)).size, 22);
  });
});

describe('gtCodes (the rasteriser table)', () => {
  const rows = gtCodes();
  test('one row per class 1..21 plus roi (254) and evaluation_roi (253)', () => {
    assert.deepEqual(
      rows.map((r) => r.code).sort((a, b) => a - b),
      [...Array.from({ length: 21 }, (_, i) => i + 1), 253, 254],
    );
    const roi = rows.filter((r) => r.isRoi);
    assert.deepEqual(
      roi.map((r) => [r.group, r.code]),
      [
        ['roi', 254],
        ['evaluation_roi', 253],
      ],
    );
    assert.ok(rows.every((r) => r.code > 0), 'GT codes must be > 0');
  });

  test('stroma is the only background class and no group repeats', () => {
    assert.deepEqual(
      rows.filter((r) => r.isBackground).map((r) => [r.group, r.code]),
      [['mostly_stroma', 2]],
    );
    assert.equal(new Set(rows.map((r) => r.group)).size, rows.length);
    const classes = new Map(builtinClasses().map((c) => [c.code, c]));
    for (const r of rows.filter((x) => !x.isRoi)) {
      assert.equal(r.group, classes.get(r.code)?.dsaGroup);
      assert.equal(r.overlayOrder, classes.get(r.code)?.overlayOrder);
    }
  });
});

describe('classGroups', () => {
  test('defaults to the literal baseline (exclude and undetermined are other)', () => {
    const map = classGroups();
    assert.equal(map.size, 22);
    for (const [code, group] of map) assert.equal(group, expectedGroup(code));
  });

  test('exclude and undetermined can be sent to ignore independently', () => {
    const a = classGroups({ exclude: 'ignore' });
    assert.deepEqual([a.get(7), a.get(15), a.get(0)], ['ignore', 'other', 'ignore']);
    const b = classGroups({ undetermined: 'ignore' });
    assert.deepEqual([b.get(7), b.get(15)], ['other', 'ignore']);
    assert.equal(classGroups()?.get(7), 'other', 'options do not leak between calls');
  });

  test('an unknown treatment is a usage error', () => {
    // Simulates an unchecked value arriving from a flag or config file.
    const bad = { exclude: 'drop' } as unknown as Parameters<typeof classGroups>[0];
    assert.throws(() => classGroups(bad), (e: unknown) => e instanceof UsageError && /expected "other" or "ignore" but received "drop"/.test(e.message));
  });
});

describe('parseClassTable', () => {
  const text = readFileSync(TSV, 'utf8');
  test('LF copies parse the same as the CRLF original', () => {
    assert.deepEqual(parseClassTable(text.replaceAll('\r\n', '\n'), 'g.tsv'), builtinClasses());
  });

  test('rejects unknown codes, wrong labels, duplicates and missing codes', () => {
    const check = (t: string, re: RegExp): void =>
      assert.throws(() => parseClassTable(t, 'g.tsv'), (e: unknown) => e instanceof UsageError && re.test(e.message));
    check(`${text}mystery\t22\r\n`, /^g\.tsv line 24: class code 22 \(mystery\) has no known DSA group/);
    check(text.replace('tumor\t1', 'tumour\t1'), /^g\.tsv line 3: class code 1 is labelled "tumour", expected "tumor"$/);
    check(text.replace('dcis\t20\r\n', ''), /^g\.tsv: class code 20 is missing$/);
    check(`${text}tumor\t1\r\n`, /^g\.tsv line 24: duplicate class code 1$/);
    check(text.replace('fat\t9', 'fat\tnine'), /^g\.tsv line 11: GT_code "nine" is not 0\.\.255$/);
    check('name\tcode\r\n', /^g\.tsv line 1: expected the header label<TAB>GT_code$/);
  });
});
