// Issue 8 item 3: interruptions and failures read right. Ctrl-C and a closed stdout are tried on a
// real child process running the CLI from source; the server runs in this process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { closedPort } from '../helpers/closed-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import type { ServedDataset } from '../../src/server/dataset-types.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { TEST_TS_LOADER } from '../helpers/source-cli.js';

const SLIDES = ['A1-A0SK', 'A8-A07C', 'AR-A0TU'];
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// The CLI as bin/bcss.js runs it, from source: main(argv) decides the exit code.
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv);`;

interface Child {
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  proc: ReturnType<typeof spawn>;
}

function spawnCli(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', TEST_TS_LOADER, '--input-type=module', '-e', ENTRY, 'bcss', ...args], {
    cwd: REPO, // every path given is absolute
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { exit, stdout: () => out, stderr: () => err, proc };
}

/** Resolves once `text` has appeared on the child's stderr. */
function waitFor(child: Child, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(child.stderr())) resolve();
    };
    child.proc.stderr?.on('data', check);
    void child.exit.then(() => reject(new Error(`exited before ${pattern}: ${child.stderr()}`)));
    check();
  });
}

describe('interruptions and failures', () => {
  let dataset: ServedDataset;
  let server: RunningServer;
  let slow: RunningServer;
  let roiTable: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bcss-interrupt-'));
    dataset = await loadDemoDataset({ scale: 0.05, cacheDir: demoCacheDir(join(work, 'cache')), slides: SLIDES });
    assert.ok(dataset.roiTablePath !== null);
    roiTable = dataset.roiTablePath;
    server = await startServer({ dataset, port: 0 });
    // Slow enough that a run is still going when the test interrupts it or closes its output.
    slow = await startServer({ dataset, port: 0, faults: { girder: { latencyMs: 400 }, figshare: { latencyMs: 400 } } });
  });
  after(async () => {
    await server.close();
    await slow.close();
  });

  const flags = (srv: RunningServer, out: string, ...more: string[]): string[] => [
    'download', '--out', out, '--api-url', srv.urls.girder, '--figshare-url', srv.urls.figshare, '--gdc-url', srv.urls.gdc,
    '--rois', roiTable, '--figshare-interval', '0', '--no-progress', '--concurrency', '2', ...more,
  ];
  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const f = fakeContext({}, { cwd: work });
    const code = await main(['node', 'bcss', ...args], f.ctx);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  };

  test('Ctrl-C: one line, exit 130, no in-flight item reported FAILED; the plain rerun finishes', { timeout: 60_000 }, async () => {
    const out = join(work, 'ctrl-c');
    const child = spawnCli(flags(slow, out));
    await waitFor(child, /\] done /);
    child.proc.kill('SIGINT');
    assert.equal(await child.exit, EXIT.interrupted, child.stderr());
    assert.equal(child.stdout(), '', 'no summary, no retry command');
    const lines = child.stderr().trim().split('\n');
    assert.equal(lines.at(-1), 'interrupted — rerun the same command to resume');
    assert.equal(lines.filter((l) => /interrupted/.test(l)).length, 1);
    assert.doesNotMatch(child.stderr(), /FAILED|aborted/i);

    const rerun = await run(flags(server, out));
    assert.equal(rerun.code, EXIT.ok, rerun.stderr);
    assert.match(rerun.stdout, /all done/);
  });

  test('a closed stdout and stderr (| head) neither kill the run nor leave an empty log; the rerun changes nothing', { timeout: 60_000 }, async () => {
    const out = join(work, 'epipe');
    const child = spawnCli(flags(slow, out));
    await waitFor(child, /^plan: /m);
    // The reader goes away, as `head -3` does once it has its lines.
    child.proc.stdout?.destroy();
    child.proc.stderr?.destroy();
    assert.equal(await child.exit, EXIT.ok);
    const logs = await readdir(join(out, 'logs'));
    assert.equal(logs.length, 1);
    const log = await readFile(join(out, 'logs', logs[0] as string), 'utf8');
    assert.match(log, /finished: \d+ requests/);
    const metaBefore = await Promise.all((await readdir(join(out, 'meta'))).map(async (n) => [n, (await stat(join(out, 'meta', n))).mtimeMs]));

    const again = await run([...flags(server, out), '--json']);
    assert.equal(again.code, EXIT.ok, again.stderr);
    const summary = JSON.parse(again.stdout) as { requests: number };
    assert.equal(summary.requests, 0, 'everything was complete');
    assert.doesNotMatch(again.stderr, /meta\/: wrote/);
    const metaAfter = await Promise.all((await readdir(join(out, 'meta'))).map(async (n) => [n, (await stat(join(out, 'meta', n))).mtimeMs]));
    assert.deepEqual(metaAfter, metaBefore);
    const v = await run(['verify', '--out', out]);
    assert.equal(v.code, EXIT.ok, v.stdout);
  });

  test('exit 5 when every failure is a network failure: closed port, DNS failure', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}/v2`;
    for (const [name, url] of [['closed-port', closed], ['dns', 'http://bcss-no-such-host.invalid/v2']] as const) {
      const out = join(work, `net-${name}`);
      const args = flags(server, out, '--retries', '0', '--components', 'masks');
      args[args.indexOf('--figshare-url') + 1] = url;
      const r = await run(args);
      assert.equal(r.code, EXIT.network, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /every failure is a network failure/);
    }
    // A DSA that cannot be reached at all ends the run with its own network error: also 5.
    const dsa = flags(server, join(work, 'net-dsa'), '--retries', '0');
    dsa[dsa.indexOf('--api-url') + 1] = `http://127.0.0.1:${await closedPort()}/api/v1`;
    assert.equal((await run(dsa)).code, EXIT.network);
  });

  test('with items left unstarted (--fail-fast), the hint is the plain rerun, not "retry only these"', async () => {
    const out = join(work, 'fail-fast');
    const args = flags(server, out, '--retries', '0', '--fail-fast', '--concurrency', '1');
    args[args.indexOf('--figshare-url') + 1] = `http://127.0.0.1:${await closedPort()}/v2`;
    const r = await run(args);
    assert.equal(r.code, EXIT.network, r.stdout);
    assert.doesNotMatch(r.stdout, /retry only these/);
    assert.match(r.stdout, /\d+ more item\(s\) were not started\. Rerun the same command to finish/);
  });

  test('verify: a stray file is to be moved or deleted, not "rerun to repair"', async () => {
    const out = join(work, 'stray');
    assert.equal((await run(flags(server, out))).code, EXIT.ok);
    await writeFile(join(out, 'images', 'notes.txt'), 'mine');
    const v = await run(['verify', '--out', out]);
    assert.equal(v.code, EXIT.integrity);
    assert.match(v.stdout, /extra {9}images\/notes\.txt: not in the lock file: move or delete it/);
    assert.match(v.stdout, /extra: move or delete the extra file\(s\): a rerun does not remove files it did not write/);
    assert.doesNotMatch(v.stdout, /to repair/);
  });
});
