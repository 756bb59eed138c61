/**
 * Drills of the article-ZIP route (issue #11), with `--masks-via zip`:
 *   - faults on the archive's own requests (cut and reset bodies, 5xx, expired URL): the run must
 *     end with the clean lock through the ZIP, no mask fetched on its own, no temp file (the
 *     archive included) left;
 *   - SIGKILL when the archive has been sent, or once a seeded number of masks taken from it is
 *     journaled, then a rerun: it must end with the clean lock, write again exactly the masks that
 *     were not locked at the kill, and refetch no image that was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32, type ServiceFaults } from '../../../src/server/faults.js';
import type { RequestLogEntry } from '../../../src/server/start-server.js';
import { modelFaults, startBenchServer } from './bench-server.js';
import { runClient } from './drill-client.js';
import { clientArgs, completed, faultCounts, finalChecks, outcome, snapshot, sumBytes, type Baseline, type DrillOutcome, type DrillSetup } from './drills.js';
import { checkNoRefetch, checkRefetches, lockedArtifactKeys } from './fetch-ledger.js';

const ZIP_ARGS = ['--masks-via', 'zip'];

/** Faults drawn only for the archive's requests (the 302 hop and the blob). */
export const ZIP_FAULTS: ServiceFaults = { truncateBody: 0.1, resetMidBody: 0.08, error503: 0.05, expiredUrl403: 0.05, pathIncludes: 'article' };

const isArchiveBlob = (e: RequestLogEntry): boolean => e.path.startsWith('/figshare/blob/article-');
const isMaskFileRequest = (e: RequestLogEntry): boolean => /^\/figshare\/(ndownloader\/files|blob)\/\d+/.test(e.path);

export async function zipFaultDrill(setup: DrillSetup, baseline: Baseline, name = 'zip-faults'): Promise<DrillOutcome> {
  const started = performance.now();
  const server = await startBenchServer({ dataset: setup.dataset, faults: modelFaults(setup.model, { seed: setup.seed, figshare: ZIP_FAULTS }) });
  const problems: string[] = [];
  try {
    const outDir = join(setup.work, `drill-${name}`);
    const run = await runClient(setup.launcher, await clientArgs(setup, server, outDir, ZIP_ARGS), { cwd: setup.work });
    completed(run, 'run', problems);
    await finalChecks(outDir, baseline, problems);
    const entries = snapshot(server);
    problems.push(...checkNoRefetch(entries));
    const counts = faultCounts(entries);
    const archiveFaults = entries.filter((e) => e.fault !== undefined && e.path.includes('article')).length;
    if (archiveFaults === 0) problems.push('no fault hit the archive: the drill proves nothing');
    const perFile = entries.filter(isMaskFileRequest).length;
    if (perFile > 0) problems.push(`${perFile} mask(s) were fetched on their own: the ZIP route gave up`);
    return outcome(name, started, {
      problems,
      faults: counts,
      retries: run.summary?.retries ?? 0,
      extraBytes: sumBytes(entries) - baseline.bytes,
      clientRuns: 1,
      notes: [`${entries.filter((e) => e.path.includes('article')).length} requests for the archive (302 hop and blob), ${archiveFaults} of them faulty; no per-file mask request`],
    });
  } finally {
    await server.server.close();
  }
}

/** Resolves once the output folder's lock journal holds at least `n` mask lines (polled), or once `done()`. */
async function waitForJournaledMasks(outDir: string, n: number, done: () => boolean): Promise<void> {
  while (!done()) {
    const text = await readFile(join(outDir, 'bcss.lock.journal'), 'utf8').catch(() => '');
    if (text.split('\n').filter((l) => l.includes('"kind":"masks"')).length >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function maskCounts(run: { summary: { components: Record<string, Record<string, number>> } | null }): { done: number; skipped: number } {
  const m = run.summary?.components.masks ?? {};
  return { done: m.done ?? 0, skipped: m.skipped ?? 0 };
}

/** `maskTargets[i]`: kill i+1 once that many masks are journaled (0 = when the archive is sent); seeded when absent. */
export async function zipKillDrill(setup: DrillSetup, baseline: Baseline, kills: number, name = 'sigkill-zip', options: { maskTargets?: number[] } = {}): Promise<DrillOutcome> {
  const started = performance.now();
  let onArchive: (() => void) | null = null;
  const server = await startBenchServer({
    dataset: setup.dataset,
    faults: modelFaults(setup.model, { seed: setup.seed }),
    onRequest: (e) => {
      if (isArchiveBlob(e) && e.status === 200 && e.aborted !== true) onArchive?.();
    },
  });
  const rng = mulberry32(setup.seed * 104729 + 5);
  const masksInLock = [...baseline.lock.keys()].filter((p) => p.startsWith('masks/')).length;
  const problems: string[] = [];
  const notes: string[] = [];
  let bytes = 0;
  let retries = 0;
  let finishedEarly = 0;
  try {
    for (let i = 1; i <= kills; i++) {
      const outDir = join(setup.work, `${name}-${i}`);
      // Kill 1 as soon as the server has sent the archive (the client may still be receiving
      // it); the others once the journal records a seeded number of masks (1 … n−1), i.e. while
      // masks are being taken from the archive, whatever the machine's speed.
      const seeded = i === 1 ? 0 : 1 + Math.floor(rng() * Math.max(1, masksInLock - 1));
      const target = options.maskTargets?.[i - 1] ?? seeded;
      const when = target === 0 ? 'when the archive was sent' : `after ${target} masks were journaled`;
      server.server.resetLog();
      let exited = false;
      const killWhen = new Promise<void>((resolve) => (onArchive = () => void waitForJournaledMasks(outDir, target, () => exited).then(resolve)));
      const first = await runClient(setup.launcher, await clientArgs(setup, server, outDir, ZIP_ARGS), { cwd: setup.work, killWhen });
      exited = true;
      onArchive = null;
      if (first.killedAtMs === null) finishedEarly += 1;
      const before = snapshot(server);
      const locked = await lockedArtifactKeys(outDir);
      const lockedMasks = [...locked].filter((k) => k.startsWith('mask:')).length;
      server.server.resetLog();
      const rerun = await runClient(setup.launcher, await clientArgs(setup, server, outDir, ZIP_ARGS), { cwd: setup.work });
      const cycle: string[] = [];
      completed(rerun, `rerun after kill ${i}`, cycle);
      await finalChecks(outDir, baseline, cycle);
      const after = snapshot(server);
      cycle.push(...checkRefetches(before, locked, after).violations);
      const got = maskCounts(rerun);
      if (got.done !== masksInLock - lockedMasks || got.skipped !== lockedMasks) {
        cycle.push(`the rerun wrote ${got.done} and skipped ${got.skipped} masks; ${lockedMasks} of ${masksInLock} were locked at the kill`);
      }
      const perFile = after.filter(isMaskFileRequest).length;
      if (perFile > 0) cycle.push(`the rerun fetched ${perFile} mask(s) on their own`);
      problems.push(...cycle.map((p) => `kill ${i}: ${p}`));
      bytes += sumBytes(before) + sumBytes(after);
      retries += (first.summary?.retries ?? 0) + (rerun.summary?.retries ?? 0);
      setup.progress(
        `${name} ${i}/${kills}: killed ${when}${first.killedAtMs === null ? ' (run had already finished)' : ''}, ` +
          `${lockedMasks}/${masksInLock} masks locked, rerun wrote ${got.done}; ${cycle.length === 0 ? 'ok' : cycle.join('; ')}`,
      );
      notes.push(`kill ${i}: ${lockedMasks} masks locked, ${got.done} written by the rerun`);
    }
    if (finishedEarly > 0) notes.push(`${finishedEarly} run(s) finished before their kill moment`);
    return outcome(name, started, {
      problems,
      faults: { sigkill: kills - finishedEarly },
      retries,
      extraBytes: bytes - kills * baseline.bytes,
      clientRuns: kills * 2,
      notes,
    });
  } finally {
    await server.server.close();
  }
}
