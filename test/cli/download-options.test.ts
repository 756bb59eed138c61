import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDownloadOptions } from '../../src/cli/options/download-options.js';
import { DOWNLOAD_DEFAULTS as DEFAULTS } from '../../src/pipeline/defaults.js';
import { loadConfigFile } from '../../src/cli/options/config-file.js';
import { closestNames, editDistance } from '../../src/cli/options/closest-names.js';
import { DiskError, UsageError } from '../../src/errors.js';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bcss-opts-'));
}
const noConfig = { path: null, config: {} };

describe('download options', () => {
  test('defaults: real services, images+masks, 0.25 um/px, ./BCSS, anonymous', async () => {
    const cwd = await tmp();
    const s = await resolveDownloadOptions({ dryRun: true }, {}, noConfig, cwd);
    assert.equal(s.options.outDir, join(cwd, 'BCSS'));
    assert.deepEqual(s.options.components, ['images', 'masks']);
    assert.deepEqual(s.options.resolution, { kind: 'mpp', mpp: 0.25 });
    assert.equal(s.options.apiUrl, 'https://demo.kitware.com/histomicstk/api/v1');
    assert.equal(s.options.folderId, '5bbdeba3e629140048d017bb');
    assert.equal(s.options.figshareArticleId, 7193138);
    assert.equal(s.options.gdcUrl, 'https://api.gdc.cancer.gov');
    assert.equal(s.options.rois.length, 151);
    assert.equal(s.options.credentials.kind, 'anonymous');
    assert.equal(s.options.encoding, 'png');
    assert.equal(s.options.lanes.figshare?.minIntervalMs, DEFAULTS.figshareIntervalMs);
    assert.equal(s.options.lanes['dsa-render']?.concurrency, 4);
  });

  test('politeness defaults: figshare starts <= 1 request/s with up to 4 in flight, its object-store hop on a lane of its own; 16 artifacts at once', async () => {
    const cwd = await tmp();
    const s = await resolveDownloadOptions({ dryRun: true }, {}, noConfig, cwd);
    assert.deepEqual(s.options.lanes.figshare, { concurrency: 4, minIntervalMs: 1000 });
    assert.deepEqual(s.options.lanes['object-store'], { concurrency: 8, minIntervalMs: 0 });
    assert.deepEqual(s.options.lanes['dsa-render'], { concurrency: 4, minIntervalMs: 0 });
    assert.equal(s.options.concurrency, 16);
    assert.equal(DEFAULTS.concurrency, 16);
  });

  test('--figshare-concurrency: flag > BCSS_FIGSHARE_CONCURRENCY > config figshareConcurrency, 1..64, the interval unchanged', async () => {
    const cwd = await tmp();
    const config = { path: 'x', config: { figshareConcurrency: 2 } };
    assert.equal((await resolveDownloadOptions({ dryRun: true }, {}, config, cwd)).options.lanes.figshare?.concurrency, 2);
    const env = { BCSS_FIGSHARE_CONCURRENCY: '3' };
    assert.equal((await resolveDownloadOptions({ dryRun: true }, env, config, cwd)).options.lanes.figshare?.concurrency, 3);
    const flagged = await resolveDownloadOptions({ dryRun: true, figshareConcurrency: '1' }, env, config, cwd);
    assert.deepEqual(flagged.options.lanes.figshare, { concurrency: 1, minIntervalMs: 1000 });
    await assert.rejects(resolveDownloadOptions({ figshareConcurrency: '0' }, {}, noConfig, cwd), /--figshare-concurrency must be an integer from 1 to 64/);
    await assert.rejects(resolveDownloadOptions({ figshareConcurrency: 'many' }, {}, noConfig, cwd), UsageError);
    const dir = await tmp();
    await writeFile(join(dir, 'bcss.config.json'), JSON.stringify({ figshareConcurrency: 100 }));
    await assert.rejects(loadConfigFile(undefined, dir), /figshareConcurrency/);
  });

  test('precedence: flags > environment > config file > defaults', async () => {
    const cwd = await tmp();
    const config = { path: 'x', config: { out: 'from-config', mpp: 0.5, concurrency: 3, components: ['masks'] } };
    const env = { BCSS_OUT: 'from-env', BCSS_MAG: '20' };
    const a = await resolveDownloadOptions({ dryRun: true }, env, config, cwd);
    assert.equal(a.options.outDir, join(cwd, 'from-env'));
    assert.deepEqual(a.options.resolution, { kind: 'mag', magnification: 20 }, 'env resolution replaces the config one');
    assert.equal(a.options.concurrency, 3, 'config applies where nothing higher is set');
    assert.deepEqual(a.options.components, ['masks']);
    const b = await resolveDownloadOptions({ dryRun: true, out: 'from-flag', base: true }, env, config, cwd);
    assert.equal(b.options.outDir, join(cwd, 'from-flag'));
    assert.deepEqual(b.options.resolution, { kind: 'base' });
  });

  test('--mpp with --mag, bad numbers and unknown components are usage errors that say what to do', async () => {
    const cwd = await tmp();
    await assert.rejects(resolveDownloadOptions({ mpp: '0.25', mag: '20' }, {}, noConfig, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /--mpp and --mag/);
      assert.match(e.hint ?? '', /choose|--base/i);
      return true;
    });
    await assert.rejects(resolveDownloadOptions({ mpp: '-1' }, {}, noConfig, cwd), /--mpp must be a number greater than 0 and at most 100/);
    await assert.rejects(resolveDownloadOptions({ mpp: 'abc' }, {}, noConfig, cwd), UsageError);
    await assert.rejects(resolveDownloadOptions({ concurrency: '0' }, {}, noConfig, cwd), /--concurrency/);
    await assert.rejects(resolveDownloadOptions({ components: 'images,slides' }, {}, noConfig, cwd), /unknown component "slides"/);
    // `all` is every component but the ~150 GB of slides; `wsis` is asked for by name.
    assert.deepEqual((await resolveDownloadOptions({ components: 'all' }, {}, noConfig, cwd)).options.components, ['images', 'masks', 'annotations', 'wsi-scripts']);
    assert.deepEqual((await resolveDownloadOptions({ components: 'all,wsis' }, {}, noConfig, cwd)).options.components, ['images', 'masks', 'annotations', 'wsi-scripts', 'wsis']);
    const wsi = (await resolveDownloadOptions({ components: 'wsis', wsiDir: 'slides', gdcConcurrency: '3' }, {}, noConfig, cwd)).options;
    assert.equal(wsi.wsiDir, join(cwd, 'slides'));
    assert.equal(wsi.gdcConcurrency, 3);
    await assert.rejects(resolveDownloadOptions({ gdcConcurrency: '0' }, {}, noConfig, cwd), /--gdc-concurrency/);
    await assert.rejects(resolveDownloadOptions({ apiUrl: 'ftp://x' }, {}, noConfig, cwd), /http/);
    await assert.rejects(resolveDownloadOptions({ apiUrl: 'https://u:p@x/api' }, {}, noConfig, cwd), /password/);
    await assert.rejects(resolveDownloadOptions({ encoding: 'webp' }, {}, noConfig, cwd), /png or jpeg/);
  });

  test('--slides accepts short, case and full forms, keeps table order, and suggests close names', async () => {
    const cwd = await tmp();
    const s = await resolveDownloadOptions({ dryRun: true, slides: 'tcga-a2-a04p, A1-A0SK' }, {}, noConfig, cwd);
    assert.deepEqual(
      s.options.rois.map((r) => r.name),
      ['TCGA-A1-A0SK-DX1', 'TCGA-A2-A04P-DX1'],
    );
    await assert.rejects(resolveDownloadOptions({ slides: 'A1-A0SX' }, {}, noConfig, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /A1-A0SX: did you mean TCGA-A1-A0SK-DX1/);
      return true;
    });
    const listFile = join(cwd, 'list.txt');
    await writeFile(listFile, '# my slides\nTCGA-OL-A5RW-DX1\nE2-A14N  # a comment\n');
    const f = await resolveDownloadOptions({ dryRun: true, slides: `@${listFile}` }, {}, noConfig, cwd);
    assert.deepEqual(f.options.rois.map((r) => r.name), ['TCGA-E2-A14N-DX1', 'TCGA-OL-A5RW-DX1']);
  });

  test('--rois replaces the table; a malformed table is a usage error naming the line', async () => {
    const cwd = await tmp();
    const good = join(cwd, 'rois.csv');
    await writeFile(good, ',xmin,ymin,xmax,ymax,mask_link\r\nTCGA-A1-A0SK-DX1,100,200,150,260,https://ndownloader.figshare.com/files/13243676\r\n');
    const s = await resolveDownloadOptions({ dryRun: true, rois: good }, {}, noConfig, cwd);
    assert.equal(s.options.customRois, true);
    assert.equal(s.options.rois.length, 1);
    assert.equal(s.options.rois[0]?.xmax, 150);
    const bad = join(cwd, 'bad.csv');
    await writeFile(bad, ',xmin,ymin,xmax,ymax,mask_link\nTCGA-A1-A0SK-DX1,100,200,50,260,https://ndownloader.figshare.com/files/1\n');
    await assert.rejects(resolveDownloadOptions({ rois: bad }, {}, noConfig, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /line 2|row 1|xmax/);
      return true;
    });
    await assert.rejects(resolveDownloadOptions({ rois: join(cwd, 'missing.csv') }, {}, noConfig, cwd), /ENOENT/);
  });

  test('the API key comes only from the environment or config, and is validated', async () => {
    const cwd = await tmp();
    const key = 'A'.repeat(40);
    const s = await resolveDownloadOptions({ dryRun: true }, { BCSS_API_KEY: key }, noConfig, cwd);
    assert.deepEqual(s.options.credentials, { kind: 'api-key', apiKey: key });
    const c = await resolveDownloadOptions({ dryRun: true }, {}, { path: 'x', config: { apiKey: key } }, cwd);
    assert.equal(c.options.credentials.kind, 'api-key');
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_API_KEY: 'bad key!' }, noConfig, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.ok(!e.message.includes('bad key!'), 'the rejected key is not echoed');
      return true;
    });
  });

  test('an output path that is a file, or under a file, is a disk error', async () => {
    const cwd = await tmp();
    const file = join(cwd, 'afile');
    await writeFile(file, 'x');
    await assert.rejects(resolveDownloadOptions({ out: file }, {}, noConfig, cwd), DiskError);
    await assert.rejects(resolveDownloadOptions({ out: join(file, 'sub') }, {}, noConfig, cwd), DiskError);
    // A dry run creates nothing.
    const s = await resolveDownloadOptions({ out: join(cwd, 'new', 'deeper'), dryRun: true }, {}, noConfig, cwd);
    assert.equal(s.options.dryRun, true);
    await assert.rejects(import('node:fs/promises').then((fs) => fs.stat(join(cwd, 'new'))), /ENOENT/);
  });
});

describe('config file', () => {
  test('missing implicit file is fine; explicit missing file, bad JSON and bad fields are usage errors', async () => {
    const cwd = await tmp();
    assert.deepEqual(await loadConfigFile(undefined, cwd), { path: null, config: {} });
    await assert.rejects(loadConfigFile(join(cwd, 'nope.json'), cwd), UsageError);
    await writeFile(join(cwd, 'bcss.config.json'), '{"mpp": 0.25,}');
    await assert.rejects(loadConfigFile(undefined, cwd), /not valid JSON/);
    await writeFile(join(cwd, 'bcss.config.json'), '{"mpp": "fast", "colour": "blue"}');
    await assert.rejects(loadConfigFile(undefined, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /mpp/);
      assert.match(e.message, /colour|unrecognized/i);
      return true;
    });
    // Every problem at once, each line naming its key, the message naming the file.
    await writeFile(join(cwd, 'bcss.config.json'), '{"mpp": "fast", "colour": "blue", "apiUrl": "not a url", "encoding": "gif", "out": ""}');
    await assert.rejects(loadConfigFile(undefined, cwd), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.ok(e.message.includes(join(cwd, 'bcss.config.json')), e.message);
      for (const line of ['  mpp: expected a number, got "fast"', '  colour: unrecognized key', '  apiUrl: expected a URL', '  encoding: expected "png" or "jpeg"', '  out: expected a non-empty string']) {
        assert.ok(e.message.includes(line), `${line} in ${e.message}`);
      }
      return true;
    });
    await writeFile(join(cwd, 'bcss.config.json'), '["out"]');
    await assert.rejects(loadConfigFile(undefined, cwd), /\(top level\): expected an object/);
    await mkdir(join(cwd, 'sub'));
    await writeFile(join(cwd, 'sub', 'c.json'), '{"out": "x", "components": "images"}');
    const ok = await loadConfigFile(join(cwd, 'sub', 'c.json'), cwd);
    assert.equal(ok.config.out, 'x');
  });
});

describe('closest names', () => {
  test('edit distance and ranking', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.deepEqual(closestNames('TCGA-A1-A0SX-DX1', ['TCGA-A1-A0SK-DX1', 'TCGA-OL-A5RW-DX1', 'TCGA-A1-A0SP-DX1'], 2), [
      'TCGA-A1-A0SK-DX1',
      'TCGA-A1-A0SP-DX1',
    ]);
  });
});
