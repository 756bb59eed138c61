import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveDownloadOptions } from '../../src/cli/options/download-options.js';
import { retryCommand } from '../../src/cli/retry-command.js';
import { UsageError } from '../../src/errors.js';

const noConfig = { path: null, config: {} };

test('--masks-via: auto by default, zip/files from the flag or BCSS_MASKS_VIA (flag wins), anything else a usage error', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'bcss-masks-via-'));
  assert.equal((await resolveDownloadOptions({ dryRun: true }, {}, noConfig, cwd)).options.masksVia, 'auto');
  assert.equal((await resolveDownloadOptions({ dryRun: true, masksVia: 'zip' }, {}, noConfig, cwd)).options.masksVia, 'zip');
  assert.equal((await resolveDownloadOptions({ dryRun: true }, { BCSS_MASKS_VIA: 'files' }, noConfig, cwd)).options.masksVia, 'files');
  assert.equal((await resolveDownloadOptions({ dryRun: true, masksVia: 'zip' }, { BCSS_MASKS_VIA: 'files' }, noConfig, cwd)).options.masksVia, 'zip');
  await assert.rejects(resolveDownloadOptions({ dryRun: true, masksVia: 'ZIP!' }, {}, noConfig, cwd), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /--masks-via must be auto, zip or files/);
    return true;
  });
});

test('the retry command of a failed run keeps --masks-via', () => {
  const cmd = retryCommand({ masksVia: 'files' }, '/tmp', '/tmp/BCSS', ['TCGA-A1-A0SK-DX1']);
  assert.match(cmd, /--masks-via files/);
  assert.doesNotMatch(retryCommand({}, '/tmp', '/tmp/BCSS', ['TCGA-A1-A0SK-DX1']), /--masks-via/);
});
