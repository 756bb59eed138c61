// The bench's own arithmetic: medians, GNU time parsing and the model's lower bound.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lowerBound } from '../../bench/lib/lower-bound.js';
import { spread } from '../../bench/lib/stats.js';
import type { RequestLogEntry } from '../../src/server/start-server.js';
import { blob, region } from '../helpers/log-entries.js';
import { parseGnuTime } from '../helpers/harness/measure-child.js';

describe('bench figures', () => {
  test('median with min and max, for odd and even counts; no values is an error', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, runs: 3 });
    assert.equal(spread([4, 1, 2, 3]).median, 2.5);
    assert.throws(() => spread([]), /at least one value/);
  });

  test('GNU time -v output is parsed; anything else is null', () => {
    const text = '\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.50\n\tMaximum resident set size (kbytes): 204800\n';
    assert.deepEqual(parseGnuTime(text), { user: 1.25, sys: 0.5, maxRssKiB: 204800 });
    assert.equal(parseGnuTime('real 1.0'), null);
  });

  test('the lower bound takes the busier of bandwidth and render queue', () => {
    const model = { latencyMs: 50, renderConcurrency: 4, renderMsPerMegapixel: 40, bandwidthBytesPerSec: 100e6 };
    const log: RequestLogEntry[] = [
      { ...region(), bytes: 200e6 },
      { ...blob(1), bytes: 10e6 },
      { ...blob(1), path: '/figshare/ndownloader/files/1', bytes: 0 },
      { ...blob(1), path: '/figshare/v2/articles/7193138/files?page=1', bytes: 1000 },
    ];
    const b = lowerBound(model, log, [{ width: 1000, height: 1000 }, { width: 2000, height: 1500 }]);
    assert.equal(b.bandwidthSeconds, 2); // girder's 200 MB at 100 MB/s; figshare has its own cap
    assert.ok(Math.abs(b.renderSeconds - (4 * 40) / 1000 / 4) < 1e-12);
    assert.ok(Math.abs(b.renderWithLatencySeconds - (4 * 40 + 2 * 50) / 1000 / 4) < 1e-12);
    assert.equal(b.boundSeconds, 2);
    assert.equal(b.figshareRequests, 2); // the object-store hop is not a figshare request
    assert.equal(b.figshareFloorSeconds, 1);
  });
});
