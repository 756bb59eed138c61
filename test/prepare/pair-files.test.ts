import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRoiFileName } from '../../src/geometry/naming.js';
import type { ExpectedFiles } from '../../src/prepare/lock-expectations.js';
import { pairFileNames } from '../../src/prepare/pair-files.js';
import { syntheticRois } from './synthetic-dataset.js';

const names = syntheticRois().map((r) => r.fileName);

/** A fixed permutation, so the listing order is neither sorted nor the same in both folders. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function lockFor(files: readonly string[]): ExpectedFiles {
  const m = new Map(files.map((f) => [parseRoiFileName(f)?.roi as string, f]));
  return { images: new Map(m), masks: new Map(m) };
}

describe('pairFileNames', () => {
  test('pairs by parsed ROI name whatever the listing order', () => {
    const images = shuffled(names, 7);
    const masks = shuffled(names, 99);
    assert.notDeepEqual(images, masks); // the test is only meaningful if the orders differ
    const r = pairFileNames({ imageNames: images, maskNames: masks, expected: null, needImages: true });
    assert.deepEqual(r.problems, []);
    assert.equal(r.pairs.length, names.length);
    for (const p of r.pairs) {
      assert.equal(parseRoiFileName(p.image as string)?.roi, p.roi);
      assert.equal(parseRoiFileName(p.mask)?.roi, p.roi);
      assert.equal(p.site, p.roi.split('-')[1]);
    }
    assert.deepEqual(
      r.pairs.map((p) => p.roi),
      [...r.pairs.map((p) => p.roi)].sort(),
    );
  });

  test('a missing mask is named and shifts nothing (the torch-em failure)', () => {
    const missing = names[1] as string;
    const r = pairFileNames({ imageNames: names, maskNames: names.filter((n) => n !== missing), expected: null, needImages: true });
    const roi = parseRoiFileName(missing)?.roi as string;
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0] as string, new RegExp(`^masks/ has no file for ${roi}`));
    // Every remaining pair is still correct.
    for (const p of r.pairs) assert.equal(p.image, p.mask);
    assert.ok(!r.pairs.some((p) => p.roi === roi));
  });

  test('the lock makes ROIs missing from both folders visible, with the expected file name', () => {
    const gone = names[2] as string;
    const present = names.filter((n) => n !== gone);
    const r = pairFileNames({ imageNames: present, maskNames: present, expected: lockFor(names), needImages: true });
    assert.equal(r.problems.length, 2);
    assert.ok(r.problems.some((p) => p.includes(`bcss.lock.json expects masks/${gone}`)));
    assert.ok(r.problems.some((p) => p.includes(`bcss.lock.json expects images/${gone}`)));
  });

  test('two files for one ROI (mixed resolutions) are refused, not guessed', () => {
    const first = names[0] as string;
    const older = first.replace('MPP-0.2500', 'MPP-0.2300');
    const r = pairFileNames({ imageNames: [...names, older], maskNames: names, expected: null, needImages: true });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0] as string, /images\/ has 2 files for TCGA-/);
    assert.ok((r.problems[0] as string).includes(older));
  });

  test('a file other than the one the lock lists is reported', () => {
    const first = names[0] as string;
    const other = first.replace('MPP-0.2500', 'MAG-20.00');
    const r = pairFileNames({ imageNames: names, maskNames: [other, ...names.slice(1)], expected: lockFor(names), needImages: true });
    assert.equal(r.problems.length, 1);
    assert.ok((r.problems[0] as string).includes(`holds ${other}`));
  });

  test('non-BCSS names are left out and listed; masks-only pairing ignores images', () => {
    const r = pairFileNames({ imageNames: [], maskNames: [...names, 'notes.png'], expected: null, needImages: false });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.unrecognised, ['masks/notes.png']);
    assert.equal(r.pairs.length, names.length);
    assert.ok(r.pairs.every((p) => p.image === null));
  });
});
