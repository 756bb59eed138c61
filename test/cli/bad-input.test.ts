// Issue 8 item 4: bad input never hangs and every message names what to fix.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { loadConfigFile } from '../../src/cli/options/config-file.js';
import { resolveDownloadOptions } from '../../src/cli/options/download-options.js';
import { FLAG_NUMBERS, NUMERIC_SETTINGS, rangeText } from '../../src/cli/options/numeric-settings.js';
import { checkTilesOptions } from '../../src/prepare/prepare-tiles.js';
import { checkMaxWidth } from '../../src/prepare/prepare-gallery.js';
import { DiskError, UsageError } from '../../src/errors.js';
import { ensureOutDir, type OutDirFs } from '../../src/pipeline/out-dir.js';
import { fakeContext } from '../helpers/cli-context.js';

const noConfig = { path: null, config: {} };
const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'bcss-bad-input-'));

function errno(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('an --out that cannot be created', () => {
  // The timeout only turns a hang (the old endless mkdir loop) into a failure instead of a stuck suite.
  test('/proc/bcss-out fails with exit 6 and the folder that refused, instead of spinning', { timeout: 10_000 }, async () => {
    const f = fakeContext({}, { cwd: await tmp() });
    const code = await main(['node', 'bcss', 'download', '--out', '/proc/bcss-out', '--no-progress'], f.ctx);
    assert.equal(code, EXIT.disk, f.stderr());
    assert.match(f.stderr(), /cannot create the output folder \/proc\/bcss-out: making \/proc\/bcss-out in \/proc failed/);
    assert.match(f.stderr(), /virtual file system/);
  });

  test('a read-only mount is reported as EROFS of the first existing folder, not ENOENT of a missing one', async () => {
    // A read-only mount as the kernel answers it: the existing /ro refuses new entries with EROFS,
    // and its missing children (what mkdir -p would try first) answer ENOENT.
    const calls: string[] = [];
    const fs: OutDirFs = {
      stat: async (p) => {
        if (p === '/ro' || p === '/') return { isDirectory: () => true };
        throw errno('ENOENT');
      },
      mkdir: async (p) => {
        calls.push(p);
        throw errno(p === '/ro/a' ? 'EROFS' : 'ENOENT');
      },
      access: async () => undefined,
    };
    await assert.rejects(ensureOutDir('/ro/a/b/c', { fs }), (e: unknown) => {
      assert.ok(e instanceof DiskError);
      assert.match(e.message, /making \/ro\/a in \/ro failed \(EROFS: it is on a read-only file system\)/);
      assert.doesNotMatch(e.message, /ENOENT/);
      return true;
    });
    assert.deepEqual(calls, ['/ro/a'], 'one mkdir, at the outermost missing level');
  });

  test('an existing read-only folder is reported by access(W_OK) with its own code', async () => {
    const fs: OutDirFs = {
      stat: async () => ({ isDirectory: () => true }),
      mkdir: async () => assert.fail('nothing to create'),
      access: async () => {
        throw errno('EROFS');
      },
    };
    await assert.rejects(ensureOutDir('/ro', { fs }), /\/ro is not writable \(EROFS/);
  });

  test('a file in the way, and the levels below a new folder, are handled', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'file'), 'x');
    await assert.rejects(ensureOutDir(join(dir, 'file', 'out')), (e: unknown) => e instanceof DiskError && /ENOTDIR/.test(e.message));
    await ensureOutDir(join(dir, 'a', 'b', 'c'));
    assert.ok((await stat(join(dir, 'a', 'b', 'c'))).isDirectory());
    await ensureOutDir(join(dir, 'a', 'b', 'c')); // exists: fine
  });
});

describe('numeric settings: one table of ranges for flags, environment and config', () => {
  test('--mpp 1e9 states the accepted range instead of "must be positive"', async () => {
    await assert.rejects(resolveDownloadOptions({ mpp: '1e9', dryRun: true }, {}, noConfig, await tmp()), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^--mpp must be a number greater than 0 and at most 100 micrometres per pixel, got "1e9"$/);
      return true;
    });
  });

  test('errors from the environment name the variable and its value', async () => {
    const cwd = await tmp();
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_MPP: 'abc' }, noConfig, cwd), /^UsageError: BCSS_MPP=abc must be a number/);
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_CONCURRENCY: '0' }, noConfig, cwd), /BCSS_CONCURRENCY=0 must be an integer from 1 to 64/);
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_TIMEOUT: '-3' }, noConfig, cwd), /BCSS_TIMEOUT=-3 must be a number greater than 0/);
    await assert.rejects(resolveDownloadOptions({ dryRun: true }, { BCSS_IDLE_TIMEOUT: 'x' }, noConfig, cwd), /BCSS_IDLE_TIMEOUT=x/);
  });

  test('every table entry is enforced the same way from each layer it has', async () => {
    const cwd = await tmp();
    const flagOf: Record<string, string> = {
      '--mpp': 'mpp', '--mag': 'mag', '--concurrency': 'concurrency', '--render-concurrency': 'renderConcurrency',
      '--figshare-interval': 'figshareInterval', '--figshare-concurrency': 'figshareConcurrency', '--retries': 'retries', '--timeout': 'timeout',
      '--max-json-mb': 'maxJsonMb', '--gdc-concurrency': 'gdcConcurrency',
    };
    for (const s of Object.values(NUMERIC_SETTINGS)) {
      const tooBig = s.max * 2 + 1;
      const expected = new RegExp(rangeText(s).replace(/[()]/g, '\\$&'));
      if (s.flag !== null) {
        const key = flagOf[s.flag];
        assert.ok(key !== undefined, `test knows ${s.flag}`);
        await assert.rejects(resolveDownloadOptions({ dryRun: true, [key]: String(tooBig) }, {}, noConfig, cwd), expected, s.flag);
      }
      if (s.env !== null) {
        await assert.rejects(resolveDownloadOptions({ dryRun: true }, { [s.env]: String(tooBig) }, noConfig, cwd), new RegExp(`${s.env}=${tooBig}`));
      }
      const dir = await tmp();
      await writeFile(join(dir, 'bcss.config.json'), JSON.stringify({ [s.key]: tooBig }));
      await assert.rejects(loadConfigFile(undefined, dir), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, new RegExp(`^${s.key} in .*bcss\\.config\\.json must be`));
        assert.match(e.message, expected);
        return true;
      });
    }
  });

  test('--help states the ranges from the same table', async () => {
    const f = fakeContext({}, { columns: 400 });
    await main(['node', 'bcss', 'download', '--help'], f.ctx);
    for (const key of ['mpp', 'concurrency', 'figshareIntervalMs', 'retries', 'timeoutSeconds'] as const) {
      assert.ok(f.stdout().includes(rangeText(NUMERIC_SETTINGS[key])), key);
    }
  });

  test('serve and prepare flags are checked against the same kind of table, and say their range', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--demo', '--port', '70000'], /--port must be an integer from 0 to 65535/],
      [['serve', '--demo', '--scale', '2'], /--scale must be a number greater than 0 and at most 1/],
      [['prepare', 'tiles', '--size', '0'], /--size must be an integer from 1 to 65535/],
      [['prepare', 'tiles', '--min-roi-fraction', '1.5'], /--min-roi-fraction must be a number from 0 to 1/],
      [['prepare', 'gallery', '--max-width', '8'], /--max-width must be an integer from 16 to 4096/],
    ];
    for (const [args, message] of cases) {
      const f = fakeContext({}, { cwd: await tmp() });
      assert.equal(await main(['node', 'bcss', ...args], f.ctx), EXIT.usage, args.join(' '));
      assert.match(f.stderr(), message);
    }
  });

  test("prepare's library checks accept and refuse exactly the table's bounds", () => {
    const base = { root: '/x', size: 10, stride: 10, minRoiFraction: 0.5, groups: 'baseline', exclude: 'other' } as const;
    for (const key of ['size', 'stride', 'minRoiFraction'] as const) {
      const s = FLAG_NUMBERS[key];
      assert.doesNotThrow(() => checkTilesOptions({ ...base, [key]: s.min }), `${key} = min`);
      assert.doesNotThrow(() => checkTilesOptions({ ...base, [key]: s.max }), `${key} = max`);
      assert.throws(() => checkTilesOptions({ ...base, [key]: s.max + 1 }), UsageError);
      assert.throws(() => checkTilesOptions({ ...base, [key]: s.min - 1 }), UsageError);
    }
    const w = FLAG_NUMBERS.maxWidth;
    assert.equal(checkMaxWidth(w.min), w.min);
    assert.equal(checkMaxWidth(w.max), w.max);
    assert.throws(() => checkMaxWidth(w.min - 1), UsageError);
    assert.throws(() => checkMaxWidth(w.max + 1), UsageError);
  });
});
