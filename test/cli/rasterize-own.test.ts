/**
 * `bcss rasterize` on hand-made annotation files: a user's own GT-codes table and slide names,
 * --scaling draw, progress lines and reruns. No server involved.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinSlides } from '../../src/catalog/index.js';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { decodeGreyPng } from '../../src/image/label-png.js';
import { fakeContext } from '../helpers/cli-context.js';

let work: string;

const box = (group: string, x0: number, y0: number, x1: number, y1: number): Record<string, unknown> => ({
  type: 'polyline',
  group,
  closed: true,
  points: [[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0]],
});
const doc = (elements: unknown[]): string => JSON.stringify([{ annotation: { name: 'test', elements } }]);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeContext();
  const code = await main(['node', 'bcss', 'rasterize', ...args], f.ctx);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-rasterize-own-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('bcss rasterize with your own GT codes', () => {
  test('--gt-codes TSV: own groups and codes, file-based names, base grid W × H', async () => {
    const codes = join(work, 'codes.tsv');
    await writeFile(
      codes,
      'group\toverlay_order\tGT_code\tis_roi\tis_background_class\n' +
        'tissue_roi\t0\t100\t1\t0\nbackground\t1\t2\t0\t1\ntumor\t2\t50\t0\t0\n',
    );
    const file = join(work, 'slideA.json');
    await writeFile(file, doc([box('tissue_roi', 10, 20, 50, 60), box('tumor', 20, 30, 30, 40)]));
    const out = join(work, 'own');
    const r = await cli(['--annotations', file, '--out', out, '--base', '--gt-codes', codes]);
    assert.equal(r.code, EXIT.ok, r.stdout + r.stderr);
    assert.match(r.stderr, /^ok {5}slideA\.json: slideA_xmin10_ymin20_MAG-0\.png 40x40$/m);
    const m = await decodeGreyPng(await readFile(join(out, 'masks', 'slideA_xmin10_ymin20_MAG-0.png')));
    assert.deepEqual([m.width, m.height], [40, 40]);
    const at = (x: number, y: number): number => m.data[(y - 20) * 40 + (x - 10)]!;
    assert.equal(at(25, 35), 50, 'tumor');
    assert.equal(at(40, 50), 2, 'background class inside the ROI');
    // The 39 × 39 raster is stretched to 40 × 40 by the nearest map (as download's default
    // --mask-align resize does), so no 0 row or column appears.
    assert.deepEqual([...new Set(m.data)].sort((a, b) => a - b), [2, 50]);

    // The same table without the tumor row: the group is named, nothing is written.
    await writeFile(codes, 'group,overlay_order,GT_code,is_roi,is_background_class\ntissue_roi,0,100,1,0\nbackground,1,2,0,1\n');
    const bad = await cli(['--annotations', file, '--out', join(work, 'own2'), '--base', '--gt-codes', codes]);
    assert.equal(bad.code, EXIT.partial);
    assert.match(bad.stdout, /groups not in the GT-codes table: tumor/);
    assert.deepEqual(await readdir(join(work, 'own2', 'masks')), []);
  });

  test('--scaling draw: vertices scaled by MAG / scan magnification and truncated, and it says so', async () => {
    const slide = builtinSlides().find((s) => s.magnification === 40)!;
    const base = slide.fileName.replace(/\.svs$/, '');
    const dir = join(work, 'draw-in');
    await rm(dir, { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${base}.json`), doc([box('roi', 1000, 2000, 1401, 2203), box('mostly_tumor', 1100, 2100, 1200, 2200)]));
    const out = join(work, 'draw');
    const r = await cli(['--annotations', dir, '--out', out, '--mag', '10', '--scaling', 'draw', '--json']);
    assert.equal(r.code, EXIT.ok, r.stdout);
    const s = JSON.parse(r.stdout) as { masks: Array<{ path: string; width: number; height: number }> };
    assert.equal(s.masks.length, 1);
    const name = s.masks[0]!.path.split('/').pop()!;
    // Named as `download --mag 10` names it, from the base-resolution bounds.
    assert.match(name, /^TCGA-[0-9A-Z]{2}-[0-9A-Z]{4}-DX1_xmin1000_ymin2000_MAG-10\.00\.png$/);
    // ROI scaled by 0.25 with truncation: x 250 … 350, y 500 … 550 → (100 − 1) × (50 − 1) px.
    assert.deepEqual([s.masks[0]!.width, s.masks[0]!.height], [99, 49]);
    const plain = await cli(['--annotations', dir, '--out', join(work, 'draw2'), '--mag', '10', '--scaling', 'draw']);
    assert.match(plain.stdout, /--scaling draw truncates scaled vertices as HistomicsTK does/);
  });

  test('input errors: no files, --slides matching nothing, JSON that is not DSA annotations', async () => {
    const empty = join(work, 'empty');
    await (await import('node:fs/promises')).mkdir(join(empty, 'annotations'), { recursive: true });
    const none = await cli(['--out', empty, '--base']);
    assert.equal(none.code, EXIT.usage);
    assert.match(none.stderr, /no annotation files/);
    const file = join(empty, 'annotations', 'TCGA-A1-A0SK-01Z-00-DX1.json');
    await writeFile(file, JSON.stringify({ elements: [] }));
    assert.equal((await cli(['--out', empty, '--base', '--slides', 'A2-A04P'])).code, EXIT.usage);
    const notDsa = await cli(['--out', empty, '--base', '--slides', 'A1-A0SK']);
    assert.equal(notDsa.code, EXIT.integrity);
    assert.match(notDsa.stdout, /document 0 has no annotation\.elements list/);
  });

  test('rerun: unchanged masks are skipped; a changed annotation file is drawn again', async () => {
    const file = join(work, 'rerun', 'TCGA-A1-A0SK-01Z-00-DX1.json');
    await (await import('node:fs/promises')).mkdir(join(work, 'rerun'), { recursive: true });
    await writeFile(file, doc([box('roi', 0, 0, 30, 30)]));
    const out = join(work, 'rerun-out');
    assert.equal((await cli(['--annotations', file, '--out', out, '--base'])).code, EXIT.ok);
    const again = await cli(['--annotations', file, '--out', out, '--base']);
    assert.match(again.stderr, /\(unchanged\)/);
    await writeFile(file, doc([box('roi', 0, 0, 30, 30), box('mostly_tumor', 5, 5, 10, 10)]));
    const third = await cli(['--annotations', file, '--out', out, '--base', '--json']);
    assert.deepEqual((JSON.parse(third.stdout) as { masks: Array<{ status: string }> }).masks.map((m) => m.status), ['done']);
  });
});
