/** The checks the drills and benchmarks rely on: if these are wrong, a drill passes vacuously. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactKeyOfRequest, artifactKeyOfSource, checkNoRefetch, checkRefetches, lockedArtifactKeys } from '../helpers/harness/fetch-ledger.js';
import { corruptFinalFiles, diffLocks, isTempName, leftoverTempFiles, sha256File } from '../helpers/harness/out-dir-checks.js';
import { blob, ITEM, region } from '../helpers/log-entries.js';

describe('fetch ledger', () => {
  test('maps region and blob requests and lock sources to the same keys', () => {
    assert.equal(artifactKeyOfRequest(region().path), `region:${ITEM}`);
    assert.equal(artifactKeyOfRequest('/api/v1//item/' + ITEM + '/tiles/region'), `region:${ITEM}`);
    assert.equal(artifactKeyOfRequest(blob(13243676).path), 'mask:13243676');
    assert.equal(artifactKeyOfRequest(`/api/v1/item/${ITEM}/tiles`), null);
    assert.equal(artifactKeyOfRequest('/figshare/ndownloader/files/13243676'), null);
    assert.equal(artifactKeyOfSource('images', `http://h/api/v1/item/${ITEM}/tiles/region?left=1`), `region:${ITEM}`);
    assert.equal(artifactKeyOfSource('masks', 'http://h/figshare/ndownloader/files/13243676'), 'mask:13243676');
    assert.equal(artifactKeyOfSource('meta', null), null);
  });

  test('faulty, cut and HTML answers are not fetches; two complete ones are', () => {
    assert.deepEqual(checkNoRefetch([region(503, { fault: 'error503' }), region(200, { fault: 'htmlPage200' }), region(200, { aborted: true }), region()]), []);
    assert.equal(checkNoRefetch([region(), region()]).length, 1);
  });

  test('after an interruption, only what was not locked may be fetched again, once', () => {
    const before = [region(), blob(1)];
    const ok = checkRefetches(before, new Set(['mask:1']), [region(), blob(2)]);
    assert.deepEqual(ok.violations, []);
    assert.deepEqual(ok.excused, [`region:${ITEM}`]);
    const bad = checkRefetches(before, new Set(['mask:1']), [blob(1)]);
    assert.equal(bad.violations.length, 1);
    assert.match(bad.violations[0] ?? '', /already locked/);
  });

  test('reads artifact keys from a lock and none from a missing or broken one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-ledger-'));
    try {
      assert.equal((await lockedArtifactKeys(dir)).size, 0);
      await writeFile(join(dir, 'bcss.lock.json'), '{"artifacts": [');
      assert.equal((await lockedArtifactKeys(dir)).size, 0);
      await writeFile(
        join(dir, 'bcss.lock.json'),
        JSON.stringify({ artifacts: [{ kind: 'masks', path: 'masks/a.png', sha256: 'x', source: { url: 'http://h/figshare/ndownloader/files/7' } }] }),
      );
      assert.deepEqual([...(await lockedArtifactKeys(dir))], ['mask:7']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('output folder checks', () => {
  test('lock comparison names missing, extra and changed artifacts', () => {
    const clean = new Map([
      ['images/a.png', '1'],
      ['masks/a.png', '2'],
    ]);
    assert.equal(diffLocks(clean, new Map(clean)).equal, true);
    const d = diffLocks(clean, new Map([['images/a.png', '9'], ['x', '3']]));
    assert.deepEqual([d.missing, d.extra, d.changed], [['masks/a.png'], ['x'], ['images/a.png']]);
  });

  test('temp names are recognised, final names are not', async () => {
    assert.equal(isTempName('images/.a.png.0123456789abcdef.part'), true);
    assert.equal(isTempName('x/.y.123.tmp'), true);
    assert.equal(isTempName('images/TCGA-A1-A0SK-DX1_xmin1_ymin2_MPP-0.2500.png'), false);
    assert.equal(isTempName('bcss.lock.json'), false);
    const dir = await mkdtemp(join(tmpdir(), 'bcss-temps-'));
    try {
      await mkdir(join(dir, 'images'));
      await writeFile(join(dir, 'images', 'a.png'), 'final');
      await writeFile(join(dir, 'images', '.a.png.0123456789abcdef.part'), 'half');
      assert.deepEqual(await leftoverTempFiles(dir), ['images/.a.png.0123456789abcdef.part']);
      const good = await sha256File(join(dir, 'images', 'a.png'));
      assert.deepEqual(await corruptFinalFiles(dir, new Map([['images/a.png', good]])), []);
      assert.deepEqual(await corruptFinalFiles(dir, new Map([['images/a.png', '0'.repeat(64)]])), ['images/a.png']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
