import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinRois, parseRoiTable, ROI_NAME_PATTERN } from '../../src/catalog/rois.js';
import { UsageError } from '../../src/errors.js';

const ROI_CSV = new URL('../../data/roiBounds.csv', import.meta.url);
const HEADER = ',xmin,ymin,xmax,ymax,mask_link\r\n';
const LINK = 'https://ndownloader.figshare.com/files/';

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseRoiTable(text, 'rois.csv'),
    (e: unknown) => e instanceof UsageError && pattern.test(e.message),
  );
}

describe('builtinRois (the shipped roiBounds.csv)', () => {
  const rois = builtinRois();

  test('has 151 uniquely named DX1 ROIs, sorted by name', () => {
    assert.equal(rois.length, 151);
    assert.equal(new Set(rois.map((r) => r.name)).size, 151);
    for (const r of rois) {
      assert.match(r.name, ROI_NAME_PATTERN);
      assert.ok(r.name.endsWith('-DX1'), r.name);
      assert.equal(r.caseId, r.name.slice(0, 12));
      assert.equal(r.site, r.name.split('-')[1]);
    }
    const names = rois.map((r) => r.name);
    assert.deepEqual(names, [...names].sort());
  });

  test('mask ids are 151 distinct figshare ids from 13243676 to 13244129', () => {
    const ids = rois.map((r) => r.maskFileId);
    assert.equal(new Set(ids).size, 151);
    assert.equal(Math.min(...ids), 13243676);
    assert.equal(Math.max(...ids), 13244129);
    for (const r of rois) assert.equal(r.maskUrl, `${LINK}${r.maskFileId}`);
  });

  test('bounds are non-negative integers with room for a non-empty mask', () => {
    for (const r of rois) {
      for (const v of [r.xmin, r.ymin, r.xmax, r.ymax]) assert.ok(Number.isSafeInteger(v) && v >= 0);
      assert.ok(r.xmax - r.xmin - 1 >= 1 && r.ymax - r.ymin - 1 >= 1, r.name);
    }
  });

  test('matches every data line of the file, field for field', () => {
    // Independent of the parser under test: the file is plain (no quotes), so a split suffices.
    const lines = readFileSync(ROI_CSV, 'utf8').split('\r\n').filter((l) => l !== '');
    assert.equal(lines[0], ',xmin,ymin,xmax,ymax,mask_link');
    const expected = lines.slice(1).map((l) => l.split(','));
    assert.deepEqual(
      rois.map((r) => [r.name, String(r.xmin), String(r.ymin), String(r.xmax), String(r.ymax), r.maskUrl]),
      expected,
    );
  });

  test('the A2-A0YE bounds are the ones the mask-size rule was measured on (docs/dataset.md#roi-bounds-and-mask-size)', () => {
    const a0ye = rois.find((r) => r.name === 'TCGA-A2-A0YE-DX1');
    assert.deepEqual(a0ye && [a0ye.xmin, a0ye.ymin, a0ye.xmax, a0ye.ymax], [59206, 33505, 63749, 38100]);
  });

  test('callers get a copy of the list and frozen records', () => {
    const mine = builtinRois();
    mine.pop();
    assert.equal(builtinRois().length, 151);
    const first = builtinRois()[0];
    assert.ok(first !== undefined && Object.isFrozen(first));
  });

  test('the same table with a BOM and LF line endings parses identically', () => {
    const text = `\uFEFF${readFileSync(ROI_CSV, 'utf8').replaceAll('\r\n', '\n')}`;
    assert.deepEqual(parseRoiTable(text, 'copy.csv'), rois);
  });
});

describe('parseRoiTable on user tables', () => {
  test('old float bounds are read like int(float(v))', () => {
    const [r] = parseRoiTable(`${HEADER}TCGA-A1-A0SK-DX1,45749.0,25055.00,4.9789e4,27991.,${LINK}13243676\r\n`, 'old.csv');
    assert.deepEqual(r && [r.xmin, r.ymin, r.xmax, r.ymax], [45749, 25055, 49789, 27991]);
  });

  test('non-integral, negative, empty and non-numeric bounds are rejected with the line', () => {
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,45749.5,1,50000,9,${LINK}1\r\n`, /^rois\.csv line 2: xmin \(45749\.5\) is not a whole number/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,-5,50,90,${LINK}1\r\n`, /^rois\.csv line 2: ymin \(-5\) must not be negative$/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,5,,90,${LINK}1\r\n`, /^rois\.csv line 2: xmax is empty$/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,5,0x40,90,${LINK}1\r\n`, /^rois\.csv line 2: xmax \("0x40"\) is not a number$/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,5,40,nan,${LINK}1\r\n`, /^rois\.csv line 2: ymax \("nan"\) is not a number$/);
  });

  test('max must exceed min + 1 on both axes', () => {
    const row2 = `TCGA-A1-A0SK-DX1,10,20,30,40,${LINK}1\r\n`;
    rejects(`${HEADER}${row2}TCGA-A1-A0SP-DX1,200,5,100,90,${LINK}2\r\n`, /^rois\.csv line 3: xmax \(100\) must be greater than xmin \(200\)$/);
    rejects(`${HEADER}TCGA-A1-A0SP-DX1,10,90,50,90,${LINK}2\r\n`, /^rois\.csv line 2: ymax \(90\) must be greater than ymin \(90\)$/);
    rejects(`${HEADER}TCGA-A1-A0SP-DX1,10,20,11,90,${LINK}2\r\n`, /^rois\.csv line 2: xmax \(11\) must be at least xmin \+ 2 \(12\)/);
    const [ok] = parseRoiTable(`${HEADER}TCGA-A1-A0SP-DX1,10,20,12,22,${LINK}2\r\n`, 'rois.csv');
    assert.deepEqual(ok && [ok.xmax - ok.xmin - 1, ok.ymax - ok.ymin - 1], [1, 1]);
  });

  test('ROI names must look like TCGA-XX-XXXX-DX<n>', () => {
    rejects(`${HEADER}TCGA-A1-A0SK,1,2,30,40,${LINK}1\r\n`, /^rois\.csv line 2: ROI name "TCGA-A1-A0SK" does not look like TCGA-XX-XXXX-DX<n>$/);
    rejects(`${HEADER}tcga-a1-a0sk-dx1,1,2,30,40,${LINK}1\r\n`, /line 2: ROI name "tcga-a1-a0sk-dx1"/);
    const [dx2] = parseRoiTable(`${HEADER}TCGA-A1-A0SK-DX2,1,2,30,40,${LINK}1\r\n`, 'rois.csv');
    assert.equal(dx2?.caseId, 'TCGA-A1-A0SK');
  });

  test('duplicate names and duplicate mask ids are rejected, naming both lines', () => {
    rejects(
      `${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,${LINK}1\r\nTCGA-A1-A0SP-DX1,1,2,30,40,${LINK}2\r\nTCGA-A1-A0SK-DX1,1,2,30,40,${LINK}3\r\n`,
      /^rois\.csv line 4: duplicate ROI TCGA-A1-A0SK-DX1 \(already on line 2\)$/,
    );
    rejects(
      `${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,${LINK}7\r\nTCGA-A1-A0SP-DX1,1,2,30,40,${LINK}7\r\n`,
      /^rois\.csv line 3: mask file id 7 is already used by TCGA-A1-A0SK-DX1 on line 2$/,
    );
  });

  test('any http(s) link whose path ends in /files/<digits> is a mask link', () => {
    const rois = parseRoiTable(
      `${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,http://127.0.0.1:8080/figshare/files/42\r\nTCGA-A1-A0SP-DX1,1,2,30,40,https://mirror.example/x/files/43?dl=1\r\n`,
      'rois.csv',
    );
    assert.deepEqual(
      rois.map((r) => [r.maskFileId, r.maskUrl]),
      [
        [42, 'http://127.0.0.1:8080/figshare/files/42'],
        [43, 'https://mirror.example/x/files/43?dl=1'],
      ],
    );
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,https://figshare.com/articles/7193138\r\n`, /line 2: mask_link "https:\/\/figshare\.com\/articles\/7193138" is not a figshare file link/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,ftp://host/files/5\r\n`, /line 2: mask_link .* is not a figshare file link/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40,files/5\r\n`, /line 2: mask_link "files\/5" is not a URL/);
  });

  test('columns are found by header name: reordered, quoted and extra columns work', () => {
    const text = 'mask_link,ymax,xmax,,ymin,xmin,comment\n' + `"${LINK}9",40,30,"TCGA-A1-A0SK-DX1",2,1,"a, note"\n`;
    assert.deepEqual(parseRoiTable(text, 'mine.csv'), [
      {
        name: 'TCGA-A1-A0SK-DX1',
        caseId: 'TCGA-A1-A0SK',
        site: 'A1',
        xmin: 1,
        ymin: 2,
        xmax: 30,
        ymax: 40,
        maskFileId: 9,
        maskUrl: `${LINK}9`,
      },
    ]);
  });

  test('a named roi column is accepted when no column has an empty header', () => {
    const [r] = parseRoiTable(`roi,xmin,ymin,xmax,ymax,mask_link\nTCGA-A1-A0SK-DX1,1,2,30,40,${LINK}9\n`, 'mine.csv');
    assert.equal(r?.name, 'TCGA-A1-A0SK-DX1');
    rejects(`id,xmin,ymin,xmax,ymax,mask_link\nTCGA-A1-A0SK-DX1,1,2,30,40,${LINK}9\n`, /^rois\.csv line 1: no ROI-name column/);
  });

  test('without a mask_link column (Aug 2019 copies) the built-in link is used', () => {
    const rois = parseRoiTable(',xmin,ymin,xmax,ymax\nTCGA-A1-A0SK-DX1,45749.0,25055.0,49789.0,27991.0\n', 'aug2019.csv');
    const builtin = builtinRois()[0];
    assert.equal(builtin?.name, 'TCGA-A1-A0SK-DX1');
    assert.deepEqual(rois, [builtin]);
    rejects(',xmin,ymin,xmax,ymax\nTCGA-ZZ-ZZZZ-DX1,1,2,30,40\n', /^rois\.csv line 2: the table has no mask_link column and TCGA-ZZ-ZZZZ-DX1 is not a BCSS ROI/);
  });

  test('structural problems are reported with the source name', () => {
    rejects('', /^rois\.csv: the file is empty/);
    rejects(HEADER, /^rois\.csv: no ROI rows after the header$/);
    rejects(',ymin,xmax,ymax,mask_link\r\nTCGA-A1-A0SK-DX1,1,2,3,x\r\n', /^rois\.csv line 1: missing column "xmin"/);
    rejects(`${HEADER}TCGA-A1-A0SK-DX1,1,2,30,40\r\n`, /^rois\.csv line 2: expected 6 fields/);
  });
});
