/**
 * S1-sub (issue #11): the 10-ROI subset a user would try first, bcss with DEFAULT settings
 * (figshare ≤ 1 request/s, `--masks-via auto`) against the reference client (which does not pace
 * at all), run side by side, alternating, on the same modelled server as S1. Both fetch images +
 * masks for the same ROI table; figshare requests are counted from the server log for both.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertSucceeded, runDownload } from '../../test/helpers/harness/bcss-client.js';
import { oneRef, type RefRun } from './scenario-ref.js';
import { figshareHostRequests, type ScenarioEnv } from './scenario-s1.js';

/** The subset. */
export const SUB_ROIS = ['A1-A0SK', 'A1-A0SP', 'A2-A04P', 'A2-A04Q', 'A2-A04T', 'A2-A0CM', 'A2-A0D0', 'A2-A0D2', 'A2-A0ST', 'A2-A0SX'];

export interface SubRun {
  bcssWall: number;
  bcssCpu: number | null;
  bcssFigshareRequests: number;
  bcssRequests: number;
  ref: RefRun;
}

/** The rows of the ROI table whose slide is in the subset (`TCGA-<code>-DX…`). */
async function writeSubsetTable(env: ScenarioEnv): Promise<string> {
  const lines = (await readFile(env.roisPath, 'utf8')).split(/\r?\n/);
  const keep = lines.slice(1).filter((l) => SUB_ROIS.some((code) => l.startsWith(`TCGA-${code}-`)));
  if (keep.length !== SUB_ROIS.length) throw new Error(`S1-sub: found ${keep.length} of the ${SUB_ROIS.length} subset ROIs in ${env.roisPath}`);
  const path = join(env.work, 'rois-subset.csv');
  await writeFile(path, `${[lines[0], ...keep].join('\n')}\n`);
  return path;
}

export async function runSub(env: ScenarioEnv): Promise<SubRun[]> {
  const roisPath = await writeSubsetTable(env);
  const runs: SubRun[] = [];
  for (let i = 1; i <= env.runs; i++) {
    env.bench.server.resetLog();
    const c = await runDownload(env.bench.server.urls, roisPath, join(env.work, `sub-bcss${i}`), env.work, { extra: env.clientArgs });
    assertSucceeded(`S1-sub bcss run ${i}`, c);
    if (c.result === null || c.result.failures.length > 0) throw new Error(`S1-sub bcss run ${i}: failures or no summary`);
    const bcssFigshareRequests = figshareHostRequests(env.bench.server.log);
    const ref = await oneRef(env, i, roisPath, 'S1-sub', i === 1);
    const run: SubRun = {
      bcssWall: c.run.wallSeconds,
      bcssCpu: c.run.cpuSeconds,
      bcssFigshareRequests,
      bcssRequests: c.result.requests,
      ref,
    };
    env.progress(
      `S1-sub run ${i}/${env.runs}: bcss ${run.bcssWall.toFixed(2)} s (${run.bcssFigshareRequests} figshare requests) vs reference ${ref.wallSeconds.toFixed(2)} s (${ref.figshareRequests}) → ${(run.bcssWall / ref.wallSeconds).toFixed(2)}×`,
    );
    runs.push(run);
  }
  return runs;
}
