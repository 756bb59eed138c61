// End-to-end through the CLI layer (flags → options → pipeline → summary →
// exit code) against the embedded demo server, in-process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { builtinSlides, findSlideForRoi, parseRoiTable } from '../../src/catalog/index.js';
import { readPngHeaderFromFile } from '../../src/image/png-header-file.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

const SLIDES = 'A1-A0SK,A8-A07C';
const KEY = 'Zx9Qk2Lm4Np6Rs8Tu0Vw1Xy3Za5Bc7De9Fg2Hj4K';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('bcss download / verify through the CLI', () => {
  let server: RunningServer;
  let privateServer: RunningServer;
  let roiTable: string;
  let work: string;
  let dataset: ServedDataset;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-cli-e2e-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slides: SLIDES.split(',') });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
    privateServer = await startServer({ dataset, port: 0, apiKey: KEY, openServices: ['figshare', 'gdc'] });
  });
  after(async () => {
    await server.close();
    await privateServer.close();
  });

  const flagsFor = (s: RunningServer, out: string): string[] => [
    '--out', out,
    '--api-url', s.urls.girder,
    '--figshare-url', s.urls.figshare,
    '--gdc-url', s.urls.gdc,
    '--rois', roiTable,
    '--figshare-interval', '0',
  ];

  test('--json prints one summary object with the promised keys; a rerun makes zero requests', async () => {
    const out = join(work, 'json');
    const f = fakeContext({}, { cwd: work });
    const code = await main(['node', 'bcss', 'download', ...flagsFor(server, out), '--json'], f.ctx);
    assert.equal(code, EXIT.ok, f.stderr());
    const summary = JSON.parse(f.stdout()) as Record<string, unknown>;
    for (const key of ['requests', 'bytes', 'retries', 'seconds', 'failures', 'components']) assert.ok(key in summary, key);
    assert.deepEqual(summary.failures, []);
    assert.ok((summary.requests as number) > 0);
    const components = summary.components as Record<string, Record<string, number>>;
    assert.equal(components.images?.done, 2);
    assert.equal(components.masks?.done, 2);
    // Images and masks pair up by name and size.
    const images = (await readdir(join(out, 'images'))).sort();
    assert.deepEqual(images, (await readdir(join(out, 'masks'))).sort());
    assert.match(images[0] ?? '', /^TCGA-A1-A0SK-DX1_xmin\d+_ymin\d+_MPP-0\.2500\.png$/);
    for (const name of images) {
      const a = await readPngHeaderFromFile(join(out, 'images', name));
      const b = await readPngHeaderFromFile(join(out, 'masks', name));
      assert.deepEqual([a.width, a.height], [b.width, b.height]);
      assert.equal(b.colorType, 0);
    }

    server.resetLog();
    const again = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', ...flagsFor(server, out), '--json'], again.ctx), EXIT.ok);
    assert.equal(server.log.length, 0, 'the rerun sent no request to the server');
    const s2 = JSON.parse(again.stdout()) as { requests: number; components: Record<string, Record<string, number>> };
    assert.equal(s2.requests, 0);
    assert.equal(s2.components.images?.skipped, 2);

    const v = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'verify', '--out', out, '--json'], v.ctx), EXIT.ok);
    assert.equal((JSON.parse(v.stdout()) as { ok: boolean }).ok, true);
  });

  test('prepare outputs live beside the download without making verify report them', async () => {
    const out = join(work, 'prepared');
    const d = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', ...flagsFor(server, out)], d.ctx), EXIT.ok, d.stderr());
    for (const task of [['splits', '--layout', 'folders'], ['tiles', '--size', '32'], ['gallery'], ['stats']]) {
      const p = fakeContext({}, { cwd: work });
      assert.equal(await main(['node', 'bcss', 'prepare', ...task, '--out', out], p.ctx), EXIT.ok, p.stderr());
    }
    await stat(join(out, 'gallery', 'index.html'));
    const v = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'verify', '--out', out, '--json'], v.ctx), EXIT.ok, v.stdout());
    assert.deepEqual((JSON.parse(v.stdout()) as { issues: unknown[] }).issues, []);
  });

  test('plain output names the output folder and lock; verify without a lock fails clearly', async () => {
    const out = join(work, 'plain');
    const f = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', ...flagsFor(server, out), '--components', 'masks', '--mag', '20'], f.ctx), EXIT.ok);
    assert.match(f.stdout(), new RegExp(`output: ${out.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')}`));
    assert.match(f.stdout(), /masks\s+2 done/);
    assert.match(f.stderr(), /\[[12]\/2\] done masks\/TCGA-A8-A07C-DX1_xmin\d+_ymin\d+_MAG-20\.00\.png/);
    const empty = await mkdtemp(join(tmpdir(), 'bcss-empty-'));
    const v = fakeContext({}, { cwd: work });
    const code = await main(['node', 'bcss', 'verify', '--out', empty], v.ctx);
    assert.equal(code, EXIT.usage);
    assert.match(v.stderr(), /no bcss\.lock\.json/);
  });

  test('--dry-run writes nothing and lists expected sizes', async () => {
    const out = join(work, 'dry');
    const f = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', ...flagsFor(server, out), '--dry-run'], f.ctx), EXIT.ok);
    assert.match(f.stdout(), /dry run: 4 artifacts/);
    assert.match(f.stdout(), /images\s+images\/TCGA-A1-A0SK-DX1_\S+ \d+x\d+/);
    assert.match(f.stdout(), /nothing was written/);
    await assert.rejects(stat(out), /ENOENT/);
  });

  test('private data: no key → auth exit code with a hint; with the key from the environment → works, and the key is nowhere', async () => {
    const out = join(work, 'private');
    const anon = fakeContext({}, { cwd: work });
    const code = await main(['node', 'bcss', 'download', ...flagsFor(privateServer, out), '--components', 'images'], anon.ctx);
    assert.equal(code, EXIT.auth, anon.stderr());
    assert.match(anon.stderr(), /BCSS_API_KEY|--login/);

    const withKey = fakeContext({ BCSS_API_KEY: KEY }, { cwd: work });
    const ok = await main(['node', 'bcss', 'download', ...flagsFor(privateServer, out), '--components', 'all', '--json'], withKey.ctx);
    assert.equal(ok, EXIT.ok, withKey.stderr());
    assert.ok(!withKey.stdout().includes(KEY) && !withKey.stderr().includes(KEY), 'key not printed');
    const files = await walk(out);
    assert.ok(files.some((p) => p.endsWith('download_wsis.sh')));
    for (const file of files) {
      const text = await readFile(file, 'latin1');
      assert.ok(!text.includes(KEY), `${file} must not contain the API key`);
    }
    // The script reads the key from the environment at run time instead.
    assert.match(await readFile(join(out, 'wsis', 'download_wsis.sh'), 'utf8'), /\$\{?BCSS_API_KEY/);
  });

  test('a partial failure exits 1, lists the failed items and prints a command that retries only them', async () => {
    const rois = parseRoiTable(await readFile(roiTable, 'utf8'), roiTable);
    const victim = rois.find((r) => r.name === 'TCGA-A1-A0SK-DX1');
    const itemId = victim === undefined ? undefined : findSlideForRoi(victim, builtinSlides())?.dsaItemId;
    assert.ok(victim && itemId);
    // The DSA renders nothing for this one slide's region (docs/protocols.md#tiles-region), whatever is asked.
    const flaky = await startServer({
      dataset,
      port: 0,
      faults: { girder: { emptyBody200: 1, pathIncludes: `/item/${itemId}/tiles/region` } },
    });
    try {
      const out = join(work, 'partial');
      const f = fakeContext({}, { cwd: work });
      const args = [...flagsFor(flaky, out), '--components', 'images', '--retries', '0', '--no-progress'];
      assert.equal(await main(['node', 'bcss', 'download', ...args], f.ctx), EXIT.partial, f.stderr());
      assert.match(f.stdout(), /1 item\(s\) FAILED:\n {2}images\/TCGA-A1-A0SK-DX1_\S+\.png: .*rendered nothing/);
      const line = /retry only these with:\n {2}(.+)\n/.exec(f.stdout())?.[1];
      assert.equal(
        line,
        `bcss download --out ${out} --components images --rois ${roiTable} --api-url ${flaky.urls.girder} --figshare-url ${flaky.urls.figshare} ` +
          `--gdc-url ${flaky.urls.gdc} --figshare-interval 0 --retries 0 --no-progress --slides TCGA-A1-A0SK-DX1`,
      );
      // Running it asks for that region only (and it fails again, since this server never renders it).
      flaky.resetLog();
      const again = fakeContext({}, { cwd: work });
      assert.equal(await main(['node', ...line!.split(' ')], again.ctx), EXIT.partial);
      const regions = flaky.log.filter((e) => e.path.includes('/tiles/region'));
      assert.ok(regions.length > 0 && regions.every((e) => e.path.includes(`/item/${itemId}/`)), 'only the failed ROI');
      assert.match(again.stdout(), /images\s+1 failed\n/);
    } finally {
      await flaky.close();
    }
  });

  test('bad flags are usage errors (exit 2) that say what to do', async () => {
    const f = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', '--mpp', '0.25', '--mag', '20'], f.ctx), EXIT.usage);
    assert.match(f.stderr(), /choose one resolution/);
    const g = fakeContext({}, { cwd: work });
    assert.equal(await main(['node', 'bcss', 'download', '--no-such-flag'], g.ctx), EXIT.usage);
    assert.match(g.stderr(), /unknown option/);
  });
});

describe('bcss top level', () => {
  test('--version prints the package version; errors with --json still give one JSON object', async () => {
    const f = fakeContext();
    assert.equal(await main(['node', 'bcss', '--version'], f.ctx), EXIT.ok);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(f.stdout().trim(), pkg.version);
    const g = fakeContext();
    assert.equal(await main(['node', 'bcss', 'download', '--mpp', '-3', '--json'], g.ctx), EXIT.usage);
    const out = JSON.parse(g.stdout()) as { error: { kind: string; message: string }; exitCode: number };
    assert.equal(out.error.kind, 'usage');
    assert.equal(out.exitCode, EXIT.usage);
    assert.match(out.error.message, /--mpp/);
  });
});
