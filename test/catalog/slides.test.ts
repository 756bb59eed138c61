import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRois } from '../../src/catalog/rois.js';
import {
  builtinSlides,
  findSlideByFileName,
  findSlideForRoi,
  parseSlideTable,
  slideNameKey,
} from '../../src/catalog/slides.js';
import { UsageError } from '../../src/errors.js';

// docs/dataset.md#what-the-dataset-is: every A8 and AO slide plus the single HN slide.
const TWENTY_X = [
  'TCGA-A8-A07C', 'TCGA-A8-A07O', 'TCGA-A8-A08R', 'TCGA-A8-A09X', 'TCGA-AO-A03U', 'TCGA-AO-A0J2', 'TCGA-AO-A0J4',
  'TCGA-AO-A0J6', 'TCGA-AO-A124', 'TCGA-AO-A128', 'TCGA-AO-A129', 'TCGA-AO-A12F', 'TCGA-AO-A1KR', 'TCGA-HN-A2NL',
];
// data/README.md: the four slide names with a lowercase UUID.
const LOWERCASE_UUID = ['TCGA-BH-A0B9', 'TCGA-E2-A1LI', 'TCGA-E2-A1LS', 'TCGA-EW-A1PH'];

const HEADER = ',name,_id,magnification\n';
const ROW = 'TCGA-A1-A0SK,TCGA-A1-A0SK-01Z-00-DX1.A44D70FA-4D96-43F4-9DD7-A61535786297.svs,5bbdeed1e629140048d01bcb,40.0\n';

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseSlideTable(text, 'slides.csv'),
    (e: unknown) => e instanceof UsageError && pattern.test(e.message),
  );
}

describe('builtinSlides (the shipped slide_magnifications.csv)', () => {
  const slides = builtinSlides();

  test('has 151 slides with distinct case ids and 24-hex DSA item ids', () => {
    assert.equal(slides.length, 151);
    assert.equal(new Set(slides.map((s) => s.caseId)).size, 151);
    assert.equal(new Set(slides.map((s) => s.dsaItemId)).size, 151);
    for (const s of slides) {
      assert.match(s.dsaItemId, /^[0-9a-f]{24}$/);
      assert.match(s.fileName, /^TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}-01Z-00-DX1\.[0-9A-Fa-f-]{36}\.svs$/);
      assert.equal(s.fileName.slice(0, 12), s.caseId);
    }
  });

  test('137 slides are at 40x and exactly the 14 listed ones at 20x', () => {
    assert.equal(slides.filter((s) => s.magnification === 40).length, 137);
    const twenty = slides.filter((s) => s.magnification === 20).map((s) => s.caseId);
    assert.deepEqual(twenty.sort(), [...TWENTY_X].sort());
    assert.ok(slides.every((s) => s.magnification === 40 || s.magnification === 20));
  });

  test('exactly four names carry a lowercase UUID, and they match case-insensitively', () => {
    const lower = slides.filter((s) => /[a-f]/.test(s.fileName.split('.')[1] ?? '')).map((s) => s.caseId);
    assert.deepEqual(lower.sort(), LOWERCASE_UUID);
    for (const caseId of LOWERCASE_UUID) {
      const slide = slides.find((s) => s.caseId === caseId);
      assert.ok(slide !== undefined);
      assert.equal(findSlideByFileName(slide.fileName.toUpperCase(), slides), slide);
      assert.equal(findSlideByFileName(` ${slide.fileName.toLowerCase()} `, slides), slide);
      assert.equal(slideNameKey(slide.fileName), slide.fileName.toUpperCase());
    }
    assert.equal(findSlideByFileName('TCGA-ZZ-ZZZZ-01Z-00-DX1.X.svs', slides), undefined);
  });

  test('every built-in ROI finds its slide', () => {
    for (const roi of builtinRois()) {
      const slide = findSlideForRoi(roi, slides);
      assert.equal(slide?.caseId, roi.caseId, roi.name);
    }
  });
});

describe('findSlideForRoi', () => {
  const slides = builtinSlides();
  test('matches the case id ignoring case but requires the same DX number', () => {
    const slide = findSlideForRoi({ name: 'tcga-bh-a0b9-dx1', caseId: 'tcga-bh-a0b9' }, slides);
    assert.equal(slide?.caseId, 'TCGA-BH-A0B9');
    assert.equal(findSlideForRoi({ name: 'TCGA-BH-A0B9-DX2', caseId: 'TCGA-BH-A0B9' }, slides), undefined);
    assert.equal(findSlideForRoi({ name: 'TCGA-ZZ-ZZZZ-DX1', caseId: 'TCGA-ZZ-ZZZZ' }, slides), undefined);
  });
});

describe('parseSlideTable', () => {
  test('reads 40.0 / 20.0 as numbers and tolerates reordered columns', () => {
    const text = 'magnification,_id,,name\n20.0,5bbdeed1e629140048d01bcb,TCGA-A1-A0SK,TCGA-A1-A0SK-01Z-00-DX1.abc.svs\n';
    assert.deepEqual(parseSlideTable(text, 'slides.csv'), [
      { caseId: 'TCGA-A1-A0SK', fileName: 'TCGA-A1-A0SK-01Z-00-DX1.abc.svs', dsaItemId: '5bbdeed1e629140048d01bcb', magnification: 20 },
    ]);
  });

  test('bad rows are rejected with the line number', () => {
    rejects(`${HEADER}${ROW}${ROW.replace('40.0', 'forty')}`, /^slides\.csv line 3: magnification "forty" is not a positive number/);
    rejects(`${HEADER}${ROW.replace('40.0', '0')}`, /^slides\.csv line 2: magnification "0"/);
    rejects(`${HEADER}${ROW.replace('5bbdeed1e629140048d01bcb', '5bbdeed1')}`, /^slides\.csv line 2: _id "5bbdeed1" is not a 24-hex DSA item id$/);
    rejects(`${HEADER}${ROW.replace('TCGA-A1-A0SK,', 'A1-A0SK,')}`, /^slides\.csv line 2: case id "A1-A0SK" does not look like TCGA-XX-XXXX$/);
    rejects(`${HEADER}${ROW.replace('TCGA-A1-A0SK-01Z', 'TCGA-A1-A0SP-01Z')}`, /^slides\.csv line 2: slide name ".*" should be TCGA-A1-A0SK-/);
    rejects(`${HEADER}${ROW}${ROW.replace('5bbdeed1e', '5bbdeed1f')}`, /^slides\.csv line 3: duplicate case TCGA-A1-A0SK \(already on line 2\)$/);
  });

  test('missing columns and empty tables are reported', () => {
    rejects('case,name,_id,magnification\n', /^slides\.csv line 1: missing the case-id column/);
    rejects(',name,magnification\n', /^slides\.csv line 1: missing column "_id"/);
    rejects(HEADER, /^slides\.csv: no slide rows after the header$/);
    rejects('', /^slides\.csv: the file is empty/);
  });
});
