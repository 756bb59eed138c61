import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRedactor } from '../../src/transfer/redact.js';

describe('createRedactor', () => {
  test('masks known secrets, also percent-encoded', () => {
    const secret = 'pa$$ word/+=';
    const redact = createRedactor(() => [secret]);
    const text = `key ${secret} in url ?x=${encodeURIComponent(secret)}&y=${new URLSearchParams({ s: secret }).toString().slice(2)}`;
    const out = redact(text);
    assert.ok(!out.includes(secret));
    assert.ok(!out.includes(encodeURIComponent(secret)));
    assert.equal(out.match(/\*\*\*/g)?.length, 3);
  });
  test('masks token/key/signature query values without knowing them', () => {
    const redact = createRedactor();
    assert.equal(redact('https://h/api/v1/api_key/token?key=abc123&duration=1'), 'https://h/api/v1/api_key/token?key=***&duration=1');
    assert.equal(redact('http://h/x?a=1&token=t0k3n'), 'http://h/x?a=1&token=***');
    assert.equal(redact('https://s3/obj?X-Amz-Signature=deadbeef&X-Amz-Expires=10'), 'https://s3/obj?X-Amz-Signature=***&X-Amz-Expires=10');
    assert.equal(redact('http://h/x?monkey=1'), 'http://h/x?monkey=***');
    assert.equal(redact('http://h/x?page=1'), 'http://h/x?page=1');
  });
  test('masks credential header values in free text and passwords in URLs', () => {
    const redact = createRedactor();
    assert.equal(redact('Girder-Token: abcdef'), 'Girder-Token: ***');
    assert.equal(redact('{"Authorization": "token abc def"}'), '{"Authorization": "***"}');
    assert.equal(redact('x-auth-token=zzz'), 'x-auth-token=***');
    assert.equal(redact('https://user:hunter2@example.org/a'), 'https://user:***@example.org/a');
  });
  test('reads secrets on every call and ignores empty ones', () => {
    const list: string[] = [''];
    const redact = createRedactor(() => list);
    assert.equal(redact('abc'), 'abc');
    list.push('later-secret');
    assert.equal(redact('a later-secret b'), 'a *** b');
  });
});
