import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinRois } from '../../src/catalog/index.js';
import { DOWNLOAD_DEFAULTS, defaultLanes, withDownloadDefaults } from '../../src/pipeline/defaults.js';

test('withDownloadDefaults: only the output folder is needed; every default is the CLI’s', () => {
  const o = withDownloadDefaults({ out: 'X' });
  assert.equal(o.outDir, 'X');
  assert.deepEqual(o.components, ['images', 'masks']);
  assert.deepEqual(o.resolution, { kind: 'mpp', mpp: 0.25 });
  assert.equal(o.rois.length, 151);
  assert.equal(o.apiUrl, DOWNLOAD_DEFAULTS.apiUrl);
  assert.deepEqual(o.credentials, { kind: 'anonymous' });
  assert.equal(o.lanes.figshare?.minIntervalMs, 1000, 'polite by default');
  assert.deepEqual(o.lanes, defaultLanes());
  assert.equal(o.headersTimeoutMs, 300_000);
});

test('withDownloadDefaults keeps what the caller gave, optional fields included', () => {
  const rois = builtinRois().slice(0, 2);
  const table = builtinRois();
  const o = withDownloadDefaults({ outDir: 'Y', rois, roiTable: table, concurrency: 3, dryRun: true });
  assert.equal(o.outDir, 'Y');
  assert.equal(o.rois, rois);
  assert.equal(o.roiTable, table, 'the full table behind a subset survives (the folder’s dataset spec needs it)');
  assert.equal(o.concurrency, 3);
  assert.equal(o.dryRun, true);
  assert.equal('out' in o, false);
});
