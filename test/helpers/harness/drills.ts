/**
 * Fault drills (issue #5): each runs `bcss download` against a faulty server and asserts
 *   1. completion (exit 0, no failed item),
 *   2. a lock equal to a clean run's (same artifact paths, same sha256),
 *   3. no temp file left anywhere under the output folder,
 *   4. no artifact fetched completely twice, except those in flight at an interruption.
 * Shared by `npm run drill` (full) and test/drill (a short version for CI).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServedDataset } from '../../../src/server/dataset-types.js';
import { mulberry32, type FaultOptions, type ServiceFaults } from '../../../src/server/faults.js';
import type { RequestLogEntry } from '../../../src/server/start-server.js';
import { downloadArgs } from './bcss-client.js';
import { modelFaults, startBenchServer, type BenchServer, type ServiceModel } from './bench-server.js';
import { runClient, type CliLauncher, type DrillRun } from './drill-client.js';
import { artifactKeyOfRequest, checkNoRefetch, checkRefetches, isCompleteFetch, lockedArtifactKeys } from './fetch-ledger.js';
import { corruptFinalFiles, describeLockDiff, diffLocks, leftoverTempFiles, listFiles, lockHashes, lockHashesOrEmpty } from './out-dir-checks.js';
import { smallDisk } from './small-disk.js';

export interface DrillSetup {
  work: string;
  dataset: ServedDataset;
  roisPath: string;
  model: ServiceModel | null;
  launcher: CliLauncher;
  /** Idle timeout given to the client (config file), short so stalled bodies are cut quickly. */
  idleTimeoutSeconds: number;
  seed: number;
  progress: (line: string) => void;
}

export interface Baseline {
  lock: Map<string, string>;
  bytes: number;
  requests: number;
  wallSeconds: number;
  /** Bytes of every file the clean run left in its output folder (sizes the small disk). */
  outputBytes: number;
}

export interface DrillOutcome {
  name: string;
  passed: boolean;
  problems: string[];
  /** Injected faults by kind (server counters), summed over the drill's runs. */
  faults: Record<string, number>;
  faultsInjected: number;
  /** Retries reported by the client summaries. */
  retries: number;
  /** Server body bytes beyond what the clean run needed (all runs of the drill). */
  extraBytes: number;
  clientRuns: number;
  wallSeconds: number;
  notes: string[];
}

let configCounter = 0;

export async function clientArgs(setup: DrillSetup, server: BenchServer, outDir: string, extra: readonly string[] = []): Promise<string[]> {
  const configPath = join(setup.work, `drill-config-${++configCounter}.json`);
  await writeFile(configPath, JSON.stringify({ idleTimeoutSeconds: setup.idleTimeoutSeconds }));
  return downloadArgs(server.server.urls, setup.roisPath, outDir, ['--figshare-interval', '0', '--config', configPath, ...extra]);
}

export function faultCounts(entries: readonly RequestLogEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) if (e.fault !== undefined) out[e.fault] = (out[e.fault] ?? 0) + 1;
  return out;
}

export function sumBytes(entries: readonly RequestLogEntry[]): number {
  return entries.reduce((s, e) => s + e.bytes, 0);
}

export function snapshot(server: BenchServer): RequestLogEntry[] {
  return server.server.log.map((e) => ({ ...e }));
}

export function completed(run: DrillRun, what: string, problems: string[]): void {
  if (run.exitCode !== 0) {
    problems.push(`${what}: exit ${run.exitCode ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  } else if (run.summary === null) {
    problems.push(`${what}: no JSON summary`);
  } else if (run.summary.failures.length > 0) {
    problems.push(`${what}: ${run.summary.failures.length} failed items, e.g. ${run.summary.failures[0]?.item}: ${run.summary.failures[0]?.reason}`);
  }
}

/** The checks every drill ends with: lock equal to the clean one, no temp file left. */
export async function finalChecks(outDir: string, baseline: Baseline, problems: string[]): Promise<void> {
  const lock = await lockHashes(outDir).catch(() => null);
  if (lock === null) problems.push('no readable lock after the run');
  else {
    const diff = diffLocks(baseline.lock, lock);
    if (!diff.equal) problems.push(`lock differs from the clean run's: ${describeLockDiff(diff)}`);
  }
  const temps = await leftoverTempFiles(outDir);
  if (temps.length > 0) problems.push(`temp files left: ${temps.slice(0, 3).join(', ')}${temps.length > 3 ? ', …' : ''}`);
}

export function outcome(name: string, started: number, parts: Omit<DrillOutcome, 'name' | 'passed' | 'faultsInjected' | 'wallSeconds'>): DrillOutcome {
  const faultsInjected = Object.values(parts.faults).reduce((a, b) => a + b, 0);
  return { name, passed: parts.problems.length === 0, faultsInjected, wallSeconds: (performance.now() - started) / 1000, ...parts };
}

/** A clean run against the model without faults: the lock every drill must reproduce. */
export async function cleanBaseline(setup: DrillSetup, options: { warmUp?: boolean } = {}): Promise<Baseline> {
  const server = await startBenchServer({ dataset: setup.dataset, faults: modelFaults(setup.model, { seed: setup.seed }) });
  try {
    const outDir = join(setup.work, 'clean');
    if (options.warmUp !== false) {
      // One unmeasured run first so the clean run's timing (used to place kills) is the warm one.
      const warm = await runClient(setup.launcher, await clientArgs(setup, server, join(setup.work, 'clean-warmup')), { cwd: setup.work });
      const warmProblems: string[] = [];
      completed(warm, 'clean warm-up run', warmProblems);
      if (warmProblems.length > 0) throw new Error(warmProblems.join('; '));
      server.server.resetLog();
    }
    const run = await runClient(setup.launcher, await clientArgs(setup, server, outDir), { cwd: setup.work });
    const problems: string[] = [];
    completed(run, 'clean run', problems);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const entries = snapshot(server);
    const lock = await lockHashes(outDir);
    setup.progress(`clean run: ${run.wallSeconds.toFixed(2)} s, ${entries.length} requests, ${lock.size} artifacts in the lock`);
    let outputBytes = 0;
    for (const f of await listFiles(outDir)) outputBytes += (await stat(join(outDir, f))).size;
    return { lock, bytes: sumBytes(entries), requests: entries.length, wallSeconds: run.wallSeconds, outputBytes };
  } finally {
    await server.server.close();
  }
}

/** One run against a server injecting `faults` on Girder and figshare (`figshare` overrides for figshare). */
export async function faultDrill(setup: DrillSetup, baseline: Baseline, name: string, faults: ServiceFaults, figshare: ServiceFaults = faults): Promise<DrillOutcome> {
  const started = performance.now();
  const options: FaultOptions = modelFaults(setup.model, { seed: setup.seed, girder: faults, figshare });
  const server = await startBenchServer({ dataset: setup.dataset, faults: options });
  const problems: string[] = [];
  try {
    const outDir = join(setup.work, `drill-${name}`);
    const run = await runClient(setup.launcher, await clientArgs(setup, server, outDir), { cwd: setup.work });
    completed(run, 'run', problems);
    await finalChecks(outDir, baseline, problems);
    const entries = snapshot(server);
    problems.push(...checkNoRefetch(entries));
    const counts = faultCounts(entries);
    if (Object.keys(counts).length === 0) problems.push('no fault was injected: the drill proves nothing');
    return outcome(name, started, {
      problems,
      faults: counts,
      retries: run.summary?.retries ?? 0,
      extraBytes: sumBytes(entries) - baseline.bytes,
      clientRuns: 1,
      notes: [],
    });
  } finally {
    await server.server.close();
  }
}

/**
 * SIGKILL at `kills` seeded random moments (15–95 % of a clean run's time), each in a fresh
 * folder, each followed by a rerun that must complete and fetch again only what was in flight.
 * With `afterCompleteFetches`, the kill comes instead right after the server has finished that
 * many artifact fetches: mid-run for sure, whatever the machine's speed (for CI).
 */
export async function killDrill(setup: DrillSetup, baseline: Baseline, kills: number, name = 'sigkill', options: { afterCompleteFetches?: number } = {}): Promise<DrillOutcome> {
  const started = performance.now();
  let fetchesSeen = 0;
  let onFetches: (() => void) | null = null;
  const server = await startBenchServer({
    dataset: setup.dataset,
    faults: modelFaults(setup.model, { seed: setup.seed }),
    onRequest: (e) => {
      if (artifactKeyOfRequest(e.path) === null || !isCompleteFetch(e)) return;
      fetchesSeen += 1;
      if (options.afterCompleteFetches !== undefined && fetchesSeen >= options.afterCompleteFetches) onFetches?.();
    },
  });
  const rng = mulberry32(setup.seed * 7919 + 17);
  const problems: string[] = [];
  const notes: string[] = [];
  let bytes = 0;
  let retries = 0;
  let refetched = 0;
  let finishedEarly = 0;
  try {
    for (let i = 1; i <= kills; i++) {
      const outDir = join(setup.work, `${name}-${i}`);
      const byFetches = options.afterCompleteFetches !== undefined;
      // Stratified: kill i falls at a seeded point of the i-th slice of 15–95 % of a clean run,
      // so the kills cover the whole run (start-up, listing, transfers, the last lock write).
      const at = byFetches ? 0 : Math.round((0.15 + (0.8 * (i - 1 + rng())) / kills) * baseline.wallSeconds * 1000);
      server.server.resetLog();
      fetchesSeen = 0;
      const killWhen = byFetches ? new Promise<void>((resolve) => (onFetches = resolve)) : undefined;
      const args = await clientArgs(setup, server, outDir);
      const first = await runClient(setup.launcher, args, { cwd: setup.work, ...(byFetches ? { killWhen } : { killAfterMs: at }) });
      onFetches = null;
      const when = byFetches ? `after ${options.afterCompleteFetches} completed fetches` : `at ${at} ms`;
      if (first.killedAtMs === null) finishedEarly += 1;
      const before = snapshot(server);
      const lockedAtKill = await lockedArtifactKeys(outDir);
      // What a kill -9 may leave: temp files (cleaned by the rerun), never a bad file under a final name.
      const corrupt = await corruptFinalFiles(outDir, baseline.lock).catch(() => [] as string[]);
      if (corrupt.length > 0) problems.push(`kill ${i} ${when}: wrong bytes under final names: ${corrupt.slice(0, 3).join(', ')}`);
      server.server.resetLog();
      const rerun = await runClient(setup.launcher, await clientArgs(setup, server, outDir), { cwd: setup.work });
      const cycleProblems: string[] = [];
      completed(rerun, `rerun after kill ${i} (${when})`, cycleProblems);
      await finalChecks(outDir, baseline, cycleProblems);
      const after = snapshot(server);
      const refetch = checkRefetches(before, lockedAtKill, after);
      cycleProblems.push(...refetch.violations.map((v) => `kill ${i}: ${v}`));
      refetched += refetch.excused.length;
      problems.push(...cycleProblems.map((p) => (p.startsWith('kill ') || p.startsWith('rerun after kill') ? p : `kill ${i}: ${p}`)));
      bytes += sumBytes(before) + sumBytes(after);
      retries += (first.summary?.retries ?? 0) + (rerun.summary?.retries ?? 0);
      setup.progress(
        `${name} ${i}/${kills}: killed ${when}${first.killedAtMs === null ? ' (run had already finished)' : ''}, ` +
          `${lockedAtKill.size} artifacts locked at the kill, ${refetch.excused.length} in flight fetched again, ` +
          `${cycleProblems.length === 0 ? 'ok' : cycleProblems.join('; ')}`,
      );
    }
    notes.push(`${refetched} artifact fetches repeated over ${kills} kills (in flight at the kill)`);
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

/** The server closed (connections cut) at 40 % of a clean run and started again on the same port 1 s later. */
export async function restartDrill(setup: DrillSetup, baseline: Baseline): Promise<DrillOutcome> {
  const started = performance.now();
  const faults = modelFaults(setup.model, { seed: setup.seed });
  const first = await startBenchServer({ dataset: setup.dataset, faults });
  const port = first.server.port;
  const problems: string[] = [];
  const outDir = join(setup.work, 'drill-server-restart');
  let second: BenchServer | null = null;
  try {
    const running = runClient(setup.launcher, await clientArgs(setup, first, outDir), { cwd: setup.work });
    await new Promise((resolve) => setTimeout(resolve, Math.round(0.4 * baseline.wallSeconds * 1000)));
    await first.server.close();
    const lockedAtRestart = await lockedArtifactKeys(outDir);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Taken after the pause: responses cut by the close are logged when their sockets close.
    const before = snapshot(first);
    const cut = before.filter((e) => e.aborted === true).length;
    second = await startBenchServer({ dataset: setup.dataset, faults, port });
    const run = await running;
    completed(run, 'run', problems);
    await finalChecks(outDir, baseline, problems);
    const after = snapshot(second);
    // An answer the server finished writing may still be lost with the socket: in flight, excused.
    const refetch = checkRefetches(before, lockedAtRestart, after);
    problems.push(...refetch.violations);
    return outcome('server-restart', started, {
      problems,
      faults: { restart: 1, 'responses cut': cut },
      retries: run.summary?.retries ?? 0,
      extraBytes: sumBytes(before) + sumBytes(after) - baseline.bytes,
      clientRuns: 1,
      notes: [`${before.length} requests before the restart, ${after.length} after; ${refetch.excused.length} in flight fetched again`],
    });
  } finally {
    await first.server.close();
    await second?.server.close();
  }
}

/**
 * Disk full: the output folder on a tmpfs half the size of the clean output. The run must stop
 * with a clear disk error, leave no wrong bytes under a final name and no temp file; after the
 * disk is grown, the rerun completes and fetches again only what had not been locked.
 */
export async function diskFullDrill(setup: DrillSetup, baseline: Baseline): Promise<DrillOutcome> {
  const cleanOutputBytes = baseline.outputBytes;
  const started = performance.now();
  const server = await startBenchServer({ dataset: setup.dataset, faults: modelFaults(setup.model, { seed: setup.seed }) });
  await mkdir(setup.work, { recursive: true });
  const disk = await smallDisk(setup.work, Math.floor(cleanOutputBytes / 2));
  const problems: string[] = [];
  const notes: string[] = [`method: ${disk.method}`];
  try {
    const full = await runClient(setup.launcher, await clientArgs(setup, server, disk.outDir), { cwd: setup.work });
    // A fatal error (the lock itself cannot be written) prints `{error, exitCode}` instead of a summary.
    const fatal = (full.summary as unknown as { error?: { message?: string } } | null)?.error?.message ?? '';
    if (full.exitCode === 0 && (full.summary?.failures?.length ?? 0) === 0) problems.push('the run on a full disk reported success');
    const message = `${full.stderr}\n${full.summary?.failures?.map((f) => f.reason).join('\n') ?? ''}\n${fatal}`;
    if (!/no space|ENOSPC|disk (is )?full|ENOTDIR|not a directory/i.test(message)) {
      problems.push(`no clear disk error in the output: ${message.trim().split('\n').slice(-2).join(' / ')}`);
    }
    const firstLine = message.split('\n').find((l) => /space|ENOSPC|disk|ENOTDIR|directory/i.test(l));
    notes.push(`exit ${full.exitCode ?? full.signal}; message: ${firstLine?.trim().slice(0, 400) ?? '(none)'}`);
    const lockAtFailure = await lockHashesOrEmpty(disk.outDir);
    for (const [path, sha] of lockAtFailure) if (baseline.lock.get(path) !== sha) problems.push(`lock entry ${path} has a wrong hash after the failure`);
    const corrupt = await corruptFinalFiles(disk.outDir, baseline.lock).catch(() => [] as string[]);
    if (corrupt.length > 0) problems.push(`wrong bytes under final names after the failure: ${corrupt.slice(0, 3).join(', ')}`);
    const temps = await leftoverTempFiles(disk.outDir).catch(() => [] as string[]);
    if (temps.length > 0) problems.push(`temp files left after the failure: ${temps.slice(0, 3).join(', ')}`);
    const before = snapshot(server);
    const lockedAtFailure = await lockedArtifactKeys(disk.outDir);
    notes.push(`${lockedAtFailure.size} artifacts locked when the disk filled`);

    await disk.grow(cleanOutputBytes * 4);
    server.server.resetLog();
    const rerun = await runClient(setup.launcher, await clientArgs(setup, server, disk.outDir), { cwd: setup.work });
    completed(rerun, 'rerun after freeing space', problems);
    await finalChecks(disk.outDir, baseline, problems);
    const after = snapshot(server);
    problems.push(...checkRefetches(before, lockedAtFailure, after).violations);
    return outcome('disk-full', started, {
      problems,
      faults: { [disk.method]: 1 },
      retries: (full.summary?.retries ?? 0) + (rerun.summary?.retries ?? 0),
      extraBytes: sumBytes(before) + sumBytes(after) - baseline.bytes,
      clientRuns: 2,
      notes,
    });
  } finally {
    await disk.dispose();
    await server.server.close();
  }
}

/**
 * The probability drills of the issue, at 20 % for the 5xx storm and 15 % for the others.
 * Stalls on figshare are limited to the object store's answers (`/blob/`): the server's stall
 * fault on the 0-byte 302 of `/ndownloader/` holds the keep-alive connection after a complete
 * answer, so the client's next hop waits for the headers timeout (300 s), not the idle one —
 * a test-server artefact reported to its owner, not a stalled body.
 */
export const FAULT_DRILLS: Array<{ name: string; faults: ServiceFaults; figshare?: ServiceFaults }> = [
  { name: '5xx-storm-20%', faults: { error500: 0.05, error502: 0.05, error503: 0.05, error504: 0.05 } },
  { name: '429-retry-after', faults: { rateLimit429: 0.15, retryAfterSeconds: 1 } },
  { name: 'reset-mid-body', faults: { resetMidBody: 0.15 } },
  { name: 'truncated-body', faults: { truncateBody: 0.15 } },
  { name: 'stalled-body', faults: { stallBody: 0.1 }, figshare: { stallBody: 0.1, pathIncludes: '/blob/' } },
  { name: 'html-200-page', faults: { htmlPage200: 0.15 } },
];
