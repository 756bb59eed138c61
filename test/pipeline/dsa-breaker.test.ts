import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError, IntegrityError, NetworkError } from '../../src/errors.js';
import { BREAKER_THRESHOLD, DsaBreaker, isDsaUnavailable } from '../../src/pipeline/dsa-breaker.js';
import { WrongContentError } from '../../src/transfer/content-errors.js';

const refused = new NetworkError('http://dsa/x', 'fetch failed: ECONNREFUSED');
const http = (status: number): HttpError => new HttpError(status, 'http://dsa/x', `HTTP ${status}`);

describe('the DSA circuit breaker of --image-source auto', () => {
  test('unavailable = network failures, 5xx and 429; not 4xx, wrong sizes or other integrity answers', () => {
    for (const err of [refused, http(500), http(502), http(503), http(504), http(429)]) assert.equal(isDsaUnavailable(err), true, err.message);
    for (const err of [http(400), http(401), http(403), http(404), new WrongContentError('900x900, not 1000x1000'), new IntegrityError('md5'), new Error('bug')]) {
      assert.equal(isDsaUnavailable(err), false, err.message);
    }
  });

  test(`opens after ${BREAKER_THRESHOLD} unavailability failures in a row, once, with the last error in its reason`, () => {
    const opened: string[] = [];
    const b = new DsaBreaker((r) => opened.push(r));
    for (let i = 1; i < BREAKER_THRESHOLD; i++) b.failure(http(503));
    assert.equal(b.open, false);
    b.failure(refused);
    assert.equal(b.open, true);
    assert.match(b.reason ?? '', /3 ROI renders in a row failed after their retries, the last with: fetch failed: ECONNREFUSED/);
    b.failure(refused);
    b.trip('again');
    b.success();
    assert.equal(b.open, true, 'stays open for the rest of the run');
    assert.deepEqual(opened, [b.reason]);
  });

  test('a render the DSA answered, or a failure that is not unavailability, breaks the run of failures', () => {
    const b = new DsaBreaker();
    for (const step of [() => b.failure(refused), () => b.failure(refused), () => b.success(), () => b.failure(refused), () => b.failure(refused), () => b.failure(http(404)), () => b.failure(refused), () => b.failure(refused)]) step();
    assert.equal(b.open, false);
    b.failure(refused);
    assert.equal(b.open, true);
  });

  test('trip() opens it at once (the listing or the login failed)', () => {
    const b = new DsaBreaker();
    b.trip('the DSA folder listing failed after its retries: HTTP 502');
    assert.equal(b.open, true);
    assert.equal(b.reason, 'the DSA folder listing failed after its retries: HTTP 502');
  });
});
