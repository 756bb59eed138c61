import assert from 'node:assert/strict';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command } from 'commander';
import { registerPrepare } from '../../src/cli/commands/prepare.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { isBcssError } from '../../src/errors.js';
import { fakeContext } from '../helpers/cli-context.js';
import { makeSyntheticDataset, snapshot, type Synthetic } from './synthetic-dataset.js';

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bcss <args>` in-process; a thrown BcssError becomes its exit code, as main() does. */
async function run(args: string[], options: { cwd?: string; env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Run> {
  const fake = fakeContext(options.env ?? {}, { cwd: options.cwd, signal: options.signal });
  const program = new Command().exitOverride();
  program.configureOutput({ writeOut: (s) => fake.ctx.stdout.write(s), writeErr: (s) => fake.ctx.stderr.write(s) });
  let exitCode: number | null = null;
  registerPrepare(program, fake.ctx, (r) => (exitCode = r.exitCode));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!isBcssError(err)) throw err;
    exitCode = exitCodeFor(err.kind);
    fake.ctx.stderr.write(`bcss: ${err.message}\n`);
  }
  return { exitCode, stdout: fake.stdout(), stderr: fake.stderr() };
}

describe('bcss prepare (CLI)', () => {
  let ds: Synthetic;
  let originals: Map<string, string>;
  before(async () => {
    ds = await makeSyntheticDataset();
    originals = await snapshot(ds.root);
  });
  after(async () => ds.cleanup());

  test('splits: summary on stdout, a counter line per ROI on stderr, exit 0', async () => {
    const r = await run(['prepare', 'splits', '--out', ds.root, '--split', 'eva', '--layout', 'folders']);
    assert.equal(r.exitCode, EXIT.ok);
    assert.match(r.stdout, /splits\/eva: train \d+, val \d+, test \d+ ROIs \(4 in all\)/);
    for (let i = 1; i <= ds.rois.length; i++) assert.ok(r.stderr.includes(`[${i}/${ds.rois.length}] `), r.stderr);
  });

  test('--out defaults to BCSS_OUT, relative to the working folder', async () => {
    const r = await run(['prepare', 'stats', '--json', '-q'], { cwd: '/', env: { BCSS_OUT: ds.root.slice(1) } });
    assert.equal(r.exitCode, EXIT.ok);
    const json = JSON.parse(r.stdout) as { rois: unknown[]; totals: Record<string, number>; csvPath: string };
    assert.equal(json.rois.length, ds.rois.length);
    assert.equal(json.csvPath, join(ds.root, 'meta/class_stats.csv'));
    assert.equal(r.stderr, '');
  });

  test('tiles and gallery through the CLI', async () => {
    const t = await run(['prepare', 'tiles', '--out', ds.root, '--size', '10', '--min-roi-fraction', '0.5', '--exclude', 'ignore', '-q']);
    assert.equal(t.exitCode, EXIT.ok);
    assert.match(t.stdout, /^tiles\/10: \d+ tile\(s\) from 4 ROIs/);
    assert.ok((await stat(join(ds.root, 'tiles/10/index.csv'))).isFile());
    const g = await run(['prepare', 'gallery', '--out', ds.root, '--max-width', '32', '-q']);
    assert.equal(g.exitCode, EXIT.ok);
    assert.ok((await readFile(join(ds.root, 'gallery/index.html'), 'utf8')).includes(ds.rois[0]?.roi ?? '?'));
  });

  test('bad flags are usage errors (exit 2)', async () => {
    for (const args of [
      ['prepare', 'splits', '--out', ds.root, '--layout', 'mmseg'],
      ['prepare', 'splits', '--out', ds.root, '--link', 'reflink'],
      ['prepare', 'tiles', '--out', ds.root, '--size', 'big'],
      ['prepare', 'tiles', '--out', ds.root, '--groups', 'raw', '--exclude', 'ignore'],
      ['prepare', 'gallery', '--out', ds.root, '--max-width', '3'],
      ['prepare', 'stats', '--out', join(ds.root, 'nope')],
    ]) {
      const r = await run(args);
      assert.equal(r.exitCode, EXIT.usage, args.join(' '));
      assert.match(r.stderr, /bcss: /);
    }
  });

  test('a missing image is exit code 4 and names it', async () => {
    const other = await makeSyntheticDataset();
    try {
      const victim = other.rois[3];
      assert.ok(victim !== undefined);
      await unlink(join(other.root, 'images', victim.fileName));
      const r = await run(['prepare', 'tiles', '--out', other.root, '--size', '10']);
      assert.equal(r.exitCode, EXIT.integrity);
      assert.ok(r.stderr.includes(`images/ has no file for ${victim.roi}`), r.stderr);
    } finally {
      await other.cleanup();
    }
  });

  test('an interrupt stops between ROIs with exit code 130', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await run(['prepare', 'gallery', '--out', ds.root, '--json'], { signal: controller.signal });
    assert.equal(r.exitCode, EXIT.interrupted);
    assert.equal((JSON.parse(r.stdout) as { interrupted: boolean }).interrupted, true);
  });

  test('after every task, images/, masks/ and the lock are byte-for-byte and mtime-for-mtime unchanged', async () => {
    await run(['prepare', 'splits', '--out', ds.root, '--layout', 'eva', '--link', 'copy', '-q']);
    const now = await snapshot(ds.root);
    for (const [path, state] of originals) assert.equal(now.get(path), state, path);
  });
});
