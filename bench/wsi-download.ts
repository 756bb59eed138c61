/**
 * S5 (issue 10 §6): the 151 demo slides through a GDC bandwidth cap, `bcss download --components
 * wsis` as a child process (bin/bcss.js, i.e. dist/). Not a test: timings vary with the machine.
 *
 *   node --import tsx bench/wsi-download.ts [--scale 0.05] [--mbps 25] [--seed 1] [--no-build]
 *
 * 1. Clean run: efficiency = bandwidth bound (total slide bytes / cap) / wall (spawn → exit).
 *    Target ≥ 0.9.
 * 2. Kill drill: a fresh run is SIGKILLed at a seeded random moment (20–80 % of the clean run's
 *    wall), then rerun. For each slide that was in flight (a `.part` was left), re-downloaded =
 *    bytes the server sent for it before the kill + in the rerun − its size. Target ≤ 1 MiB each.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runVerify } from '../src/pipeline/verify.js';
import type { GdcFile } from '../src/server/dataset-types.js';
import { loadDemoDataset } from '../src/server/demo/demo-dataset.js';
import { mulberry32 } from '../src/server/faults.js';
import { filesReady } from '../src/server/files-ready.js';
import { startServer, type RunningServer } from '../src/server/start-server.js';
import { CLI_BIN, cleanEnv, REPO_ROOT } from '../test/helpers/harness/repo.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.05' },
    mbps: { type: 'string', default: '25' },
    seed: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
  },
});
const scale = Number(values.scale);
const cap = Number(values.mbps) * 1e6;
const random = mulberry32(Number(values.seed));
const log = (s: string): void => void process.stderr.write(`${s}\n`);

if (!values['no-build']) {
  log('building dist/ …');
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
}

const cacheDir = join(tmpdir(), 'bcss-bench-cache');
const dataset = await loadDemoDataset({ scale, cacheDir });
log('making (or reading) the demo slide files …');
await filesReady(dataset.gdc.files);
const files = dataset.gdc.files;
const total = files.reduce((s, f) => s + f.size, 0);
const byId = new Map<string, GdcFile>(files.map((f) => [f.fileId, f]));
const server = await startServer({ dataset, port: 0, faults: { gdc: { bandwidthBytesPerSec: cap } } });
const work = await mkdtemp(join(tmpdir(), 'bcss-bench-s5-'));

const uncapped = await startServer({ dataset, port: 0 });

function args(srv: RunningServer, out: string): string[] {
  return [CLI_BIN, 'download', '--out', out, '--components', 'wsis', '--rois', dataset.roiTablePath as string, '--api-url', srv.urls.girder,
    '--figshare-url', srv.urls.figshare, '--gdc-url', srv.urls.gdc, '--no-progress', '--json'];
}

/** Runs the CLI; kills it after `killAfterMs` when given. Resolves with wall ms and exit code/signal. */
function runCli(out: string, killAfterMs?: number, srv: RunningServer = server): Promise<{ ms: number; code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args(srv, out), { cwd: work, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code, signal, stderr });
    });
  });
}

/** Bytes the server sent per GDC file id since the last reset. */
function sentPerFile(): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of server.log) {
    const m = /\/data\/([0-9a-f-]{36})/.exec(e.path);
    if (m?.[1] !== undefined) out.set(m[1], (out.get(m[1]) ?? 0) + e.bytes);
  }
  return out;
}

try {
  log(`S5: ${files.length} slides, ${(total / 1e6).toFixed(1)} MB, GDC capped at ${(cap / 1e6).toFixed(1)} MB/s`);
  // What this machine manages without a cap (client and in-process server share its cores): the
  // efficiency cannot exceed ceiling-rate / cap when the cap is above it.
  const free = await runCli(join(work, 'uncapped'), undefined, uncapped);
  if (free.code !== 0) throw new Error(`the uncapped run exited ${free.code}: ${free.stderr.slice(-2000)}`);
  const ceiling = total / (free.ms / 1000);
  log(`uncapped run: ${(free.ms / 1000).toFixed(2)} s, ${(ceiling / 1e6).toFixed(1)} MB/s (this machine's ceiling now)`);
  const clean = await runCli(join(work, 'clean'));
  if (clean.code !== 0) throw new Error(`the clean run exited ${clean.code}: ${clean.stderr.slice(-2000)}`);
  const report = await runVerify({ outDir: join(work, 'clean') });
  if (!report.ok) throw new Error(`verify found ${report.issues.length} issue(s) after the clean run`);
  const bound = (total / cap) * 1000;
  const efficiency = bound / clean.ms;
  log(`clean run: ${(clean.ms / 1000).toFixed(2)} s, bound ${(bound / 1000).toFixed(2)} s, efficiency ${efficiency.toFixed(3)}`);

  const killAt = clean.ms * (0.2 + 0.6 * random());
  const killedOut = join(work, 'killed');
  server.resetLog();
  const killed = await runCli(killedOut, killAt);
  await new Promise((r) => setTimeout(r, 300)); // the server logs a cut response when its socket closes
  const before = sentPerFile();
  const parts = (await readdir(join(killedOut, 'wsis')).catch(() => [] as string[])).filter((n) => /^\..+\.svs\.part$/.test(n));
  const inFlight = parts.map((n) => n.slice(1, -'.part'.length));
  server.resetLog();
  const rerun = await runCli(killedOut);
  if (rerun.code !== 0) throw new Error(`the rerun exited ${rerun.code}: ${rerun.stderr.slice(-2000)}`);
  const after = sentPerFile();
  const redownloaded = inFlight.map((name) => {
    const f = files.find((x) => x.fileName === name) as GdcFile;
    return { name, bytes: (before.get(f.fileId) ?? 0) + (after.get(f.fileId) ?? 0) - f.size };
  });
  // Slides finished before the kill must cost the rerun nothing.
  const finishedAgain = [...after.entries()].filter(([id]) => !inFlight.includes(byId.get(id)?.fileName ?? '') && (before.get(id) ?? 0) >= (byId.get(id)?.size ?? Infinity));
  const worst = Math.max(0, ...redownloaded.map((r) => r.bytes));
  log(`killed at ${(killAt / 1000).toFixed(2)} s (${killed.signal}); ${inFlight.length} slide(s) in flight; re-downloaded per in-flight slide: ${redownloaded.map((r) => r.bytes).join(', ')} bytes (worst ${worst}); finished slides fetched again: ${finishedAgain.length}; rerun ${(rerun.ms / 1000).toFixed(2)} s`);
  const result = {
    slides: files.length,
    totalBytes: total,
    capBytesPerSec: cap,
    uncappedWallS: free.ms / 1000,
    uncappedBytesPerSec: ceiling,
    loadAverage: loadavg()[0],
    cleanWallS: clean.ms / 1000,
    boundS: bound / 1000,
    efficiency,
    efficiencyTarget: 0.9,
    killAtS: killAt / 1000,
    inFlight: inFlight.length,
    redownloadedBytes: redownloaded.map((r) => r.bytes),
    worstRedownloadedBytes: worst,
    redownloadTargetBytes: 1024 * 1024,
    finishedSlidesFetchedAgain: finishedAgain.length,
    rerunWallS: rerun.ms / 1000,
    pass: efficiency >= 0.9 && worst <= 1024 * 1024 && finishedAgain.length === 0,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await server.close();
  await uncapped.close();
  await rm(work, { recursive: true, force: true });
}
