/**
 * The article-ZIP drills of `npm run drill` (issue #11), short versions for CI: faults on the
 * archive's requests, and SIGKILL while masks are taken from the archive followed by a rerun
 * that writes exactly the masks not yet locked. The CLI runs from source as a child process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { firstRoiNames, loadBenchDataset } from '../helpers/harness/bench-server.js';
import { TEST_CLI } from '../helpers/source-cli.js';
import { cleanBaseline, type Baseline, type DrillSetup } from '../helpers/harness/drills.js';
import { zipFaultDrill, zipKillDrill } from '../helpers/harness/zip-drills.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

describe('article ZIP drills (CI version)', () => {
  let work: string;
  let setup: DrillSetup;
  let baseline: Baseline;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-zip-drill-'));
    const dataset = await loadBenchDataset({ scale: 0.05, slides: firstRoiNames(8), cacheDir: demoCacheDir(join(work, 'cache')) });
    assert.ok(dataset.roiTablePath !== null);
    setup = {
      work,
      dataset,
      roisPath: dataset.roiTablePath,
      model: { latencyMs: 15, renderConcurrency: 4, renderMsPerMegapixel: 40, bandwidthBytesPerSec: 50e6 },
      launcher: TEST_CLI,
      idleTimeoutSeconds: 5,
      seed: 4,
      progress: () => undefined,
    };
    baseline = await cleanBaseline(setup, { warmUp: false });
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('faults on the archive requests: retried, the run completes through the ZIP with the clean lock and no archive left', async () => {
    const o = await zipFaultDrill(setup, baseline, 'ci-zip-faults');
    assert.deepEqual(o.problems, []);
    assert.ok(o.faultsInjected > 0);
  });

  test('SIGKILL while masks come out of the archive: the rerun writes exactly the unlocked masks', async () => {
    // Kill 1 when the archive is sent; kill 2 as soon as the first mask from it is journaled.
    const o = await zipKillDrill(setup, baseline, 2, 'ci-zip-kill', { maskTargets: [0, 1] });
    // With 8 masks the journal's group commit often records them all at once, so kill 2 may
    // find them all locked; `npm run drill` (30 ROIs) shows kills between 4 and 20 locked masks.
    assert.deepEqual(o.problems, []);
    assert.ok(o.notes.some((n) => n.startsWith('kill 2:')));
  });
});
