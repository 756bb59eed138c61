import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG_SIGNATURE, parseJsonBody, sniffHead } from '../../src/transfer/sniff.js';
import { PNG_SMALL } from './helpers.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('sniffHead png', () => {
  test('accepts a real PNG from its 8-byte signature', () => {
    assert.deepEqual(sniffHead('png', PNG_SMALL, 'image/png', false), { ok: true });
    assert.deepEqual(sniffHead('png', PNG_SMALL.subarray(0, 8), null, false), { ok: true });
    assert.deepEqual(Array.from(PNG_SMALL.subarray(0, 8)), PNG_SIGNATURE);
  });
  test('asks for more bytes on a correct but short prefix, and rejects it once complete', () => {
    assert.deepEqual(sniffHead('png', PNG_SMALL.subarray(0, 3), null, false), { ok: undefined });
    assert.equal(sniffHead('png', PNG_SMALL.subarray(0, 3), null, true).ok, false);
  });
  test('rejects an HTML page by its first bytes or its Content-Type', () => {
    const page = sniffHead('png', bytes('<!DOCTYPE html><html>'), null, false);
    assert.equal(page.ok, false);
    assert.match(page.ok === false ? page.reason : '', /PNG.*<!DOCTYPE html>/);
    const typed = sniffHead('png', PNG_SMALL, 'text/html; charset=utf-8', false);
    assert.equal(typed.ok, false);
    assert.match(typed.ok === false ? typed.reason : '', /HTML page/);
  });
  test('rejects an empty body', () => {
    const v = sniffHead('png', new Uint8Array(0), 'image/png', true);
    assert.equal(v.ok, false);
    assert.match(v.ok === false ? v.reason : '', /0 bytes/);
  });
});

describe('sniffHead json', () => {
  test('accepts objects and arrays after leading whitespace', () => {
    assert.deepEqual(sniffHead('json', bytes('{"a":1}'), 'application/json', true), { ok: true });
    assert.deepEqual(sniffHead('json', bytes(' \r\n\t[1]'), null, true), { ok: true });
  });
  test('rejects HTML, scalars and whitespace-only bodies', () => {
    assert.equal(sniffHead('json', bytes('<html>'), null, true).ok, false);
    assert.equal(sniffHead('json', bytes('{"a":1}'), 'text/html', true).ok, false);
    assert.equal(sniffHead('json', bytes('"str"'), null, true).ok, false);
    assert.deepEqual(sniffHead('json', bytes('   '), null, false), { ok: undefined });
    assert.equal(sniffHead('json', bytes('   '), null, true).ok, false);
  });
  test('"any" accepts everything, even HTML', () => {
    assert.deepEqual(sniffHead('any', bytes('<html>'), 'text/html', true), { ok: true });
  });
});

describe('parseJsonBody', () => {
  test('parses valid JSON', () => {
    assert.deepEqual(parseJsonBody(bytes('[{"a":1},{"b":2}]')), { ok: true, value: [{ a: 1 }, { b: 2 }] });
  });
  test('reports Girder-style invalid JSON (a doubled separator) as a fault', () => {
    const r = parseJsonBody(bytes('[{"a":1},,{"b":2}]'));
    assert.equal(r.ok, false);
    assert.match(r.ok === false ? r.reason : '', /not valid JSON/);
  });
});
