/**
 * S5 (issue 10 §6): the 151 demo slides through a GDC bandwidth cap, `bcss download --components
 * wsis` as a child process (bin/bcss.js, i.e. dist/). Not a test: timings vary with the machine.
 *
 * Per run:
 * 1. Clean run: efficiency = bandwidth bound (total slide bytes / cap) / wall (spawn → exit).
 *    Target ≥ 0.9. The wall is split by the server's request log into start-up (spawn → first
 *    `/data` request), transfer (first `/data` request → last `/data` byte) and tail (→ exit).
 * 2. Kill drill: a fresh run is SIGKILLed at a seeded random moment (20–80 % of the clean run's
 *    wall), then rerun. For each slide in flight (the server had begun sending it and it was not
 *    yet under its final name), re-downloaded = bytes the
 *    server sent for it before the kill + in the rerun − its size. Target ≤ 1 MiB each. Right
 *    before the kill the loopback sockets' queues are read with `ss`: the bytes still in the
 *    kernel (sent by the server, not yet read by the client) are part of that figure but were
 *    never the client's to keep.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVerify } from '../../src/pipeline/verify.js';
import type { GdcFile } from '../../src/server/dataset-types.js';
import { loadDemoDataset } from '../../src/server/demo/demo-dataset.js';
import { mulberry32 } from '../../src/server/faults.js';
import { filesReady } from '../../src/server/files-ready.js';
import { startServer, type RequestLogEntry, type RunningServer } from '../../src/server/start-server.js';
import { CLI_BIN, cleanEnv } from '../../test/helpers/harness/repo.js';
import { spread, type Spread } from './stats.js';

export interface S5Options {
  scale: number;
  /** GDC bandwidth cap, bytes/s. */
  cap: number;
  seed: number;
  runs: number;
  cacheDir: string;
  /** Measure the uncapped ceiling first (one extra run). */
  uncapped: boolean;
  progress: (line: string) => void;
}

export interface S5Timeline {
  /** Spawn → first `/data` request arrives (s). */
  startupS: number;
  /** First `/data` request → last `/data` response closed (s). */
  transferS: number;
  /** Last `/data` response → exit (s). */
  tailS: number;
  /** The one `POST /files` lookup: arrival after spawn (s). */
  lookupAtS: number | null;
  /** Within the transfer phase: time with fewer than 2 `/data` requests open at the server (s). */
  underTwoS: number;
}

/** Time within [from, to] during which fewer than 2 of the intervals are open. */
function timeUnderTwo(intervals: Array<{ start: number; end: number }>, from: number, to: number): number {
  const events = intervals.flatMap((i) => [{ t: i.start, d: 1 }, { t: i.end, d: -1 }]).sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let last = from;
  let under = 0;
  for (const e of events) {
    if (open < 2) under += Math.max(0, e.t - last);
    last = Math.max(last, e.t);
    open += e.d;
  }
  if (open < 2) under += Math.max(0, to - last);
  return under;
}

export interface S5Kill {
  killAtS: number;
  inFlight: number;
  redownloadedBytes: number[];
  /** Bytes in the loopback sockets' kernel queues at the kill (client Recv-Q + server Send-Q). */
  kernelQueuedBytes: number | null;
  finishedSlidesFetchedAgain: number;
  rerunWallS: number;
}

export interface S5Result {
  slides: number;
  totalBytes: number;
  capBytesPerSec: number;
  uncappedBytesPerSec: number | null;
  loadAverage: number[];
  boundS: number;
  wallS: Spread;
  efficiency: Spread;
  startupS: Spread;
  transferS: Spread;
  tailS: Spread;
  underTwoS: Spread;
  /** Transfer phase alone: bound / transfer time. */
  transferEfficiency: Spread;
  kills: S5Kill[];
  worstRedownloadedBytes: number;
  efficiencyTarget: number;
  redownloadTargetBytes: number;
}

interface Stamped {
  entry: RequestLogEntry;
  /** performance.now() at arrival and at close, in the bench process. */
  start: number;
  end: number;
}

const MIB = 1024 * 1024;

function cliArgs(srv: RunningServer, roiTable: string, out: string): string[] {
  return [CLI_BIN, 'download', '--out', out, '--components', 'wsis', '--rois', roiTable, '--api-url', srv.urls.girder,
    '--figshare-url', srv.urls.figshare, '--gdc-url', srv.urls.gdc, '--no-progress', '--json'];
}

/** Bytes in the kernel queues of the loopback connections to `port` (null without `ss`). */
function kernelQueued(port: number): number | null {
  const r = spawnSync('ss', ['-tnH', 'state', 'established', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  let sum = 0;
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [recvQ, sendQ, local] = [Number(f[0]), Number(f[1]), f[2] ?? ''];
    // The client's unread bytes (its Recv-Q) and the server's unacknowledged ones (its Send-Q).
    sum += local.endsWith(`:${port}`) ? sendQ : recvQ;
  }
  return sum;
}

class Harness {
  readonly stamped: Stamped[] = [];
  server!: RunningServer;
  uncapped!: RunningServer;

  constructor(
    readonly files: GdcFile[],
    readonly roiTable: string,
    readonly work: string,
  ) {}

  record(entry: RequestLogEntry): void {
    const end = performance.now();
    this.stamped.push({ entry, start: end - entry.ms, end });
  }

  /** Runs the CLI; SIGKILLs it after `killAfterMs` (reading the socket queues just before). */
  run(out: string, srv: RunningServer, killAfterMs?: number): Promise<{ t0: number; ms: number; code: number | null; stderr: string; queued: number | null }> {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, cliArgs(srv, this.roiTable, out), { cwd: this.work, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      let queued: number | null = null;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = killAfterMs === undefined ? null : setTimeout(() => {
        queued = kernelQueued(srv.port);
        child.kill('SIGKILL');
      }, killAfterMs);
      child.on('exit', (code) => {
        if (timer !== null) clearTimeout(timer);
        resolve({ t0, ms: performance.now() - t0, code, stderr, queued });
      });
    });
  }

  /** Bytes the capped server sent per GDC file id, from its log since the last reset. */
  sentPerFile(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.server.log) {
      const m = /\/data\/([0-9a-f-]{36})/.exec(e.path);
      if (m?.[1] !== undefined) out.set(m[1], (out.get(m[1]) ?? 0) + e.bytes);
    }
    return out;
  }

  timeline(t0: number, t1: number): S5Timeline {
    const mine = this.stamped.filter((s) => s.start >= t0 - 1 && s.end <= t1 + 1);
    const data = mine.filter((s) => s.entry.path.includes('/data/'));
    const lookup = mine.find((s) => s.entry.method === 'POST' && s.entry.path.includes('/files'));
    const first = Math.min(...data.map((s) => s.start));
    const last = Math.max(...data.map((s) => s.end));
    return {
      startupS: (first - t0) / 1000,
      transferS: (last - first) / 1000,
      tailS: (t1 - last) / 1000,
      lookupAtS: lookup === undefined ? null : (lookup.start - t0) / 1000,
      underTwoS: timeUnderTwo(data, first, last) / 1000,
    };
  }

  async kill(cleanMs: number, random: () => number, out: string): Promise<S5Kill> {
    const killAt = cleanMs * (0.2 + 0.6 * random());
    this.server.resetLog();
    const killed = await this.run(out, this.server, killAt);
    await new Promise((r) => setTimeout(r, 300)); // the server logs a cut response when its socket closes
    const before = this.sentPerFile();
    // Finished = under its final name at the kill (a rerun takes it after an md5 check, without a
    // request). In flight = the server had started sending it, and it is not finished: with or
    // without a `.part` (a small slide can be sent whole before the client has opened its part).
    const names = new Set(await readdir(join(out, 'wsis')).catch(() => [] as string[]));
    const byName = new Map(this.files.map((f) => [f.fileName, f]));
    const finished = new Set([...names].filter((n) => byName.has(n)).map((n) => byName.get(n)?.fileId as string));
    const inFlight = [...before.keys()].filter((id) => !finished.has(id)).map((id) => this.files.find((f) => f.fileId === id)?.fileName as string);
    this.server.resetLog();
    const rerun = await this.run(out, this.server);
    if (rerun.code !== 0) throw new Error(`the rerun after the kill exited ${rerun.code}: ${rerun.stderr.slice(-2000)}`);
    const after = this.sentPerFile();
    const redownloadedBytes = inFlight.map((name) => {
      const f = this.files.find((x) => x.fileName === name) as GdcFile;
      return (before.get(f.fileId) ?? 0) + (after.get(f.fileId) ?? 0) - f.size;
    });
    // Slides finished before the kill must cost the rerun nothing.
    const again = [...after.keys()].filter((id) => finished.has(id));
    await rm(out, { recursive: true, force: true });
    return { killAtS: killAt / 1000, inFlight: inFlight.length, redownloadedBytes, kernelQueuedBytes: killed.queued, finishedSlidesFetchedAgain: again.length, rerunWallS: rerun.ms / 1000 };
  }
}

export async function runS5(o: S5Options): Promise<S5Result> {
  const dataset = await loadDemoDataset({ scale: o.scale, cacheDir: o.cacheDir });
  if (dataset.roiTablePath === null) throw new Error('the demo dataset wrote no ROI table');
  o.progress('S5: making (or reading) the demo slide files …');
  await filesReady(dataset.gdc.files);
  const files = dataset.gdc.files;
  const total = files.reduce((s, f) => s + f.size, 0);
  const work = await mkdtemp(join(tmpdir(), 'bcss-bench-s5-'));
  const h = new Harness(files, dataset.roiTablePath, work);
  h.server = await startServer({ dataset, port: 0, faults: { gdc: { bandwidthBytesPerSec: o.cap } }, onRequest: (e) => h.record(e) });
  h.uncapped = await startServer({ dataset, port: 0 });
  const random = mulberry32(o.seed);
  const loads: number[] = [];
  try {
    o.progress(`S5: ${files.length} slides, ${(total / 1e6).toFixed(1)} MB, GDC capped at ${(o.cap / 1e6).toFixed(1)} MB/s`);
    let ceiling: number | null = null;
    if (o.uncapped) {
      // What this machine manages without a cap (client and in-process server share its cores).
      const free = await h.run(join(work, 'uncapped'), h.uncapped);
      if (free.code !== 0) throw new Error(`the uncapped run exited ${free.code}: ${free.stderr.slice(-2000)}`);
      ceiling = total / (free.ms / 1000);
      o.progress(`S5 uncapped: ${(free.ms / 1000).toFixed(2)} s, ${(ceiling / 1e6).toFixed(1)} MB/s`);
      await rm(join(work, 'uncapped'), { recursive: true, force: true });
    }
    const bound = total / o.cap;
    const walls: number[] = [];
    const lines: S5Timeline[] = [];
    const kills: S5Kill[] = [];
    for (let i = 0; i < o.runs; i++) {
      loads.push(loadavg()[0] ?? 0);
      const out = join(work, `clean-${i}`);
      const clean = await h.run(out, h.server);
      if (clean.code !== 0) throw new Error(`the clean run exited ${clean.code}: ${clean.stderr.slice(-2000)}`);
      const report = await runVerify({ outDir: out });
      if (!report.ok) throw new Error(`verify found ${report.issues.length} issue(s) after the clean run`);
      const wsis = await readdir(join(out, 'wsis'));
      const sizes = await Promise.all(wsis.map(async (n) => (await stat(join(out, 'wsis', n))).size));
      if (wsis.length !== files.length || sizes.reduce((a, b) => a + b, 0) !== total) throw new Error(`the clean run left ${wsis.length} files`);
      await rm(out, { recursive: true, force: true });
      const tl = h.timeline(clean.t0, clean.t0 + clean.ms);
      walls.push(clean.ms / 1000);
      lines.push(tl);
      o.progress(`S5 run ${i + 1}: ${(clean.ms / 1000).toFixed(2)} s (start-up ${tl.startupS.toFixed(2)}, transfer ${tl.transferS.toFixed(2)}, tail ${tl.tailS.toFixed(2)}; < 2 slides open ${tl.underTwoS.toFixed(2)} s), efficiency ${(bound / (clean.ms / 1000)).toFixed(3)}, load ${loads[loads.length - 1]?.toFixed(1)}`);
      const k = await h.kill(clean.ms, random, join(work, `killed-${i}`));
      kills.push(k);
      o.progress(`S5 kill ${i + 1} at ${k.killAtS.toFixed(2)} s: ${k.inFlight} in flight, re-downloaded ${k.redownloadedBytes.map((b) => `${(b / 1024).toFixed(0)} KiB`).join(', ')}, kernel queues ${k.kernelQueuedBytes === null ? 'n/a' : `${(k.kernelQueuedBytes / 1024).toFixed(0)} KiB`}, finished fetched again ${k.finishedSlidesFetchedAgain}`);
    }
    return {
      slides: files.length,
      totalBytes: total,
      capBytesPerSec: o.cap,
      uncappedBytesPerSec: ceiling,
      loadAverage: loads,
      boundS: bound,
      wallS: spread(walls),
      efficiency: spread(walls.map((w) => bound / w)),
      startupS: spread(lines.map((l) => l.startupS)),
      transferS: spread(lines.map((l) => l.transferS)),
      tailS: spread(lines.map((l) => l.tailS)),
      underTwoS: spread(lines.map((l) => l.underTwoS)),
      transferEfficiency: spread(lines.map((l) => bound / l.transferS)),
      kills,
      worstRedownloadedBytes: Math.max(0, ...kills.flatMap((k) => k.redownloadedBytes)),
      efficiencyTarget: 0.9,
      redownloadTargetBytes: MIB,
    };
  } finally {
    await h.server.close();
    await h.uncapped.close();
    await rm(work, { recursive: true, force: true });
  }
}
