import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { builtinRois, builtinSlides, readBuiltinDataFile } from '../../src/catalog/index.js';
import { buildMetaFiles } from '../../src/pipeline/steps/meta.js';
import { buildGdcManifest, buildGdcShellScript, buildGirderBatScript, buildGirderShellScript } from '../../src/pipeline/steps/wsi-scripts.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';

const slides = builtinSlides()
  .slice(0, 3)
  .map((s) => ({ itemId: s.dsaItemId, name: s.fileName }));
const API = "https://dsa.example/api/v1?x=1&y='2'";

function run(script: string, env: Record<string, string>, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [script], { env: { PATH: `${cwd}:/usr/bin:/bin`, ...env }, encoding: 'utf8', cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('WSI scripts', () => {
  test('the shell script references the variable, never a key, and one girder-client line per slide', () => {
    const sh = buildGirderShellScript(API, slides, 'BCSS_API_KEY', '1.2.3');
    assert.ok(sh.includes('$BCSS_API_KEY'));
    assert.ok(!/--api-key/.test(sh.split('\n').filter((l) => !l.startsWith('#')).join('\n')), 'the key is not passed as an argument');
    assert.equal(sh.split('\n').filter((l) => l.startsWith('fetch_item ')).length, 3);
    for (const s of slides) assert.ok(sh.includes(`fetch_item ${s.itemId} '${s.name}'`));
    assert.equal(spawnSync('sh', ['-n'], { input: sh }).status, 0, 'valid POSIX sh');
    assert.equal(buildGirderShellScript(API, slides, 'BCSS_API_KEY', '1.2.3'), sh, 'regenerated identically');
  });

  test('run without the variable it exits with a message; with it, girder-client gets the key by environment only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-wsi-'));
    try {
      const script = join(dir, 'download_wsis.sh');
      await writeFile(script, buildGirderShellScript(API, slides.slice(0, 1), 'BCSS_API_KEY', '1'));
      const unset = run(script, {}, dir);
      assert.equal(unset.status, 1);
      assert.match(unset.stderr, /set BCSS_API_KEY/);
      // A stand-in girder-client that records its arguments and the key it sees.
      const fake = join(dir, 'girder-client');
      await writeFile(fake, '#!/bin/sh\necho "ARGS:$*"\necho "ENVKEY:$GIRDER_API_KEY"\n: > "$5/' + slides[0]!.name + '"\n');
      await chmod(fake, 0o755);
      const secret = 's3cr3t-KEY-value';
      const ok = run(script, { BCSS_API_KEY: secret }, dir);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`ARGS:--api-url ${API.replace(/[?.*+()[\]]/g, '\\$&')} download ${slides[0]!.itemId} ${dir}/.bcss-wsi-${slides[0]!.itemId}`));
      assert.ok(!ok.stdout.split('\n')[0]!.includes(secret), 'not in argv');
      assert.match(ok.stdout, new RegExp(`ENVKEY:${secret}`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the .bat has CRLF lines, a guard, and no key', () => {
    const bat = buildGirderBatScript('https://dsa.example/api/v1?a=100%', slides, 'BCSS_API_KEY', '1');
    assert.ok(bat.includes('\r\n'));
    assert.ok(!/[^\r]\n/.test(bat), 'every line ends CRLF');
    assert.match(bat, /if "%BCSS_API_KEY%"=="" \(/);
    assert.match(bat, /set "GIRDER_API_KEY=%BCSS_API_KEY%"/);
    assert.ok(bat.includes('set "API=https://dsa.example/api/v1?a=100%%"'), '% is escaped for cmd');
    assert.equal(bat.split('\r\n').filter((l) => l.startsWith('call :fetch ')).length, 3);
  });

  test('an invalid variable name is refused', () => {
    assert.throws(() => buildGirderShellScript(API, slides, 'BAD NAME; rm -rf /', '1'), /not a valid variable name/);
  });

  test('the GDC manifest is gdc-client format and the GDC script checks md5', async () => {
    const hits = [
      { fileId: '11111111-2222-3333-4444-555555555555', fileName: 'TCGA-B.svs', md5sum: 'b'.repeat(32), fileSize: 20, access: 'open', state: 'released', dataFormat: 'SVS' },
      { fileId: '11111111-2222-3333-4444-666666666666', fileName: 'TCGA-A.svs', md5sum: 'a'.repeat(32), fileSize: 10, access: 'open', state: 'released', dataFormat: 'SVS' },
    ];
    assert.equal(
      buildGdcManifest(hits),
      `id\tfilename\tmd5\tsize\tstate\n11111111-2222-3333-4444-666666666666\tTCGA-A.svs\t${'a'.repeat(32)}\t10\treleased\n11111111-2222-3333-4444-555555555555\tTCGA-B.svs\t${'b'.repeat(32)}\t20\treleased\n`,
    );
    const sh = buildGdcShellScript('https://api.gdc.cancer.gov/', '1');
    assert.equal(spawnSync('sh', ['-n'], { input: sh }).status, 0);
    assert.match(sh, /curl -fL .* -C - /);
    assert.match(sh, /md5_of/);
    assert.match(sh, /GDC='https:\/\/api.gdc.cancer.gov'/);
  });
});

describe('meta files', () => {
  const opts = (over: Partial<DownloadOptions>): DownloadOptions =>
    ({
      components: ['images', 'masks'],
      resolution: { kind: 'mpp', mpp: 0.25 },
      encoding: 'png',
      maskAlign: 'resize',
      rois: builtinRois(),
      ...over,
    }) as DownloadOptions;

  test('with the full built-in table, roiBounds.csv, slide_magnifications.csv and gtruth_codes.tsv equal the shipped files', () => {
    const files = new Map(buildMetaFiles(opts({}), '1').map((f) => [f.path, f.content]));
    assert.equal(files.get('meta/roiBounds.csv'), readBuiltinDataFile('roiBounds.csv'));
    assert.equal(files.get('meta/slide_magnifications.csv'), readBuiltinDataFile('slide_magnifications.csv'));
    assert.equal(files.get('meta/gtruth_codes.tsv'), readBuiltinDataFile('gtruth_codes.tsv'));
  });

  test('splits, classes and the card say what consumers need', () => {
    const files = new Map(buildMetaFiles(opts({ maskAlign: 'pad' }), '1').map((f) => [f.path, f.content]));
    const splits = files.get('meta/splits.csv')!.trim().split('\n');
    assert.equal(splits[0], 'roi,site,baseline_split,eva_split');
    assert.equal(splits.length, 152);
    assert.equal(splits.filter((l) => l.endsWith(',test,test')).length, 45);
    assert.equal(splits.filter((l) => l.endsWith(',val')).length, 30);
    const classes = JSON.parse(files.get('meta/classes.json')!) as { classes: Array<{ code: number; group: string }>; note: string };
    assert.deepEqual(classes.classes.map((c) => c.code), Array.from({ length: 22 }, (_, i) => i));
    assert.equal(classes.classes[0]?.group, 'ignore');
    assert.match(classes.note, /0 means outside the ROI/);
    const card = files.get('meta/README.md')!;
    assert.match(card, /mm_x=mm_y=0\.00025/);
    assert.match(card, /CC0-1\.0/);
    assert.match(card, /btz083/);
    assert.match(card, /pad: a zero/);
  });

  test('a subset writes only its rows; output is deterministic', () => {
    const sub = opts({ rois: builtinRois().slice(0, 2), resolution: { kind: 'mag', magnification: 20 } });
    const a = buildMetaFiles(sub, '1');
    assert.deepEqual(a, buildMetaFiles(sub, '1'));
    const roiCsv = a.find((f) => f.path === 'meta/roiBounds.csv')!.content;
    assert.equal(roiCsv.split('\r\n').filter((l) => l !== '').length, 3);
    assert.match(a.find((f) => f.path === 'meta/README.md')!.content, /magnification=20/);
  });
});

