/**
 * S1-ref: the reference client (the original script's way) against the same server as S1, run
 * as a child process under the same measurement. Before timing, its JPEG regions are requested
 * once from the bench process, so the server answers them from its cache like S1's PNGs.
 */
import { join } from 'node:path';
import { DSA_FOLDER_ID } from '../../src/catalog/index.js';
import { measureChild } from '../../test/helpers/harness/measure-child.js';
import { planReference, type ReferenceOptions } from './reference-client.js';
import { cleanEnv, REPO_ROOT } from '../../test/helpers/harness/repo.js';
import { figshareHostRequests, type ScenarioEnv } from './scenario-s1.js';
import { transpileScript } from './transpile-script.js';

export interface RefRun {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMiB: number | null;
  serverRequests: number;
  bytes: number;
  /** Requests to figshare's hosts (not the object store's blob hops). */
  figshareRequests: number;
}

function referenceOptions(env: ScenarioEnv, outDir: string, roisPath = env.roisPath): ReferenceOptions {
  return {
    apiUrl: env.bench.server.urls.girder,
    figshareBase: env.bench.figshareBase,
    folderId: DSA_FOLDER_ID,
    roisPath,
    outDir,
    mpp: 0.25,
  };
}

/** Fetch every JPEG region once (4 at a time, the queue's width) so the server caches them. */
async function warmUp(env: ScenarioEnv, roisPath: string): Promise<void> {
  const jobs = await planReference(referenceOptions(env, env.work, roisPath));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (job === undefined) return;
      const res = await fetch(job.regionUrl);
      if (!res.ok) throw new Error(`S1-ref warm-up: ${res.status} for ${job.regionUrl}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export async function runRef(env: ScenarioEnv): Promise<RefRun[]> {
  const runs: RefRun[] = [];
  for (let i = 1; i <= env.runs; i++) runs.push(await oneRef(env, i, env.roisPath, 'S1-ref', i === 1));
  return runs;
}

/** One timed run of the reference client over `roisPath` (warmed up first when `warm`). */
export async function oneRef(env: ScenarioEnv, i: number, roisPath: string, label: string, warm: boolean): Promise<RefRun> {
  const script = await transpileScript(REPO_ROOT, join(REPO_ROOT, 'bench', 'lib', 'reference-client.ts'));
  if (warm) await warmUp(env, roisPath);
  const o = referenceOptions(env, join(env.work, `${label}-ref-run${i}`), roisPath);
  env.bench.server.resetLog();
  const args = [script, '--api-url', o.apiUrl, '--figshare-base', o.figshareBase, '--folder-id', o.folderId, '--rois', o.roisPath, '--out', o.outDir, '--mpp', String(o.mpp)];
  const r = await measureChild(process.execPath, args, { cwd: env.work, env: cleanEnv(), timeoutMs: 60 * 60_000 });
  if (r.exitCode !== 0) throw new Error(`${label} run ${i}: exit ${r.exitCode ?? r.signal}: ${r.stderr.slice(-1000)}`);
  const log = env.bench.server.log;
  const run: RefRun = {
    wallSeconds: r.wallSeconds,
    cpuSeconds: r.cpuSeconds,
    maxRssMiB: r.maxRssMiB,
    serverRequests: log.length,
    bytes: log.reduce((s, e) => s + e.bytes, 0),
    figshareRequests: figshareHostRequests(log),
  };
  env.progress(`${label} reference run ${i}/${env.runs}: ${run.wallSeconds.toFixed(2)} s, ${run.serverRequests} requests (${run.figshareRequests} to figshare), CPU ${run.cpuSeconds?.toFixed(2) ?? '?'} s, RSS ${run.maxRssMiB?.toFixed(0) ?? '?'} MiB`);
  return run;
}
