/**
 * `bcss rasterize` against masks downloaded from the demo server (all 151 ROIs, scale 0.05): the
 * annotations it serves, drawn offline, must give the very masks it serves, pixel for pixel, at
 * base resolution and at 0.25 µm/px (issue 12, item 5). Also: lock entries that verify accepts,
 * reruns that skip, and per-slide failures that do not stop the other slides.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRoiTable } from '../../src/catalog/index.js';
import type { RoiRecord } from '../../src/catalog/types.js';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { readLock } from '../../src/pipeline/lock-file.js';
import { decodeGreyPng } from '../../src/image/label-png.js';
import { runDownload } from '../../src/pipeline/run-download.js';
import type { DownloadOptions } from '../../src/pipeline/types.js';
import { runVerify } from '../../src/pipeline/verify.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { demoDownloadOptions } from '../helpers/demo-download-options.js';

let work: string;
let server: RunningServer;
let rois: RoiRecord[];

function options(outDir: string, over: Partial<DownloadOptions>): DownloadOptions {
  return demoDownloadOptions(server.urls, rois, { outDir, components: ['masks', 'annotations'], resolution: { kind: 'base' }, concurrency: 8, ...over }, 8);
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeContext();
  const code = await main(['node', 'bcss', 'rasterize', ...args], f.ctx);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

/** Pixels that differ between two folders' masks of the same names (every file must exist in both). */
async function compareMasks(want: string, got: string): Promise<{ files: number; differing: number }> {
  const names = (await readdir(want)).filter((n) => n.endsWith('.png')).sort();
  assert.deepEqual((await readdir(got)).filter((n) => n.endsWith('.png')).sort(), names);
  let differing = 0;
  for (const name of names) {
    const a = await decodeGreyPng(await readFile(join(want, name)));
    const b = await decodeGreyPng(await readFile(join(got, name)));
    assert.deepEqual([b.width, b.height], [a.width, a.height], name);
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) differing++;
  }
  return { files: names.length, differing };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-rasterize-'));
  // Masks and annotations only: the slides' .svs files are never fetched, so they are the
  // stand-in bytes rather than 151 generated TIFFs (demo-slide-serving.test.ts covers those).
  const dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slideFiles: 'stand-in' });
  server = await startServer({ dataset, port: 0 });
  rois = parseRoiTable(await readFile(dataset.roiTablePath as string, 'utf8'), 'demo table');
  assert.equal(rois.length, 151);
});

after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe('bcss rasterize reproduces the demo masks', () => {
  test('--base --outline drawn: 151 masks, 0 differing pixels, in the lock, verify passes, rerun skips', async () => {
    const out = join(work, 'base');
    const summary = await runDownload(options(out, {}), {});
    assert.deepEqual(summary.failures, []);
    const r = await cli(['--out', out, '--base', '--outline', 'drawn', '--masks-dir', join(out, 'rasterized'), '--json']);
    assert.equal(r.code, EXIT.ok, r.stdout + r.stderr);
    const s = JSON.parse(r.stdout) as { masks: Array<{ status: string }>; failures: unknown[] };
    assert.equal(s.masks.length, 151);
    assert.deepEqual(s.failures, []);
    assert.deepEqual(await compareMasks(join(out, 'masks'), join(out, 'rasterized')), { files: 151, differing: 0 });

    const lock = (await readLock(out, { moveAside: false })).lock;
    const ours = lock?.artifacts.filter((a) => a.path.startsWith('rasterized/')) ?? [];
    assert.equal(ours.length, 151);
    assert.ok(ours.every((a) => a.kind === 'masks' && a.source.url === null && a.source.params.outline === 'drawn'));
    assert.deepEqual((await runVerify({ outDir: out })).issues, []);

    const again = await cli(['--out', out, '--base', '--masks-dir', join(out, 'rasterized'), '--json']);
    assert.equal(again.code, EXIT.ok);
    assert.ok((JSON.parse(again.stdout) as { masks: Array<{ status: string }> }).masks.every((m) => m.status === 'skipped'));

    // 'skipped' (today's HistomicsTK) is a different, smaller drawing: some pixels change.
    const skipped = await cli(['--out', out, '--base', '--outline', 'skipped', '--masks-dir', join(out, 'no-outline'), '--slides', 'A1-A0SK,A2-A04P']);
    assert.equal(skipped.code, EXIT.ok, skipped.stdout);
    const names = await readdir(join(out, 'no-outline'));
    assert.equal(names.length, 2);
    let changed = 0;
    for (const name of names) {
      const a = await decodeGreyPng(await readFile(join(out, 'masks', name)));
      const b = await decodeGreyPng(await readFile(join(out, 'no-outline', name)));
      for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) changed++;
    }
    assert.ok(changed > 0, 'the outline decides some pixels');
  });

  test('--mpp 0.25 --scaling resize: the same masks as the download at 0.25 µm/px', async () => {
    const out = join(work, 'mpp');
    const summary = await runDownload(options(out, { resolution: { kind: 'mpp', mpp: 0.25 } }), {});
    assert.deepEqual(summary.failures, []);
    const r = await cli(['--out', out, '--mpp', '0.25', '--scaling', 'resize', '--masks-dir', join(out, 'rasterized')]);
    assert.equal(r.code, EXIT.ok, r.stdout);
    assert.deepEqual(await compareMasks(join(out, 'masks'), join(out, 'rasterized')), { files: 151, differing: 0 });

    // Without a lock that knows the 0.25 µm/px grid, resize cannot work offline: a clear failure.
    const bare = join(work, 'bare');
    await mkdir(join(bare, 'annotations'), { recursive: true });
    const one = (await readdir(join(out, 'annotations')))[0] as string;
    await copyFile(join(out, 'annotations', one), join(bare, 'annotations', one));
    const lost = await cli(['--out', bare, '--mpp', '0.25']);
    assert.equal(lost.code, EXIT.partial);
    assert.match(lost.stdout, /not known offline/);
  });

  test('bad input: malformed JSON → exit 4 for that file, no ROI / unknown groups named, the rest written', async () => {
    const out = join(work, 'bad');
    const src = join(work, 'base', 'annotations');
    await mkdir(join(out, 'annotations'), { recursive: true });
    const files = (await readdir(src)).sort().slice(0, 4);
    for (const f of files) await copyFile(join(src, f), join(out, 'annotations', f));
    const [broken, noRoi, unknown] = files as [string, string, string];
    await writeFile(join(out, 'annotations', broken), '[{"annotation": {"elements": [');
    const docs = JSON.parse(await readFile(join(src, noRoi), 'utf8')) as Array<{ annotation: { elements: Array<{ group?: string }> } }>;
    for (const d of docs) d.annotation.elements = d.annotation.elements.filter((e) => e.group !== 'roi');
    await writeFile(join(out, 'annotations', noRoi), JSON.stringify(docs));
    const docs2 = JSON.parse(await readFile(join(src, unknown), 'utf8')) as Array<{ annotation: { elements: Array<{ group?: string }> } }>;
    const el = docs2[0]!.annotation.elements.find((e) => e.group !== 'roi')!;
    el.group = 'mostly_unicorns';
    await writeFile(join(out, 'annotations', unknown), JSON.stringify(docs2));

    const r = await cli(['--out', out, '--base', '--json']);
    assert.equal(r.code, EXIT.integrity);
    const s = JSON.parse(r.stdout) as { masks: unknown[]; failures: Array<{ item: string; reason: string; integrity: boolean }> };
    assert.equal(s.masks.length, 1, 'the good file is still rasterized');
    const reason = (f: string): string => s.failures.find((x) => x.item.endsWith(f))?.reason ?? '';
    assert.match(reason(broken), /not valid JSON/);
    assert.match(reason(noRoi), /no ROI element \(ROI groups in the GT-codes table: roi, evaluation_roi/);
    assert.match(reason(unknown), /groups not in the GT-codes table: mostly_unicorns/);
    assert.deepEqual(s.failures.map((f) => f.integrity).sort(), [false, false, true]);

    // Without the broken file the run is a partial failure (1), not an integrity one.
    await rm(join(out, 'annotations', broken));
    assert.equal((await cli(['--out', out, '--base'])).code, EXIT.partial);
  });

  test('usage errors: two resolutions, bad --outline, missing input', async () => {
    assert.equal((await cli(['--out', work, '--base', '--mpp', '0.5'])).code, EXIT.usage);
    assert.equal((await cli(['--out', work, '--base', '--outline', 'maybe'])).code, EXIT.usage);
    assert.equal((await cli(['--out', join(work, 'nothing-here'), '--base'])).code, EXIT.usage);
    assert.equal((await cli(['--out', work, '--mpp', '0.5', '--scaling', 'draw', '--annotations', join(work, 'base', 'annotations')])).code, EXIT.usage);
  });
});
