import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseMode, createReporter } from '../../src/cli/progress/reporter.js';
import type { PipelineEvent } from '../../src/pipeline/types.js';
import { fakeContext } from '../helpers/cli-context.js';

/** A rerun: two artifacts the plan found complete, one fetched, one failed. */
const RERUN: PipelineEvent[] = [
  { type: 'plan', total: 4, toFetch: 2, skipped: 2, expectedBytes: null },
  { type: 'artifact-done', id: 'images/a.png', kind: 'images', path: 'images/a.png', bytes: 10, status: 'skipped' },
  { type: 'artifact-done', id: 'masks/a.png', kind: 'masks', path: 'masks/a.png', bytes: 10, status: 'skipped' },
  { type: 'artifact-start', id: 'images/b.png', kind: 'images', path: 'images/b.png' },
  { type: 'artifact-start', id: 'masks/b.png', kind: 'masks', path: 'masks/b.png' },
  { type: 'bytes', bytes: 2048 },
  { type: 'artifact-done', id: 'images/b.png', kind: 'images', path: 'images/b.png', bytes: 2048, status: 'done' },
  { type: 'artifact-failed', id: 'masks/b.png', kind: 'masks', path: 'masks/b.png', reason: 'md5 mismatch' },
];

describe('progress reporter', () => {
  test('plain lines count only the artifacts being fetched, never more than the plan announced', () => {
    const { ctx, stderr } = fakeContext();
    const reporter = createReporter('plain', ctx);
    for (const e of RERUN) reporter.onEvent(e);
    reporter.stop();
    const counters = [...stderr().matchAll(/\[(\d+)\/(\d+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.deepEqual(counters, [
      [1, 2],
      [2, 2],
    ]);
    assert.match(stderr(), /plan: 4 artifacts, 2 already complete, 2 to fetch/);
    assert.match(stderr(), /\[2\/2\] FAILED masks\/b\.png: md5 mismatch/);
  });

  test('on a terminal the bar ends at toFetch/toFetch items, not counting the already complete ones', () => {
    const { ctx, stderr } = fakeContext({}, { isTTY: true, columns: 160 });
    assert.equal(chooseMode(ctx, false, true), 'tty');
    const reporter = createReporter('tty', ctx);
    for (const e of RERUN) reporter.onEvent(e);
    reporter.stop();
    const shown = [...stderr().matchAll(/(\d+)\/(\d+) items/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(shown.length > 0, 'the bar was drawn');
    assert.ok(shown.every(([n, total]) => n! <= total! && total === 2), `bar values ${JSON.stringify(shown)}`);
    assert.deepEqual(shown.at(-1), [2, 2]);
    assert.match(stderr(), /FAILED masks\/b\.png: md5 mismatch/);
  });

  test('JSON mode keeps stderr to failures and warnings', () => {
    const { ctx, stderr } = fakeContext();
    const reporter = createReporter(chooseMode(ctx, true, true), ctx);
    for (const e of RERUN) reporter.onEvent(e);
    reporter.stop();
    assert.equal(stderr(), '[2/2] FAILED masks/b.png: md5 mismatch\n');
  });
});
