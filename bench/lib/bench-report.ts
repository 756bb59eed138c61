/** Turns scenario runs into the reported figures: medians with min–max, targets, a Markdown table. */
import type { MachineDescription } from './machine.js';
import { markdownTable } from './markdown-table.js';
import type { ServiceModel } from '../../test/helpers/harness/bench-server.js';
import type { RefRun } from './scenario-ref.js';
import type { S1Run, S3Run, S4Run } from './scenario-s1.js';
import type { S2Run } from './scenario-s2.js';
import type { SubRun } from './scenario-sub.js';
import { formatSpread, spread, spreadOrNull, type Spread } from './stats.js';

export interface BenchSettings {
  quick: boolean;
  runs: number;
  s2Runs: number;
  scale: number;
  rois: number;
  s2Scale: number;
  model: ServiceModel;
  clientArgs: string[];
  measurement: string;
}

export interface BenchResults {
  date: string;
  machine: MachineDescription;
  settings: BenchSettings;
  s1?: {
    warmupSeconds: number;
    runs: S1Run[];
    wall: Spread;
    cpu: Spread | null;
    rss: Spread | null;
    requests: Spread;
    bytesMB: Spread;
    retries: Spread;
    bandwidthSeconds: number;
    renderSeconds: number;
    renderWithLatencySeconds: number;
    boundSeconds: number;
    pureBoundSeconds: number;
    figshareFloorSeconds: number;
    efficiency: Spread;
    pureEfficiency: Spread;
  };
  /** S1 with `--figshare-interval 0` (one request per mask): the earlier timed setting. */
  s1Relaxed?: { runs: S1Run[]; wall: Spread; cpu: Spread | null; efficiency: Spread; figshareRequests: Spread };
  sub?: {
    runs: SubRun[];
    bcssWall: Spread;
    refWall: Spread;
    /** Median over runs of bcss wall / reference wall (each pair ran side by side). */
    ratio: Spread;
    bcssFigshareRequests: Spread;
    refFigshareRequests: Spread;
    bcssCpu: Spread | null;
    refCpu: Spread | null;
  };
  ref?: { runs: RefRun[]; wall: Spread; cpu: Spread | null; rss: Spread | null; requests: Spread; speedup: number | null; cpuRatio: number | null };
  s2?: { warmupSeconds: number; runs: S2Run[]; wall: Spread; rss: Spread | null; cpu: Spread | null; megapixels: number | null };
  s3?: { runs: S3Run[]; wall: Spread; summaryRequests: Spread; serverRequests: Spread };
  s4?: { runs: S4Run[]; wall: Spread; mbPerSecond: Spread; bytesMB: number; checked: number; ok: boolean };
  targets: Array<{ name: string; target: string; value: string; met: boolean | null }>;
}

export function summariseS1(warmupSeconds: number, runs: S1Run[]): NonNullable<BenchResults['s1']> {
  const first = runs[0];
  if (first === undefined) throw new Error('S1: no runs');
  const b = first.bound; // the same artifacts each run: the bound differs only by retries' bytes
  return {
    warmupSeconds,
    runs,
    wall: spread(runs.map((r) => r.wallSeconds)),
    cpu: spreadOrNull(runs.map((r) => r.cpuSeconds)),
    rss: spreadOrNull(runs.map((r) => r.maxRssMiB)),
    requests: spread(runs.map((r) => r.requests)),
    bytesMB: spread(runs.map((r) => r.bytes / 1e6)),
    retries: spread(runs.map((r) => r.retries)),
    bandwidthSeconds: b.bandwidthSeconds,
    renderSeconds: b.renderSeconds,
    renderWithLatencySeconds: b.renderWithLatencySeconds,
    boundSeconds: b.boundSeconds,
    pureBoundSeconds: b.pureBoundSeconds,
    figshareFloorSeconds: b.figshareFloorSeconds,
    efficiency: spread(runs.map((r) => r.efficiency)),
    pureEfficiency: spread(runs.map((r) => r.pureEfficiency)),
  };
}

export function summariseS1Relaxed(runs: S1Run[]): NonNullable<BenchResults['s1Relaxed']> {
  return {
    runs,
    wall: spread(runs.map((r) => r.wallSeconds)),
    cpu: spreadOrNull(runs.map((r) => r.cpuSeconds)),
    efficiency: spread(runs.map((r) => r.efficiency)),
    figshareRequests: spread(runs.map((r) => r.bound.figshareRequests)),
  };
}

export function summariseSub(runs: SubRun[]): NonNullable<BenchResults['sub']> {
  return {
    runs,
    bcssWall: spread(runs.map((r) => r.bcssWall)),
    refWall: spread(runs.map((r) => r.ref.wallSeconds)),
    ratio: spread(runs.map((r) => r.bcssWall / r.ref.wallSeconds)),
    bcssFigshareRequests: spread(runs.map((r) => r.bcssFigshareRequests)),
    refFigshareRequests: spread(runs.map((r) => r.ref.figshareRequests)),
    bcssCpu: spreadOrNull(runs.map((r) => r.bcssCpu)),
    refCpu: spreadOrNull(runs.map((r) => r.ref.cpuSeconds)),
  };
}

export function summariseRef(runs: RefRun[], s1: BenchResults['s1']): NonNullable<BenchResults['ref']> {
  const wall = spread(runs.map((r) => r.wallSeconds));
  const cpu = spreadOrNull(runs.map((r) => r.cpuSeconds));
  return {
    runs,
    wall,
    cpu,
    rss: spreadOrNull(runs.map((r) => r.maxRssMiB)),
    requests: spread(runs.map((r) => r.serverRequests)),
    speedup: s1 ? wall.median / s1.wall.median : null,
    cpuRatio: s1?.cpu && cpu ? s1.cpu.median / cpu.median : null,
  };
}

export function summariseS2(warmupSeconds: number, runs: S2Run[]): NonNullable<BenchResults['s2']> {
  return {
    warmupSeconds,
    runs,
    wall: spread(runs.map((r) => r.wallSeconds)),
    rss: spreadOrNull(runs.map((r) => r.maxRssMiB)),
    cpu: spreadOrNull(runs.map((r) => r.cpuSeconds)),
    megapixels: runs[0]?.imagePixels === null || runs[0] === undefined ? null : runs[0].imagePixels / 1e6,
  };
}

export function summariseS3(runs: S3Run[]): NonNullable<BenchResults['s3']> {
  return {
    runs,
    wall: spread(runs.map((r) => r.wallSeconds)),
    summaryRequests: spread(runs.map((r) => r.summaryRequests)),
    serverRequests: spread(runs.map((r) => r.serverRequests)),
  };
}

export function summariseS4(runs: S4Run[]): NonNullable<BenchResults['s4']> {
  const first = runs[0];
  return {
    runs,
    wall: spread(runs.map((r) => r.wallSeconds)),
    mbPerSecond: spread(runs.map((r) => r.mbPerSecond)),
    bytesMB: (first?.bytesHashed ?? 0) / 1e6,
    checked: first?.checked ?? 0,
    ok: runs.every((r) => r.ok),
  };
}

/** The issue's targets, judged on medians. */
export function judgeTargets(r: Omit<BenchResults, 'targets'>): BenchResults['targets'] {
  const t: BenchResults['targets'] = [];
  if (r.s1) {
    t.push({ name: 'S1 efficiency, default settings (bound incl. latency, 4 renders in flight)', target: '≥ 0.9', value: r.s1.efficiency.median.toFixed(2), met: r.s1.efficiency.median >= 0.9 });
    t.push({ name: 'S1 requests to figshare hosts (default settings)', target: '≤ 3', value: String(Math.max(...r.s1.runs.map((x) => x.bound.figshareRequests))), met: r.s1.runs.every((x) => x.bound.figshareRequests <= 3) });
    t.push({ name: 'S1 efficiency (latency-free bound)', target: '≥ 0.85', value: r.s1.pureEfficiency.median.toFixed(2), met: r.s1.pureEfficiency.median >= 0.85 });
  }
  if (r.sub) {
    t.push({ name: 'S1-sub wall, bcss (default) / reference', target: '≤ 0.5', value: r.sub.ratio.median.toFixed(2), met: r.sub.ratio.median <= 0.5 });
  }
  if (r.ref) {
    t.push({ name: 'speedup over S1-ref', target: '≥ 4×', value: r.ref.speedup === null ? 'n/a' : `${r.ref.speedup.toFixed(1)}×`, met: r.ref.speedup === null ? null : r.ref.speedup >= 4 });
    t.push({ name: 'client CPU / S1-ref CPU', target: '≤ 0.25', value: r.ref.cpuRatio === null ? 'n/a' : r.ref.cpuRatio.toFixed(2), met: r.ref.cpuRatio === null ? null : r.ref.cpuRatio <= 0.25 });
  }
  if (r.s2) {
    const rss = r.s2.rss;
    const full = r.settings.s2Scale === 1;
    t.push({ name: `S2 client peak RSS${full ? '' : ` (scale ${r.settings.s2Scale}, not the target's)`}`, target: '≤ 400 MiB', value: rss === null ? 'n/a' : `${rss.max.toFixed(0)} MiB (max)`, met: rss === null || !full ? null : rss.max <= 400 });
  }
  if (r.s3) {
    const zero = r.s3.summaryRequests.max === 0 && r.s3.serverRequests.max === 0;
    t.push({ name: 'S3 requests (client summary / server log, max)', target: '0', value: `${r.s3.summaryRequests.max} / ${r.s3.serverRequests.max}`, met: zero });
    t.push({ name: `S3 time to decide (${r.settings.rois} ROIs, wall incl. Node start)`, target: '< 0.5 s', value: `${r.s3.wall.median.toFixed(2)} s`, met: r.s3.wall.median < 0.5 });
  }
  return t;
}

/** The Markdown table of every figure (median, min–max over the runs). */
export function resultsTable(r: BenchResults): string {
  const rows: string[][] = [];
  const add = (scenario: string, metric: string, value: string, target = '', met: boolean | null = null): void => {
    rows.push([scenario, metric, value, target, met === null ? '' : met ? 'yes' : '**no**']);
  };
  const s1 = r.s1;
  if (s1) {
    add('S1', 'wall time (s)', formatSpread(s1.wall));
    add('S1', 'lower bound (s) = max(bandwidth, render queue incl. latency)', `${s1.boundSeconds.toFixed(2)} = max(${s1.bandwidthSeconds.toFixed(2)}, ${s1.renderWithLatencySeconds.toFixed(2)})`);
    add('S1', 'latency-free bound (s) = max(bandwidth, render only)', `${s1.pureBoundSeconds.toFixed(2)} = max(${s1.bandwidthSeconds.toFixed(2)}, ${s1.renderSeconds.toFixed(2)})`);
    add('S1', 'requests to figshare hosts (server log)', formatSpread(spread(s1.runs.map((x) => x.bound.figshareRequests)), 0), '≤ 3', s1.runs.every((x) => x.bound.figshareRequests <= 3));
    add('S1', 'figshare polite floor = (figshare requests − 1) × 1 s', `${s1.figshareFloorSeconds.toFixed(0)} s`);
    add('S1', 'efficiency = bound / wall', formatSpread(s1.efficiency), '≥ 0.9', s1.efficiency.median >= 0.9);
    add('S1', 'efficiency vs latency-free bound', formatSpread(s1.pureEfficiency), '≥ 0.85', s1.pureEfficiency.median >= 0.85);
    add('S1', 'requests (client summary)', formatSpread(s1.requests, 0));
    add('S1', 'bytes (MB)', formatSpread(s1.bytesMB, 1));
    add('S1', 'retries', formatSpread(s1.retries, 0));
    add('S1', 'client CPU (s, user+sys)', formatSpread(s1.cpu));
    add('S1', 'client peak RSS (MiB)', formatSpread(s1.rss, 0));
    add('S1', 'cold first run, server rendering (s, not counted)', s1.warmupSeconds.toFixed(2));
  }
  const relaxed = r.s1Relaxed;
  if (relaxed) {
    add('S1 relaxed', 'wall time (s), `--figshare-interval 0`, one request per mask', formatSpread(relaxed.wall));
    add('S1 relaxed', 'efficiency = bound / wall', formatSpread(relaxed.efficiency));
    add('S1 relaxed', 'requests to figshare hosts', formatSpread(relaxed.figshareRequests, 0));
    add('S1 relaxed', 'client CPU (s, user+sys)', formatSpread(relaxed.cpu));
  }
  const sub = r.sub;
  if (sub) {
    add('S1-sub', 'bcss wall time (s), default settings', formatSpread(sub.bcssWall));
    add('S1-sub', 'reference wall time (s)', formatSpread(sub.refWall));
    add('S1-sub', 'wall ratio = bcss / reference (pairwise)', formatSpread(sub.ratio), '≤ 0.5', sub.ratio.median <= 0.5);
    add('S1-sub', 'requests to figshare hosts: bcss / reference', `${formatSpread(sub.bcssFigshareRequests, 0)} / ${formatSpread(sub.refFigshareRequests, 0)}`);
    add('S1-sub', 'client CPU (s): bcss / reference', `${formatSpread(sub.bcssCpu)} / ${formatSpread(sub.refCpu)}`);
  }
  const ref = r.ref;
  if (ref) {
    add('S1-ref', 'wall time (s)', formatSpread(ref.wall));
    add('S1-ref', 'requests (server log)', formatSpread(ref.requests, 0));
    add('S1-ref', 'client CPU (s, user+sys)', formatSpread(ref.cpu));
    add('S1-ref', 'client peak RSS (MiB)', formatSpread(ref.rss, 0));
    add('S1-ref', 'speedup = ref wall / bcss wall', ref.speedup === null ? 'n/a' : `${ref.speedup.toFixed(1)}×`, '≥ 4×', ref.speedup === null ? null : ref.speedup >= 4);
    add('S1-ref', 'CPU ratio = bcss CPU / ref CPU', ref.cpuRatio === null ? 'n/a' : ref.cpuRatio.toFixed(2), '≤ 0.25', ref.cpuRatio === null ? null : ref.cpuRatio <= 0.25);
  }
  const s2 = r.s2;
  if (s2) {
    const label = `S2 (scale ${r.settings.s2Scale})`;
    add(label, 'image size (MPix)', s2.megapixels === null ? 'n/a' : s2.megapixels.toFixed(1));
    add(label, 'wall time (s)', formatSpread(s2.wall, 1));
    add(label, 'client CPU (s, user+sys)', formatSpread(s2.cpu, 1));
    const full = r.settings.s2Scale === 1;
    add(label, 'client peak RSS (MiB)', formatSpread(s2.rss, 0), full ? '≤ 400' : '', s2.rss === null || !full ? null : s2.rss.max <= 400);
  }
  const s3 = r.s3;
  if (s3) {
    add('S3', 'requests (client summary)', formatSpread(s3.summaryRequests, 0), '0', s3.summaryRequests.max === 0);
    add('S3', 'requests (server log)', formatSpread(s3.serverRequests, 0), '0', s3.serverRequests.max === 0);
    add('S3', 'time to decide (s, wall incl. Node start)', formatSpread(s3.wall), '< 0.5', s3.wall.median < 0.5);
  }
  const s4 = r.s4;
  if (s4) {
    add('S4', `verify wall time (s, ${s4.checked} files, ${s4.bytesMB.toFixed(1)} MB)`, formatSpread(s4.wall));
    add('S4', 'hashed (MB/s, over wall time)', formatSpread(s4.mbPerSecond, 0));
    add('S4', 'verify verdict', s4.ok ? 'all ok' : '**problems reported**');
  }
  return markdownTable(['Scenario', 'Metric', 'Median (min–max)', 'Target', 'Met'], rows);
}
