import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, DiskError, HttpError, IntegrityError, NetworkError } from '../../src/errors.js';
import {
  backoffDelay,
  classifyFault,
  decideRetry,
  isNetworkFault,
  isRetryableStatus,
  parseRetryAfter,
} from '../../src/transfer/retry-policy.js';
import { EMPTY_BODY_RETRIES, EmptyBodyError, WrongContentError } from '../../src/transfer/content-errors.js';

const base = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000, random: () => 0.5 };

describe('isRetryableStatus', () => {
  test('retries timeouts, throttling and every 5xx', () => {
    for (const s of [408, 425, 429, 500, 501, 502, 503, 504, 507, 599]) assert.equal(isRetryableStatus(s), true, String(s));
  });
  test('never retries answers that asking again cannot change', () => {
    for (const s of [400, 401, 403, 404, 405, 410, 416, 422]) assert.equal(isRetryableStatus(s), false, String(s));
  });
});

describe('parseRetryAfter', () => {
  test('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('1', 0), 1000);
    assert.equal(parseRetryAfter(' 120 ', 0), 120_000);
  });
  test('reads an HTTP-date relative to now, never negative', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
  });
  test('ignores absent or unparsable values', () => {
    assert.equal(parseRetryAfter(null, 0), undefined);
    assert.equal(parseRetryAfter('', 0), undefined);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(parseRetryAfter('-5', 0), undefined);
  });
});

describe('backoffDelay', () => {
  test('full jitter scales random() over min(max, base·2^attempt)', () => {
    assert.equal(backoffDelay(0, 500, 30_000, () => 0), 0);
    assert.equal(backoffDelay(0, 500, 30_000, () => 0.5), 250);
    assert.equal(backoffDelay(3, 500, 30_000, () => 0.5), 2000);
    assert.equal(backoffDelay(10, 500, 30_000, () => 0.5), 15_000);
  });
  test('stays below the ceiling for any random() in [0, 1)', () => {
    for (let attempt = 0; attempt < 70; attempt++) {
      const d = backoffDelay(attempt, 500, 30_000, () => 0.999999);
      assert.ok(d < Math.min(30_000, 500 * 2 ** attempt) || d === 0, `attempt ${attempt}: ${d}`);
      assert.ok(Number.isFinite(d));
    }
  });
});

describe('isNetworkFault', () => {
  test('finds socket codes in the cause chain of fetch errors', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    assert.equal(isNetworkFault(err), true);
    assert.equal(isNetworkFault(new TypeError('terminated', { cause: { code: 'UND_ERR_SOCKET' } })), true);
    assert.equal(isNetworkFault(new Error('socket hang up')), true);
    assert.equal(isNetworkFault(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true);
  });
  test('does not mistake programming errors for network faults', () => {
    assert.equal(isNetworkFault(new TypeError("Cannot read properties of undefined (reading 'x')")), false);
    assert.equal(isNetworkFault(new TypeError('fetch failed', { cause: new Error('bad port') })), false);
    assert.equal(isNetworkFault('ECONNRESET'), false);
  });
});

describe('classifyFault and decideRetry', () => {
  test('classifies every kind of failure', () => {
    assert.equal(classifyFault(new HttpError(503, 'u', 'm', { retryable: true })), 'retry-status');
    assert.equal(classifyFault(new HttpError(404, 'u', 'm')), 'fatal-status');
    assert.equal(classifyFault(new NetworkError('u', 'm')), 'network');
    assert.equal(classifyFault(new IntegrityError('m')), 'body');
    assert.equal(classifyFault(new DiskError('/p', 'm')), 'fatal');
    assert.equal(classifyFault(new AuthError('m')), 'fatal');
    assert.equal(classifyFault(new RangeError('oops')), 'bug');
  });
  test('retries transient faults with jittered backoff while attempts remain', () => {
    const d = decideRetry({ ...base, error: new NetworkError('u', 'reset'), attempt: 1 });
    assert.deepEqual(d, { retry: true, delayMs: 500, fault: 'network' });
  });
  test('stops when attempts are used up and says so', () => {
    const d = decideRetry({ ...base, error: new HttpError(503, 'u', 'm', { retryable: true }), attempt: 3 });
    assert.deepEqual(d, { retry: false, fault: 'retry-status', exhausted: true });
  });
  test('never retries a fatal status or a bug, even with attempts left', () => {
    assert.deepEqual(decideRetry({ ...base, error: new HttpError(404, 'u', 'm'), attempt: 0 }), {
      retry: false,
      fault: 'fatal-status',
      exhausted: false,
    });
    assert.deepEqual(decideRetry({ ...base, error: new Error('bug'), attempt: 0 }), { retry: false, fault: 'bug', exhausted: false });
  });
  test('an empty body gets EMPTY_BODY_RETRIES retries, not the whole budget; a wrong but well-formed body none', () => {
    const many = { ...base, maxRetries: 6 };
    const empty = new EmptyBodyError('0 bytes');
    for (let attempt = 0; attempt < EMPTY_BODY_RETRIES; attempt++) assert.equal(decideRetry({ ...many, error: empty, attempt }).retry, true);
    assert.deepEqual(decideRetry({ ...many, error: empty, attempt: EMPTY_BODY_RETRIES }), { retry: false, fault: 'body', exhausted: true });
    // A smaller overall budget still wins.
    assert.deepEqual(decideRetry({ ...many, maxRetries: 1, error: empty, attempt: 1 }), { retry: false, fault: 'body', exhausted: true });
    assert.deepEqual(decideRetry({ ...many, error: new WrongContentError('20×10 instead of 21×10'), attempt: 0 }), {
      retry: false,
      fault: 'fatal',
      exhausted: false,
    });
  });
  test('Retry-After replaces the backoff and is capped by maxRetryAfterMs', () => {
    const e = new HttpError(429, 'u', 'm', { retryable: true });
    assert.deepEqual(decideRetry({ ...base, error: e, attempt: 0, retryAfterMs: 1000 }), { retry: true, delayMs: 1000, fault: 'retry-status' });
    const capped = decideRetry({ ...base, error: e, attempt: 0, retryAfterMs: 3_600_000, maxRetryAfterMs: 60_000 });
    assert.deepEqual(capped, { retry: true, delayMs: 60_000, fault: 'retry-status' });
  });
});
