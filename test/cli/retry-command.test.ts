import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryCommand, shellQuote } from '../../src/cli/retry-command.js';

describe('retry command', () => {
  test('repeats the user\'s flags, makes paths absolute, drops --dry-run and replaces --slides', () => {
    const cmd = retryCommand(
      { mag: '20', rois: 'tables/my rois.csv', config: 'cfg.json', slides: '@all.txt', dryRun: true, failFast: true, progress: false, encoding: 'jpeg' },
      '/home/me/work',
      '/data/BCSS out',
      ['TCGA-A1-A0SK-DX1', 'TCGA-A2-A04P-DX1'],
    );
    assert.equal(
      cmd,
      "bcss download --out '/data/BCSS out' --mag 20 --rois '/home/me/work/tables/my rois.csv' --encoding jpeg --config /home/me/work/cfg.json " +
        '--fail-fast --no-progress --slides TCGA-A1-A0SK-DX1,TCGA-A2-A04P-DX1',
    );
  });

  test('shell quoting leaves plain words alone and survives quotes', () => {
    assert.equal(shellQuote('http://127.0.0.1:8080/api/v1'), 'http://127.0.0.1:8080/api/v1');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('a;rm -rf'), "'a;rm -rf'");
  });
});
