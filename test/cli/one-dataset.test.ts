// Issue 8 item 2: an output folder is one dataset, and bcss says so. Through the CLI, in-process,
// against the demo server (2 slides, scale 0.05).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { closedPort } from '../helpers/closed-port.js';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { sha256Hex } from '../../src/pipeline/hash-file.js';
import { LOCK_FILE_NAME, parseLockText, serializeLock } from '../../src/pipeline/lock-file.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';

const SLIDES = ['A1-A0SK', 'A8-A07C'];

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(dir, p)] = sha256Hex(await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

describe('one output folder, one dataset', () => {
  let server: RunningServer;
  let roiTable: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-one-dataset-'));
    const dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slides: SLIDES });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
  });
  after(async () => {
    await server.close();
  });

  const flags = (out: string, ...more: string[]): string[] => [
    'node', 'bcss', 'download', '--out', out,
    '--api-url', server.urls.girder, '--figshare-url', server.urls.figshare, '--gdc-url', server.urls.gdc,
    '--rois', roiTable, '--figshare-interval', '0', '--no-progress', ...more,
  ];
  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const f = fakeContext({}, { cwd: work });
    const code = await main(args, f.ctx);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  };
  const verify = async (out: string): Promise<{ code: number; stdout: string; report: { issues: Array<{ problem: string; path: string; detail: string }> } }> => {
    const f = fakeContext({}, { cwd: work });
    const code = await main(['node', 'bcss', 'verify', '--out', out, '--json'], f.ctx);
    return { code, stdout: f.stdout(), report: JSON.parse(f.stdout()) as { issues: Array<{ problem: string; path: string; detail: string }> } };
  };

  test('another resolution is refused (exit 2) naming both specs and both ways forward; nothing changes', async () => {
    const out = join(work, 'mixed');
    assert.equal((await run(flags(out))).code, EXIT.ok);
    const before = await tree(out);
    const r = await run(flags(out, '--mpp', '0.5'));
    assert.equal(r.code, EXIT.usage, r.stderr);
    assert.match(r.stderr, /holds another dataset than this run asks for: resolution differ/);
    assert.match(r.stderr, /the folder: resolution 0\.25 µm\/px/);
    assert.match(r.stderr, /this run: {3}resolution 0\.5 µm\/px/);
    assert.match(r.stderr, /another --out/);
    assert.match(r.stderr, /--replace to move the folder's current files to .*mixed-replaced-/);
    assert.deepEqual(await tree(out), before, 'not a byte changed, no log written');
    const dry = await run(flags(out, '--mpp', '0.5', '--dry-run'));
    assert.equal(dry.code, EXIT.usage, 'a dry run says so too');
    assert.match(dry.stderr, /holds another dataset/);
  });

  test('--replace moves the old dataset beside the folder (nothing deleted) and downloads afresh', async () => {
    const out = join(work, 'replaced');
    assert.equal((await run(flags(out))).code, EXIT.ok);
    const old = await tree(out);
    const r = await run(flags(out, '--mpp', '0.5', '--replace'));
    assert.equal(r.code, EXIT.ok, r.stderr);
    const siblings = (await readdir(work)).filter((n) => n.startsWith('replaced-replaced-'));
    assert.equal(siblings.length, 1);
    const moved = await tree(join(work, siblings[0] as string));
    for (const [path, hash] of Object.entries(old)) if (path !== 'bcss.lease') assert.equal(moved[path], hash, path);
    const images = await readdir(join(out, 'images'));
    assert.equal(images.length, 2);
    assert.ok(images.every((n) => n.endsWith('_MPP-0.5000.png')), images.join(' '));
    assert.equal((await verify(out)).code, EXIT.ok);
  });

  test('a run that forgot --rois (another ROI table) is refused instead of rewriting meta/roiBounds.csv', async () => {
    const out = join(work, 'forgot-rois');
    assert.equal((await run(flags(out))).code, EXIT.ok);
    const bounds = await readFile(join(out, 'meta', 'roiBounds.csv'), 'utf8');
    const args = flags(out, '--slides', SLIDES.join(','));
    args.splice(args.indexOf('--rois'), 2);
    const r = await run(args);
    assert.equal(r.code, EXIT.usage, r.stderr);
    assert.match(r.stderr, /ROI table differ/);
    assert.equal(await readFile(join(out, 'meta', 'roiBounds.csv'), 'utf8'), bounds);
  });

  test('subset runs add to the folder: meta/ and wsis/ describe every ROI it holds', async () => {
    const out = join(work, 'subsets');
    const comps = ['--components', 'images,masks,wsi-scripts'];
    assert.equal((await run(flags(out, ...comps, '--slides', 'A1-A0SK'))).code, EXIT.ok);
    const second = await run(flags(out, ...comps, '--slides', 'A8-A07C'));
    assert.equal(second.code, EXIT.ok, second.stderr);
    const bounds = await readFile(join(out, 'meta', 'roiBounds.csv'), 'utf8');
    assert.match(bounds, /TCGA-A1-A0SK-DX1,/);
    assert.match(bounds, /TCGA-A8-A07C-DX1,/);
    const splits = await readFile(join(out, 'meta', 'splits.csv'), 'utf8');
    assert.equal(splits.trim().split('\n').length, 3, splits);
    const script = await readFile(join(out, 'wsis', 'download_wsis.sh'), 'utf8');
    assert.match(script, /TCGA-A1-A0SK/);
    assert.match(script, /TCGA-A8-A07C/);
    assert.equal((await readdir(join(out, 'images'))).length, 2);
    const v = await verify(out);
    assert.equal(v.code, EXIT.ok, v.stdout);
  });

  test('a lock from before dataset records: a subset rerun still keeps meta/ whole, another resolution is still refused', async () => {
    const out = join(work, 'legacy-lock');
    assert.equal((await run(flags(out))).code, EXIT.ok);
    const lockPath = join(out, LOCK_FILE_NAME);
    const lock = (await parseLockText(await readFile(lockPath, 'utf8'))).lock!;
    delete lock.dataset;
    await writeFile(lockPath, serializeLock(lock));
    assert.equal((await run(flags(out, '--mpp', '0.5'))).code, EXIT.usage);
    const subset = await run(flags(out, '--slides', 'A1-A0SK'));
    assert.equal(subset.code, EXIT.ok, subset.stderr);
    const bounds = await readFile(join(out, 'meta', 'roiBounds.csv'), 'utf8');
    assert.match(bounds, /TCGA-A8-A07C-DX1,/);
    assert.equal((await verify(out)).code, EXIT.ok);
  });

  test('verify reports a download that is incomplete (planned, never fetched) instead of "all good"', async () => {
    const out = join(work, 'incomplete');
    const args = flags(out, '--retries', '0');
    args[args.indexOf('--figshare-url') + 1] = `http://127.0.0.1:${await closedPort()}/v2`;
    const r = await run(args);
    assert.notEqual(r.code, EXIT.ok, 'the masks could not be fetched');
    const v = await verify(out);
    assert.equal(v.code, EXIT.integrity, v.stdout);
    const incomplete = v.report.issues.filter((i) => i.problem === 'incomplete');
    assert.equal(incomplete.length, 1, v.stdout);
    assert.match(incomplete[0]?.detail ?? '', /2 of \d+ planned artifacts were never fetched \(2 masks\)/);
    const human = fakeContext({}, { cwd: work });
    await main(['node', 'bcss', 'verify', '--out', out], human.ctx);
    assert.match(human.stdout(), /incomplete: rerun the same `bcss download` command to finish/);
  });

  test('verify reports a folder that mixes resolutions or whose roiBounds.csv does not match its images', async () => {
    // What older bcss versions let happen: a 0.5 µm/px run into a 0.25 µm/px folder, and a
    // roiBounds.csv rewritten (and re-locked) from another table.
    const out = join(work, 'legacy-mix');
    const other = join(work, 'legacy-half');
    assert.equal((await run(flags(out))).code, EXIT.ok);
    assert.equal((await run(flags(other, '--mpp', '0.5'))).code, EXIT.ok);
    await cp(join(other, 'images'), join(out, 'images'), { recursive: true });
    await cp(join(other, 'masks'), join(out, 'masks'), { recursive: true });
    const lockPath = join(out, LOCK_FILE_NAME);
    const lock = (await parseLockText(await readFile(lockPath, 'utf8'))).lock!;
    const half = (await parseLockText(await readFile(join(other, LOCK_FILE_NAME), 'utf8'))).lock!;
    lock.artifacts.push(...half.artifacts.filter((e) => e.kind === 'images' || e.kind === 'masks'));
    const table = await readFile(join(out, 'meta', 'roiBounds.csv'), 'utf8');
    const shifted = table.replace(/(TCGA-A1-A0SK-DX1,)(\d+)/, (_m, a: string, x: string) => `${a}${Number(x) + 1}`);
    assert.notEqual(shifted, table);
    await writeFile(join(out, 'meta', 'roiBounds.csv'), shifted);
    const entry = lock.artifacts.find((e) => e.path === 'meta/roiBounds.csv')!;
    Object.assign(entry, { sha256: sha256Hex(shifted), bytes: Buffer.byteLength(shifted), mtimeMs: undefined });
    await writeFile(lockPath, serializeLock(lock));

    const v = await verify(out);
    assert.equal(v.code, EXIT.integrity, v.stdout);
    const mismatches = v.report.issues.filter((i) => i.problem === 'spec-mismatch').map((i) => i.detail);
    assert.ok(mismatches.some((d) => /2 files, e\.g\. images\/.*MPP-0\.5000\.png: images at 0\.5 µm\/px .*, but the folder's dataset is at 0\.25 µm\/px/.test(d)), mismatches.join('\n'));
    assert.ok(mismatches.some((d) => /masks at 0\.5 µm\/px/.test(d)), mismatches.join('\n'));
    assert.ok(mismatches.some((d) => /of ROI TCGA-A1-A0SK-DX1 were made from bounds .* but meta\/roiBounds\.csv says/.test(d)), mismatches.join('\n'));
  });
});
