import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { registerInfo } from '../../src/cli/commands/info.js';
import { fakeContext, type FakeContext } from '../helpers/cli-context.js';

interface Run extends FakeContext {
  exitCode: number | undefined;
  error: unknown;
}

async function run(args: string[]): Promise<Run> {
  const fake = fakeContext();
  let exitCode: number | undefined;
  const program = new Command()
    .name('bcss')
    .exitOverride()
    .configureOutput({ writeOut: (s) => fake.ctx.stdout.write(s), writeErr: (s) => fake.ctx.stderr.write(s) });
  registerInfo(program, fake.ctx, (r) => {
    exitCode = r.exitCode;
  });
  let error: unknown;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    error = err;
  }
  return { ...fake, exitCode, error };
}

describe('bcss info --json', () => {
  test('prints exactly one JSON object with the dataset facts', async () => {
    const r = await run(['info', '--json']);
    assert.equal(r.error, undefined);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stderr(), '');
    const info = JSON.parse(r.stdout()) as Record<string, unknown>;
    assert.equal(info.rois, 151);
    assert.equal(info.slides, 151);
    assert.deepEqual(info.magnifications, { '40': 137, '20': 14 });
    assert.deepEqual(info.split, { train: 76, val: 30, test: 45 });
    assert.deepEqual(info.baselineSplit, { train: 106, test: 45 });
    const sites = info.sites as Record<string, number>;
    assert.equal(Object.keys(sites).length, 21);
    assert.deepEqual([sites.A2, sites.E2, sites.BH, sites.HN], [18, 16, 16, 1]);
    assert.equal(Object.values(sites).reduce((a, b) => a + b, 0), 151);
    assert.match(String(info.citation), /Amgad .* Bioinformatics .*10\.1093\/bioinformatics\/btz083/);
    assert.equal(info.license, 'CC0-1.0');
  });

  test('lists the 22 classes with code, name, DSA group and baseline group', async () => {
    const info = JSON.parse((await run(['info', '--json'])).stdout()) as {
      classes: { code: number; name: string; dsaGroup: string | null; group: string }[];
    };
    assert.equal(info.classes.length, 22);
    assert.deepEqual(info.classes[0], { code: 0, name: 'outside_roi', dsaGroup: null, overlayOrder: null, group: 'ignore' });
    const tumorCodes = info.classes.filter((c) => c.group === 'tumor').map((c) => c.code);
    assert.deepEqual(tumorCodes, [1, 19, 20]);
    assert.equal(info.classes.find((c) => c.code === 17)?.dsaGroup, 'skin_adnexia');
  });
});

describe('bcss info (text)', () => {
  test('shows the citation, the mask-0 warning, counts, sites, splits and classes', async () => {
    const r = await run(['info']);
    assert.equal(r.exitCode, 0);
    const out = r.stdout();
    assert.match(out, /doi:10\.1093\/bioinformatics\/btz083/);
    assert.match(out, /CRITICAL: mask value 0 means outside the ROI \/ don't care\. It is NOT a class/);
    assert.match(out, /ROIs: +151/);
    assert.match(out, /Slides: +151 \(137 at 40x, 14 at 20x\)/);
    assert.match(out, /Baseline .* train 106, test 45 +test: OL, LL, E2, EW, GM, S3$/m);
    assert.match(out, /eva .* train 76, val 30, test 45 +val: BH, C8, A8, A1, E9;/);
    assert.match(out, /^ {2}E2 +16 +test +test$/m);
    assert.match(out, /^ {2}BH +16 +train +val$/m);
    assert.match(out, /^ {2}A2 +18 +train +train$/m);
    assert.match(out, /^ {5}0 +outside_roi +- +ignore$/m);
    assert.match(out, /^ {4}17 +skin_adnexa +skin_adnexia +other$/m);
    assert.match(out, /^ {4}20 +dcis +mostly_dcis +tumor$/m);
  });

  test('--help describes the command and its --json output', async () => {
    const r = await run(['info', '--help']);
    assert.ok(r.error instanceof CommanderError);
    assert.equal(r.error.exitCode, 0);
    assert.equal(r.exitCode, undefined);
    const out = r.stdout();
    assert.match(out, /Usage: bcss info \[options\]/);
    assert.match(out, /Show what the BCSS dataset contains, offline/);
    assert.match(out, /--json +print one JSON object instead of text/);
    assert.match(out, /one JSON object with the keys rois, slides, magnifications/);
  });

  test('an unknown option is a usage error and prints nothing on stdout', async () => {
    const r = await run(['info', '--jsn']);
    assert.ok(r.error instanceof CommanderError);
    assert.notEqual(r.error.exitCode, 0);
    assert.equal(r.stdout(), '');
    assert.match(r.stderr(), /unknown option '--jsn'/);
    assert.equal(r.exitCode, undefined);
  });
});
