/**
 * The short version of `npm run drill` for CI (issue #5): a few slides at demo scale 0.05, the
 * CLI run from source as a child process against an in-process `bcss serve`.
 *   - one run with mixed faults (≥ 10 % combined) must end with the clean run's lock;
 *   - one SIGKILL mid-run, then a rerun, must end with the clean run's lock and fetch again
 *     only what was in flight.
 * Both also assert that no temp file is left under the output folder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstRoiNames, loadBenchDataset } from '../helpers/harness/bench-server.js';
import { TEST_CLI } from '../helpers/source-cli.js';
import { cleanBaseline, faultDrill, killDrill, type Baseline, type DrillSetup } from '../helpers/harness/drills.js';
import type { ServiceFaults } from '../../src/server/faults.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

/** 18 % of requests get a fault: status faults, an HTML page instead of data, and cut bodies. */
const MIXED: ServiceFaults = {
  error500: 0.03,
  error503: 0.03,
  rateLimit429: 0.03,
  retryAfterSeconds: 0,
  htmlPage200: 0.03,
  resetMidBody: 0.03,
  truncateBody: 0.03,
};

describe('short fault drill (CI version of npm run drill)', () => {
  let work: string;
  let setup: DrillSetup;
  let baseline: Baseline;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-short-drill-'));
    const dataset = await loadBenchDataset({ scale: 0.05, slides: firstRoiNames(6), cacheDir: demoCacheDir(join(work, 'cache')) });
    assert.ok(dataset.roiTablePath !== null, 'the demo dataset writes a ROI table');
    setup = {
      work,
      dataset,
      roisPath: dataset.roiTablePath,
      // A little latency keeps a few requests in flight, so the kill lands mid-transfer.
      model: { latencyMs: 15, renderConcurrency: 4, renderMsPerMegapixel: 40, bandwidthBytesPerSec: 50e6 },
      launcher: TEST_CLI,
      idleTimeoutSeconds: 5,
      seed: 3,
      progress: () => undefined,
    };
    baseline = await cleanBaseline(setup, { warmUp: false });
    assert.ok(baseline.lock.size >= 12, `the clean lock lists images and masks (got ${baseline.lock.size} artifacts)`);
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('a run with mixed faults completes with the clean lock, no temp file and no artifact fetched twice', async () => {
    const o = await faultDrill(setup, baseline, 'mixed', MIXED);
    assert.deepEqual(o.problems, []);
    assert.ok(o.faultsInjected > 0, 'faults were injected');
    assert.ok(o.retries > 0, 'the client retried');
  });

  test('SIGKILL mid-run then a rerun ends with the clean lock and refetches only what was in flight', async () => {
    const o = await killDrill(setup, baseline, 1, 'ci-kill', { afterCompleteFetches: 3 });
    assert.deepEqual(o.problems, []);
    assert.equal(o.faults.sigkill, 1, 'the client was killed before it finished');
  });
});
