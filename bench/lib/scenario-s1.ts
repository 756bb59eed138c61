/**
 * S1 (the paper default against the modelled server), S3 (rerun into S1's folder) and S4
 * (`bcss verify` over S1's folder). One server serves all three; it is warmed up by one
 * unmeasured S1 run so that every region and mask is cached before timing.
 */
import { join } from 'node:path';
import type { RequestLogEntry } from '../../src/server/start-server.js';
import { assertSucceeded, runDownload, runVerify, type ServiceUrls } from '../../test/helpers/harness/bcss-client.js';
import type { BenchServer, ServiceModel } from '../../test/helpers/harness/bench-server.js';
import { lowerBound, type LowerBound } from './lower-bound.js';
import { lockImageSizes } from '../../test/helpers/harness/out-dir-checks.js';

export interface ScenarioEnv {
  /** Scratch folder for outputs (one sub-folder per run). */
  work: string;
  bench: BenchServer;
  model: ServiceModel;
  roisPath: string;
  runs: number;
  /** Extra `bcss download` arguments (for experiments; none by default). */
  clientArgs: readonly string[];
  progress: (line: string) => void;
}

export interface S1Run {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMiB: number | null;
  /** From the client's summary. */
  requests: number;
  /** From the server's log (includes redirect hops the client may count differently). */
  serverRequests: number;
  bytes: number;
  retries: number;
  bound: LowerBound;
  efficiency: number;
  pureEfficiency: number;
  outDir: string;
}

export interface S3Run {
  wallSeconds: number;
  summarySeconds: number;
  summaryRequests: number;
  serverRequests: number;
  cpuSeconds: number | null;
}

export interface S4Run {
  wallSeconds: number;
  reportSeconds: number;
  bytesHashed: number;
  checked: number;
  ok: boolean;
  mbPerSecond: number;
}

/** Default settings (issue #11): figshare stays at ≤ 1 request/s; the masks come as one ZIP. */
export const S1_CLIENT_ARGS: readonly string[] = [];
/** The earlier timed setting, kept as an extra row: politeness relaxed, one request per mask. */
export const S1_RELAXED_ARGS: readonly string[] = ['--figshare-interval', '0'];

function urls(env: ScenarioEnv): ServiceUrls {
  return env.bench.server.urls;
}

function snapshotLog(env: ScenarioEnv): RequestLogEntry[] {
  return env.bench.server.log.map((e) => ({ ...e }));
}

/** Requests to figshare's own hosts (API and ndownloader); the object store's `/blob/` hops are not. */
export function figshareHostRequests(log: readonly RequestLogEntry[]): number {
  return log.filter((e) => e.service === 'figshare' && !e.path.startsWith('/figshare/blob/')).length;
}

async function oneS1(env: ScenarioEnv, outDir: string, label: string, args: readonly string[] = S1_CLIENT_ARGS): Promise<S1Run> {
  env.bench.server.resetLog();
  const c = await runDownload(urls(env), env.roisPath, outDir, env.work, { extra: [...args, ...env.clientArgs] });
  assertSucceeded(label, c);
  const s = c.result;
  if (s === null) throw new Error(`${label}: no JSON summary on stdout`);
  if (s.failures.length > 0) throw new Error(`${label}: ${s.failures.length} failures, e.g. ${s.failures[0]?.item}: ${s.failures[0]?.reason}`);
  const log = snapshotLog(env);
  const bound = lowerBound(env.model, log, await lockImageSizes(outDir));
  const run: S1Run = {
    wallSeconds: c.run.wallSeconds,
    cpuSeconds: c.run.cpuSeconds,
    maxRssMiB: c.run.maxRssMiB,
    requests: s.requests,
    serverRequests: log.length,
    bytes: s.bytes,
    retries: s.retries,
    bound,
    efficiency: bound.boundSeconds / c.run.wallSeconds,
    pureEfficiency: bound.pureBoundSeconds / c.run.wallSeconds,
    outDir,
  };
  env.progress(
    `${label}: ${run.wallSeconds.toFixed(2)} s, bound ${bound.boundSeconds.toFixed(2)} s → efficiency ${run.efficiency.toFixed(2)}, ` +
      `${run.requests} requests, ${(run.bytes / 1e6).toFixed(1)} MB, CPU ${run.cpuSeconds?.toFixed(2) ?? '?'} s, RSS ${run.maxRssMiB?.toFixed(0) ?? '?'} MiB`,
  );
  return run;
}

export async function runS1(env: ScenarioEnv): Promise<{ warmup: S1Run; runs: S1Run[] }> {
  const warmup = await oneS1(env, join(env.work, 's1-warmup'), 'S1 warm-up (not counted)');
  const runs: S1Run[] = [];
  for (let i = 1; i <= env.runs; i++) runs.push(await oneS1(env, join(env.work, `s1-run${i}`), `S1 run ${i}/${env.runs}`));
  return { warmup, runs };
}

/** S1 with the politeness relaxed (`--figshare-interval 0`): the earlier timed setting, an extra row. */
export async function runS1Relaxed(env: ScenarioEnv): Promise<S1Run[]> {
  const runs: S1Run[] = [];
  for (let i = 1; i <= env.runs; i++) runs.push(await oneS1(env, join(env.work, `s1-relaxed${i}`), `S1 relaxed run ${i}/${env.runs}`, S1_RELAXED_ARGS));
  return runs;
}

export async function runS3(env: ScenarioEnv, outDir: string): Promise<S3Run[]> {
  const runs: S3Run[] = [];
  for (let i = 1; i <= env.runs; i++) {
    env.bench.server.resetLog();
    const c = await runDownload(urls(env), env.roisPath, outDir, env.work, { extra: [...S1_CLIENT_ARGS, ...env.clientArgs] });
    assertSucceeded(`S3 run ${i}`, c);
    if (c.result === null) throw new Error(`S3 run ${i}: no JSON summary on stdout`);
    const run: S3Run = {
      wallSeconds: c.run.wallSeconds,
      summarySeconds: c.result.seconds,
      summaryRequests: c.result.requests,
      serverRequests: env.bench.server.log.length,
      cpuSeconds: c.run.cpuSeconds,
    };
    env.progress(`S3 run ${i}/${env.runs}: ${run.wallSeconds.toFixed(2)} s, requests ${run.summaryRequests} (client) / ${run.serverRequests} (server log)`);
    runs.push(run);
  }
  return runs;
}

export async function runS4(env: ScenarioEnv, outDir: string): Promise<S4Run[]> {
  const runs: S4Run[] = [];
  for (let i = 1; i <= env.runs; i++) {
    const c = await runVerify(outDir, env.work);
    if (c.result === null) throw new Error(`S4 run ${i}: no JSON report on stdout (exit ${c.run.exitCode}): ${c.run.stderr.slice(-500)}`);
    const r = c.result;
    const run: S4Run = {
      wallSeconds: c.run.wallSeconds,
      reportSeconds: r.seconds,
      bytesHashed: r.bytesHashed,
      checked: r.checked,
      ok: r.ok && c.run.exitCode === 0,
      mbPerSecond: r.bytesHashed / 1e6 / c.run.wallSeconds,
    };
    env.progress(`S4 run ${i}/${env.runs}: ${run.wallSeconds.toFixed(2)} s, ${run.checked} files, ${(run.bytesHashed / 1e6).toFixed(1)} MB → ${run.mbPerSecond.toFixed(0)} MB/s, ok=${run.ok}`);
    runs.push(run);
  }
  return runs;
}
