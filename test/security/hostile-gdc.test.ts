/**
 * Issue 9 item 3: a hostile GDC (or DSA) answer must not steer a generated file. Every field of
 * every record that feeds download_wsis.sh / .bat, download_wsis_gdc.sh and gdc_manifest.txt gets
 * hostile values; the records are refused per slide, and the generated scripts, run in a sandbox
 * with stand-in tools, write nothing outside it and overwrite nothing they did not create.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IntegrityError } from '../../src/errors.js';
import { queryGdcFiles } from '../../src/remote/gdc-client.js';
import { checkGdcHit } from '../../src/remote/gdc-checks.js';
import type { StepContext } from '../../src/pipeline/steps/step-context.js';
import { buildGdcManifest, buildGdcShellScript, buildGirderBatScript, buildGirderShellScript, writeWsiScript } from '../../src/pipeline/steps/wsi-scripts.js';
import type { Artifact } from '../../src/pipeline/artifacts.js';
import { quickTransfer, sendJson, tinyServer } from '../remote/tiny-server.js';
import { FAKE_CURL, makeSandbox, writeTool } from './hostile-helpers.js';

const UUID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function goodHit(name: string, n: number): Record<string, unknown> {
  return { file_id: UUID(n), file_name: name, md5sum: 'a'.repeat(32), file_size: 100, access: 'open', state: 'released', data_format: 'SVS' };
}

/** One hostile value per field, each of a kind that would break a TSV row, a path or a shell line. */
const HOSTILE: Array<[field: string, value: unknown]> = [
  ['state', `released\n${UUID(9)}\t../../../../tmp/x\t${'b'.repeat(32)}\t22\treleased`],
  ['state', 'Released'],
  ['access', 'open\tx'],
  ['file_id', `${UUID(1)}\n${UUID(2)}`],
  ['file_id', '../../etc'],
  ['md5sum', `${'a'.repeat(32)}\tx`],
  ['md5sum', 'z'.repeat(32)],
  ['file_size', -1],
  ['file_size', 1.5],
  ['file_size', '100\n'],
  ['data_format', 7],
];
const HOSTILE_NAMES = ['../escape.svs', '/tmp/abs.svs', 'a/b.svs', 'a\\b.svs', '..', '.hidden.svs', '-rf.svs', 'x\ny.svs', 'x\ty.svs', 'x\ry.svs', 'x\u0000y.svs', `x'$(touch pwned)'.svs`];

describe('GDC records: every field has its real shape', () => {
  test('each hostile field value is refused and names the field', () => {
    for (const [field, value] of HOSTILE) {
      const r = checkGdcHit({ ...goodHit('a.svs', 1), [field]: value });
      assert.equal(r.ok, false, `${field}=${JSON.stringify(value)}`);
      assert.match((r as { issue: string }).issue, new RegExp(`^${field}:`));
    }
    for (const name of HOSTILE_NAMES) assert.equal(checkGdcHit(goodHit(name, 1)).ok, false, JSON.stringify(name));
    assert.equal(checkGdcHit(goodHit('TCGA-A1-A0SK-01Z-00-DX1.A6D9C9A2-6B1A-4C8E-9E4E-0D2C3F4B5A6B.svs', 1)).ok, true);
  });

  test('a hostile server: bad records are refused per slide, good ones kept', async () => {
    const names = HOSTILE.map((_, i) => `slide-${i}.svs`).concat(['good.svs']);
    const server = await tinyServer((_req, res) => {
      const hits = HOSTILE.map(([field, value], i) => ({ ...goodHit(`slide-${i}.svs`, i), [field]: value }));
      hits.push(goodHit('good.svs', 99), ...HOSTILE_NAMES.map((n, i) => goodHit(n, 200 + i)));
      sendJson(res, 200, { data: { hits, pagination: { total: hits.length } } });
    });
    try {
      const lookup = await queryGdcFiles({ transfer: quickTransfer(), baseUrl: server.base, fileNames: names });
      assert.deepEqual([...lookup.files.keys()], ['good.svs']);
      assert.deepEqual(lookup.missing, [], 'a refused record is not reported as merely missing');
      assert.deepEqual(
        lookup.refused.slice(0, HOSTILE.length).map((r) => r.name),
        HOSTILE.map((_, i) => `slide-${i}.svs`),
      );
      assert.equal(lookup.refused.length, HOSTILE.length + HOSTILE_NAMES.length);
    } finally {
      await server.close();
    }
  });

  test('the manifest step: hostile records fail the artifact, are named, and never reach the file', async () => {
    const box = await makeSandbox();
    const server = await tinyServer((_req, res) => {
      const hits = [goodHit('good.svs', 1), { ...goodHit('evil.svs', 2), state: HOSTILE[0]![1] }];
      sendJson(res, 200, { data: { hits, pagination: { total: 2 } } });
    });
    try {
      const transfer = quickTransfer();
      const rois = [{ name: 'R1' }, { name: 'R2' }, { name: 'R3' }];
      const slideNames: Record<string, string> = { R1: 'good.svs', R2: 'evil.svs', R3: '../dsa-escape.svs' };
      const ctx = {
        outDir: box.dir,
        now: () => new Date(0),
        options: { rois, gdcUrl: server.base },
        remote: {
          slideFor: (roi: { name: string }) => ({ itemId: 'a'.repeat(24), name: slideNames[roi.name]! }),
          gdcLookup: (fileNames: readonly string[]) => queryGdcFiles({ transfer, baseUrl: server.base, fileNames }),
        },
      } as unknown as StepContext;
      const artifact = { id: 'wsi:gdc-manifest', kind: 'wsi-scripts', path: 'wsis/gdc_manifest.txt', script: 'gdc-manifest', roi: null, params: {} } as unknown as Artifact;
      await mkdir(join(box.dir, 'wsis'));
      await assert.rejects(writeWsiScript(ctx, artifact, '1'), (err: unknown) => {
        assert.ok(err instanceof IntegrityError);
        assert.match(err.message, /2 slide record\(s\) refused/);
        assert.match(err.message, /"evil\.svs": GDC record refused, state:/);
        assert.match(err.message, /R3: the DSA names its slide "\.\.\/dsa-escape\.svs"/);
        return true;
      });
      const manifest = await readFile(join(box.dir, 'wsis/gdc_manifest.txt'), 'utf8');
      assert.deepEqual(manifest.trim().split('\n').slice(1).map((l) => l.split('\t')[1]), ['good.svs']);
      assert.ok(!manifest.includes('tmp/x'));
    } finally {
      await server.close();
      await box.cleanup();
    }
  });

  test('buildGdcManifest refuses a bad record handed to it directly', () => {
    const hit = { fileId: UUID(1), fileName: 'a.svs', md5sum: 'a'.repeat(32), fileSize: 1, access: 'open', state: 'released', dataFormat: 'SVS' };
    assert.throws(() => buildGdcManifest([{ ...hit, state: 'released\nx' }]), /state/);
    assert.throws(() => buildGdcManifest([{ ...hit, fileName: '../a.svs' }]), /file_name/);
    assert.throws(() => buildGdcManifest([{ ...hit, fileSize: -5 }]), /file_size/);
  });

  test('the DSA scripts refuse hostile slide names and ids at generation', () => {
    for (const name of HOSTILE_NAMES) {
      assert.throws(() => buildGirderShellScript('http://x/api/v1', [{ itemId: 'a'.repeat(24), name }], 'BCSS_API_KEY', '1'), /not a plain file name/);
      assert.throws(() => buildGirderBatScript('http://x/api/v1', [{ itemId: 'a'.repeat(24), name }], 'BCSS_API_KEY', '1'), /not a plain file name/);
    }
    assert.throws(() => buildGirderShellScript('http://x', [{ itemId: 'a'.repeat(23) + '\n', name: 'a.svs' }], 'K', '1'), /not 24 hex/);
  });
});

describe('download_wsis_gdc.sh run in a sandbox with a tampered manifest', () => {
  test('unsafe rows are refused, nothing lands outside, a foreign file is not overwritten', async () => {
    const box = await makeSandbox();
    try {
      await writeTool(box.bin, 'curl', FAKE_CURL);
      const good = UUID(1);
      const rows = [
        [good, 'good.svs', md5(`payload-${good}`), '20', 'released'],
        [UUID(2), '../escape.svs', md5(`payload-${UUID(2)}`), '20', 'released'],
        [UUID(3), '/tmp/abs-bcss.svs', md5(`payload-${UUID(3)}`), '20', 'released'],
        [UUID(4), 'sub/dir.svs', md5(`payload-${UUID(4)}`), '20', 'released'],
        [UUID(5), '..', md5(`payload-${UUID(5)}`), '20', 'released'],
        [`${UUID(6)};touch ../pwned`, 'inj.svs', md5('x'), '20', 'released'],
        [UUID(7), 'extra.svs', md5(`payload-${UUID(7)}`), '20', 'released', '../more'],
        [UUID(8), 'esc\u0001ape.svs', md5(`payload-${UUID(8)}`), '20', 'released'],
        [UUID(9), 'foreign.svs', md5(`payload-${UUID(9)}`), '20', 'released'],
        [UUID(10), 'linked.svs', md5(`payload-${UUID(10)}`), '20', 'released'],
      ];
      const manifest = `id\tfilename\tmd5\tsize\tstate\n${rows.map((r) => r.join('\t')).join('\n')}\n`;
      await writeFile(join(box.dir, 'gdc_manifest.txt'), manifest);
      await writeFile(join(box.dir, 'download_wsis_gdc.sh'), buildGdcShellScript('http://127.0.0.1:9/', '1'));
      await writeFile(join(box.dir, 'foreign.svs'), 'the user own file');
      await writeFile(join(box.root, 'target'), 'outside');
      await symlink(join(box.root, 'target'), join(box.dir, 'linked.svs.partial'));
      const r = spawnSync('sh', [join(box.dir, 'download_wsis_gdc.sh')], { cwd: box.dir, encoding: 'utf8', env: { PATH: `${box.bin}:/usr/bin:/bin` } });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(await readFile(join(box.dir, 'good.svs'), 'utf8'), `payload-${good}`);
      assert.equal(await readFile(join(box.dir, 'foreign.svs'), 'utf8'), 'the user own file');
      assert.equal(await readFile(join(box.root, 'target'), 'utf8'), 'outside', 'a symlinked .partial is not written through');
      assert.deepEqual((await box.outside()).sort(), ['target']);
      assert.deepEqual((await readdir(box.dir)).sort(), ['download_wsis_gdc.sh', 'foreign.svs', 'gdc_manifest.txt', 'good.svs', 'linked.svs.partial']);
      assert.equal((r.stderr.match(/^REFUSED/gm) ?? []).length, 9, r.stderr);
      assert.match(r.stderr, /foreign\.svs exists with other content; not overwriting/);
      // The WSI's size ceiling: curl is told GDC's file_size.
      assert.match(await readFile(join(box.root, 'curl-args.log'), 'utf8'), new RegExp(`--max-filesize 20 -C - -o ${box.dir}/good\\.svs\\.partial http://127\\.0\\.0\\.1:9/data/${good}`));
    } finally {
      await box.cleanup();
    }
  });
});

describe('download_wsis.sh run in a sandbox', () => {
  test('only the expected file is moved in; an existing file and stray outputs are left alone', async () => {
    const box = await makeSandbox();
    try {
      // A girder-client that writes the item's file plus a stray one, as a hostile server could make it do.
      await writeTool(box.bin, 'girder-client', 'dir="$5"\nprintf "slide %s" "$4" > "$dir/$4.svs"\nprintf stray > "$dir/stray.txt"');
      const slides = [
        { itemId: 'a'.repeat(24), name: `${'a'.repeat(24)}.svs` },
        { itemId: 'b'.repeat(24), name: `${'b'.repeat(24)}.svs` },
        { itemId: 'c'.repeat(24), name: 'not-produced.svs' },
      ];
      await writeFile(join(box.dir, 'download_wsis.sh'), buildGirderShellScript('http://127.0.0.1:9/api/v1', slides, 'BCSS_API_KEY', '1'));
      await writeFile(join(box.dir, `${'b'.repeat(24)}.svs`), 'mine');
      const r = spawnSync('sh', [join(box.dir, 'download_wsis.sh')], { cwd: box.dir, encoding: 'utf8', env: { PATH: `${box.bin}:/usr/bin:/bin`, BCSS_API_KEY: 'k' } });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(await readFile(join(box.dir, `${'a'.repeat(24)}.svs`), 'utf8'), `slide ${'a'.repeat(24)}`);
      assert.equal(await readFile(join(box.dir, `${'b'.repeat(24)}.svs`), 'utf8'), 'mine');
      assert.match(r.stderr, /FAILED {3}not-produced\.svs/);
      assert.deepEqual(await box.outside(), []);
      assert.ok(!(await readdir(box.dir)).includes('stray.txt'));
      // The failed slide's folder is kept for inspection; a rerun refuses to reuse it blindly.
      const again = spawnSync('sh', [join(box.dir, 'download_wsis.sh')], { cwd: box.dir, encoding: 'utf8', env: { PATH: `${box.bin}:/usr/bin:/bin`, BCSS_API_KEY: 'k' } });
      assert.match(again.stderr, /REFUSED {2}not-produced\.svs: .*already exists/);
      // The run-time guard: names edited into the script after generation are refused too.
      const edited = buildGirderShellScript('http://127.0.0.1:9/api/v1', [{ itemId: 'd'.repeat(24), name: 'placeholder.svs' }], 'BCSS_API_KEY', '1');
      for (const bad of ['../escape.svs', '/tmp/abs.svs', 'a/b.svs', '..', 'x\\001y.svs']) {
        await writeFile(join(box.dir, 'edited.sh'), edited.replace("'placeholder.svs'", `"$(printf '${bad}')"`));
        const r3 = spawnSync('sh', [join(box.dir, 'edited.sh')], { cwd: box.dir, encoding: 'utf8', env: { PATH: `${box.bin}:/usr/bin:/bin`, BCSS_API_KEY: 'k' } });
        assert.equal(r3.status, 1, bad);
        assert.match(r3.stderr, /REFUSED .*not a plain file name/, bad);
      }
      assert.deepEqual(await box.outside(), []);
    } finally {
      await box.cleanup();
    }
  });
});
