import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDelimited, parseDelimitedRows } from '../../src/catalog/csv.js';
import { UsageError } from '../../src/errors.js';

const csv = (text: string): string[][] => parseDelimited(text, { delimiter: ',', source: 't.csv' });

describe('parseDelimited', () => {
  test('splits plain records and fields', () => {
    assert.deepEqual(csv('a,b,c\n1,2,3\n'), [
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
  });

  test('CRLF, LF and lone CR give the same records', () => {
    const lf = csv('h1,h2\nx,y\nz,w\n');
    assert.deepEqual(csv('h1,h2\r\nx,y\r\nz,w\r\n'), lf);
    assert.deepEqual(csv('h1,h2\rx,y\rz,w\r'), lf);
  });

  test('a trailing line break adds no phantom row; its absence loses no row', () => {
    assert.equal(csv('a,b\n1,2\n').length, 2);
    assert.equal(csv('a,b\n1,2').length, 2);
    assert.equal(csv('a,b\r\n1,2\r\n\r\n').length, 2);
  });

  test('blank lines are skipped and do not shift line numbers', () => {
    const rows = parseDelimitedRows('a,b\n\n1,2\n\n3,4\n', { delimiter: ',', source: 't.csv' });
    assert.deepEqual(
      rows.map((r) => [r.line, r.fields]),
      [
        [1, ['a', 'b']],
        [3, ['1', '2']],
        [5, ['3', '4']],
      ],
    );
  });

  test('a leading BOM is stripped, so an empty first header stays empty', () => {
    assert.deepEqual(csv('\uFEFF,xmin\nA,1\n'), [
      ['', 'xmin'],
      ['A', '1'],
    ]);
  });

  test('quoted fields keep delimiters, doubled quotes and line breaks', () => {
    const rows = csv('name,note\n"a,b","say ""hi"""\n"multi\nline","crlf\r\ninside"\n"",x\n');
    assert.deepEqual(rows, [
      ['name', 'note'],
      ['a,b', 'say "hi"'],
      ['multi\nline', 'crlf\r\ninside'],
      ['', 'x'],
    ]);
  });

  test('empty fields, including a trailing one, are kept', () => {
    assert.deepEqual(csv(',b,\n1,,\n'), [
      ['', 'b', ''],
      ['1', '', ''],
    ]);
    assert.deepEqual(csv('a,b\n1,'), [
      ['a', 'b'],
      ['1', ''],
    ]);
  });

  test('tab-delimited text does not split on commas', () => {
    const rows = parseDelimited('label\tGT_code\r\na,b\t1\r\n', { delimiter: '\t', source: 'g.tsv' });
    assert.deepEqual(rows, [
      ['label', 'GT_code'],
      ['a,b', '1'],
    ]);
  });

  test('line numbers account for line breaks inside quoted fields', () => {
    const rows = parseDelimitedRows('a,b\n"x\ny\nz",1\nq,2\n', { delimiter: ',', source: 't.csv' });
    assert.deepEqual(
      rows.map((r) => r.line),
      [1, 2, 5],
    );
    assert.throws(
      () => csv('a,b\n"x\ny",1\nonly-one\n'),
      (e: unknown) => e instanceof UsageError && /^t\.csv line 4: expected 2 fields .* but found 1$/.test(e.message),
    );
  });

  test('an unterminated quote names the source and the line where it opened', () => {
    assert.throws(
      () => csv('a,b\n1,2\n3,"open\nstill open\n'),
      (e: unknown) => e instanceof UsageError && e.message.startsWith('t.csv line 3: unterminated quoted field'),
    );
  });

  test('a row with a different field count is rejected with its line number', () => {
    assert.throws(() => csv('a,b,c\n1,2,3\n4,5\n'), /^UsageError: t\.csv line 3: expected 3 fields \(as in the header on line 1\) but found 2$/);
    assert.throws(() => csv('a,b\n1,2,3\n'), /t\.csv line 2: expected 2 fields .* found 3/);
  });

  test('text after a closing quote and bare quotes in unquoted fields are rejected', () => {
    assert.throws(() => csv('a,b\n"x"y,1\n'), /t\.csv line 2: unexpected "y" after a closing quote/);
    assert.throws(() => csv('a,b\nx"y,1\n'), /t\.csv line 2: a `"` inside an unquoted field/);
  });

  test('empty text has no records', () => {
    assert.deepEqual(csv(''), []);
    assert.deepEqual(csv('\uFEFF'), []);
  });
});
