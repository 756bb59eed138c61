// Issue 10 §5: SIGKILL mid-slide, then rerun. The CLI runs in a child process from source (as in
// interruptions.test.ts) against a bandwidth-capped demo GDC; it is killed while a slide streams.
// The rerun (in process, uncapped server) must continue from the part the killed run left, so
// the server sends only the missing bytes: the run's stale-temp cleanup must leave WSI parts alone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.js';
import { main } from '../../src/cli/main.js';
import type { GdcFile } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { partPathFor } from '../../src/transfer/resumable-download.js';
import { fakeContext } from '../helpers/cli-context.js';
import { demoCacheDir } from '../helpers/demo-cache.js';
import { TEST_TS_LOADER } from '../helpers/source-cli.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv);`;

let work: string;
let roiTable: string;
let file: GdcFile;
let capped: RunningServer;
let server: RunningServer;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'bcss-wsis-kill-'));
  const dataset = await loadDemoDataset({ scale: 0.05, slides: ['A1-A0SK'], cacheDir: demoCacheDir(join(work, 'cache')) });
  roiTable = dataset.roiTablePath as string;
  file = dataset.gdc.files[0] as GdcFile;
  await file.ready?.();
  // ~4 s for the slide: plenty of time to kill the child mid-file.
  capped = await startServer({ dataset, port: 0, faults: { gdc: { bandwidthBytesPerSec: Math.ceil(file.size / 4) } } });
  server = await startServer({ dataset, port: 0 });
});

after(async () => {
  await capped?.close();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const flags = (srv: RunningServer, out: string): string[] => [
  'download', '--out', out, '--components', 'wsis', '--api-url', srv.urls.girder, '--figshare-url', srv.urls.figshare,
  '--gdc-url', srv.urls.gdc, '--rois', roiTable, '--no-progress',
];

async function sizeOr0(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

test('SIGKILL mid-slide, then rerun: continues from the part, the server sends only the missing bytes', { timeout: 120_000 }, async (t) => {
  const out = join(work, 'out');
  const part = partPathFor(join(out, 'wsis', file.fileName));
  const child = spawn(process.execPath, ['--import', TEST_TS_LOADER, '--input-type=module', '-e', ENTRY, 'bcss', ...flags(capped, out)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  // Killed once a quarter of the slide is on disk.
  const deadline = Date.now() + 60_000;
  while ((await sizeOr0(part)) < file.size / 4) {
    assert.ok(Date.now() < deadline, `the part never grew: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  assert.equal(await exit, 'SIGKILL');
  const kept = await sizeOr0(part);
  assert.ok(kept >= file.size / 4 && kept < file.size, `the part holds ${kept} of ${file.size} bytes`);
  const sentBeforeKill = capped.log.filter((e) => e.path.includes('/data/')).reduce((s, e) => s + e.bytes, 0);

  const f = fakeContext({}, { cwd: work });
  const code = await main(['node', 'bcss', ...flags(server, out)], f.ctx);
  assert.equal(code, EXIT.ok, f.stderr());
  const dest = join(out, 'wsis', file.fileName);
  assert.equal(createHash('md5').update(await readFile(dest)).digest('hex'), file.md5);
  await assert.rejects(stat(part), 'the part became the slide');
  const data = server.log.filter((e) => e.path.includes('/data/'));
  assert.deepEqual(data.map((e) => e.status), [206], 'one request, continuing with Range');
  assert.equal(data[0]?.bytes, file.size - kept, 'only the missing bytes were sent again');
  // What the killed run had received but not yet written is lost (at most its last unflushed chunk).
  t.diagnostic(`killed at ${kept} bytes on disk, ${sentBeforeKill} sent by the server: ${sentBeforeKill - kept} bytes lost`);
  assert.ok(sentBeforeKill - kept <= 1024 * 1024, 'a kill costs at most about one unflushed chunk (≤ 1 MiB)');
});
