import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerServe } from '../../src/cli/commands/serve.js';
import type { CliContext } from '../../src/cli/context.js';
import { UsageError } from '../../src/errors.js';
import { SLIDE_PATH } from './fixtures.js';

interface Run {
  ctx: CliContext;
  abort: () => void;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the command's action has returned. */
  done: Promise<{ exitCode: number | null; error: unknown }>;
  /** Resolves with the stdout lines once `count` lines are there. */
  lines: (count: number) => Promise<string[]>;
}

function runServe(args: string[], env: Record<string, string> = {}, cwd = process.cwd()): Run {
  const controller = new AbortController();
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => (stdout += b.toString()));
  err.on('data', (b: Buffer) => (stderr += b.toString()));
  const ctx: CliContext = { stdout: out, stderr: err, stdin: new PassThrough(), env, cwd, signal: controller.signal };
  const program = new Command();
  program.exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  let exitCode: number | null = null;
  registerServe(program, ctx, (r) => (exitCode = r.exitCode));
  const done = program.parseAsync(['serve', ...args], { from: 'user' }).then(
    () => ({ exitCode, error: null as unknown }),
    (error: unknown) => ({ exitCode, error }),
  );
  const lines = async (count: number): Promise<string[]> => {
    for (;;) {
      const got = stdout.split('\n').filter((l) => l !== '');
      if (got.length >= count) return got;
      const finished = await Promise.race([done.then(() => true), new Promise<false>((r) => out.once('data', () => r(false)))]);
      if (finished) return stdout.split('\n').filter((l) => l !== '');
    }
  };
  return { ctx, abort: () => controller.abort(), stdout: () => stdout, stderr: () => stderr, done, lines };
}

describe('bcss serve', () => {
  let cacheDir: string;
  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'bcss-serve-test-'));
  });
  after(() => rm(cacheDir, { recursive: true, force: true }));

  test('prints the service URLs and the ROI table, serves, and stops cleanly on abort', async () => {
    const run = runServe(['--demo', '--scale', '0.05', '--slides', 'A1-A0SK', '--cache-dir', cacheDir, '--port', '0']);
    const lines = await run.lines(4);
    assert.equal(lines.length, 4, run.stderr());
    const [girder, figshare, gdc, rois] = lines as [string, string, string, string];
    assert.match(girder, /^girder http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    const port = /:(\d+)\//.exec(girder)?.[1];
    assert.equal(figshare, `figshare http://127.0.0.1:${port}/figshare/v2`);
    assert.equal(gdc, `gdc http://127.0.0.1:${port}/gdc`);
    assert.match(rois, /^rois .+\.csv$/);
    assert.ok(existsSync(rois.slice(5)));
    const api = girder.slice('girder '.length);
    const items = await fetch(`${api}/item?folderId=5bbdeba3e629140048d017bb`);
    assert.equal(items.status, 200);
    assert.equal(((await items.json()) as unknown[]).length, 1);
    run.abort();
    const { exitCode, error } = await run.done;
    assert.equal(error, null);
    assert.equal(exitCode, 0);
    await assert.rejects(fetch(`${api}/item?folderId=5bbdeba3e629140048d017bb`), 'the server is closed');
  });

  test('--json prints one object; private mode reads the key from the environment only', async () => {
    const key = 'S'.repeat(40);
    const run = runServe(['--demo', '--scale', '0.05', '--slides', 'A1-A0SK', '--cache-dir', cacheDir, '--json'], { MY_KEY: key }, cacheDir);
    const [line] = await run.lines(1);
    const urls = JSON.parse(line ?? '{}') as { girder: string; figshare: string; gdc: string; rois: string };
    assert.match(urls.girder, /\/api\/v1$/);
    assert.equal((await fetch(`${urls.girder}/item?folderId=5bbdeba3e629140048d017bb`)).status, 200, 'public without --api-key-env');
    run.abort();
    await run.done;

    const priv = runServe(['--demo', '--scale', '0.05', '--slides', 'A1-A0SK', '--cache-dir', cacheDir, '--api-key-env', 'MY_KEY'], { MY_KEY: key });
    const api = ((await priv.lines(3))[0] ?? '').slice('girder '.length);
    assert.equal((await fetch(`${api}/item?folderId=5bbdeba3e629140048d017bb`)).status, 401);
    const token = await fetch(`${api}/api_key/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `key=${key}`,
    });
    assert.equal(token.status, 200);
    assert.ok(!priv.stdout().includes(key) && !priv.stderr().includes(key), 'the key is never printed');
    const demo = await fetch(`${api}/user/authentication`, { headers: { Authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` } });
    assert.equal(demo.status, 401, 'no built-in password in private mode');
    const gdc = ((await priv.lines(3))[2] ?? '').slice('gdc '.length);
    assert.equal((await fetch(`${gdc}/files`)).status, 403, 'GDC is private too');
    assert.equal((await fetch(`${gdc}/files`, { headers: { 'X-Auth-Token': key } })).status, 200, 'its token defaults to the key');
    priv.abort();
    assert.equal((await priv.done).exitCode, 0);
  });

  test('--password-env, --gdc-token-env and --figshare-token-env read their secrets from the environment', async () => {
    const key = 'S'.repeat(40);
    const env = { MY_KEY: key, MY_PW: 'pw-from-env', MY_GDC: 'g'.repeat(20), MY_FS: 'f'.repeat(20) };
    const args = ['--demo', '--scale', '0.05', '--slides', 'A1-A0SK', '--cache-dir', cacheDir, '--api-key-env', 'MY_KEY'];
    const priv = runServe([...args, '--password-env', 'MY_PW', '--gdc-token-env', 'MY_GDC', '--figshare-token-env', 'MY_FS'], env);
    const [girderLine, figshareLine, gdcLine] = await priv.lines(3);
    const api = (girderLine ?? '').slice('girder '.length);
    const login = (pw: string): Promise<Response> =>
      fetch(`${api}/user/authentication`, { headers: { Authorization: `Basic ${Buffer.from(`demo:${pw}`).toString('base64')}` } });
    assert.equal((await login('pw-from-env')).status, 200);
    assert.equal((await login('demo')).status, 401);
    const gdc = (gdcLine ?? '').slice('gdc '.length);
    assert.equal((await fetch(`${gdc}/files`, { headers: { 'X-Auth-Token': key } })).status, 403, 'the key is not the GDC token once one is set');
    assert.equal((await fetch(`${gdc}/files`, { headers: { 'X-Auth-Token': env.MY_GDC } })).status, 200);
    const fs = (figshareLine ?? '').slice('figshare '.length);
    assert.equal((await fetch(`${fs}/articles/7193138/files`, { headers: { Authorization: `token ${env.MY_FS}` } })).status, 200);
    assert.equal((await fetch(`${fs}/articles/7193138/files`, { headers: { Authorization: `token ${key}` } })).status, 403);
    for (const secret of Object.values(env)) assert.ok(!priv.stdout().includes(secret) && !priv.stderr().includes(secret), 'no secret is printed');
    priv.abort();
    assert.equal((await priv.done).exitCode, 0);
  });

  test('--data serves a folder of slides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bcss-serve-data-'));
    try {
      await symlink(SLIDE_PATH, join(dir, 'CMU-1-Small-Region.svs'));
      // The link leads outside the folder: refused (and reported) unless --follow-symlinks.
      const refused = runServe(['--data', dir]);
      const { error } = await refused.done;
      assert.ok(error instanceof UsageError && /refused as symlinks/.test(error.message), String(error));
      assert.match(refused.stderr(), /bcss serve: refused CMU-1-Small-Region\.svs: it is a symlink to .+--follow-symlinks/);
      const run = runServe(['--data', dir, '--log-requests', '--follow-symlinks']);
      const lines = await run.lines(3);
      assert.equal(lines.length, 3, 'no rois line without an ROI table');
      const api = (lines[0] ?? '').slice('girder '.length);
      const list = (await (await fetch(`${api}/item?text=CMU`)).json()) as Array<{ _id: string }>;
      assert.equal(list.length, 1);
      const tiles = (await (await fetch(`${api}/item/${list[0]?._id}/tiles`)).json()) as { sizeX: number };
      assert.equal(tiles.sizeX, 2220);
      run.abort();
      assert.equal((await run.done).exitCode, 0);
      assert.match(run.stderr(), /girder GET \/api\/v1\/item\?text=CMU 200 \d+B/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad options are usage errors before anything starts', async () => {
    const faultFile = join(cacheDir, 'faults.json');
    await writeFile(faultFile, '{"girder": {"error503": 3}}');
    for (const [args, pattern] of [
      [['--demo', '--data', '/x'], /either --demo or --data/],
      [['--port', 'http'], /--port/],
      [['--port', '70000'], /--port/],
      [['--scale', '2'], /--scale/],
      [['--api-key-env', 'NOT_SET_ANYWHERE'], /NOT_SET_ANYWHERE/],
      [['--password-env', 'NOT_SET_ANYWHERE'], /--password-env NOT_SET_ANYWHERE/],
      [['--gdc-token-env', 'no-such var'], /variable name/],
      [['--gdc-token-env', 'SOME_TOKEN'], /private mode only/],
      [['--faults', '{oops'], /not valid JSON/],
      [['--faults', `@${faultFile}`], /invalid fault options/],
      [['--faults', '@/no/such/file.json'], /cannot read the fault file/],
      [['--data', '/x', '--seed', '3'], /apply to --demo only/],
      [['--slide-files', 'png'], /--slide-files expects tiff or stand-in/],
      [['--data', '/x', '--slide-files', 'tiff'], /apply to --demo only/],
    ] as const) {
      const { error } = await runServe([...args], { SOME_TOKEN: 'x' }).done;
      assert.ok(error instanceof UsageError, `${args.join(' ')}: ${String(error)}`);
      assert.match(error.message, pattern);
    }
  });

  test('--help explains every option with examples', async () => {
    const run = runServe(['--help']);
    const { error } = await run.done;
    assert.ok(error instanceof CommanderError);
    const help = run.stdout();
    for (const option of ['--demo', '--data', '--port', '--host', '--scale', '--seed', '--slides', '--cache-dir', '--slide-files', '--api-key-env', '--password-env', '--gdc-token-env', '--figshare-token-env', '--follow-symlinks', '--faults', '--json']) {
      assert.ok(help.includes(option), option);
    }
    assert.match(help, /Examples:/);
    assert.match(help, /BCSS_SERVE_API_KEY/);
  });
});
