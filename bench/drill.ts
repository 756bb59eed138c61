/**
 * `npm run drill`: fault drills over S1 at a smaller scale (issue #5).
 *
 *   npm run drill -- [--rois 30] [--scale 0.05] [--kills 10] [--seed 1] [--only NAME,…]
 *                    [--json] [--write-doc] [--no-build] [--keep] [--source]
 *
 * --source runs the CLI from src/ through tsx instead of the built dist/.
 *
 * Every drill must end with exit 0, a lock equal to a clean run's, no temp file, and no artifact
 * fetched twice except those in flight at an interruption. Progress on stderr; a Markdown table
 * (or, with --json, one JSON object) on stdout; exit code 1 if any drill failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { firstRoiNames, loadBenchDataset, type ServiceModel } from '../test/helpers/harness/bench-server.js';
import { BUILT_CLI, SOURCE_CLI } from '../test/helpers/harness/drill-client.js';
import { cleanBaseline, diskFullDrill, faultDrill, FAULT_DRILLS, killDrill, restartDrill, type DrillOutcome, type DrillSetup } from '../test/helpers/harness/drills.js';
import { describeMachine, formatMachine } from './lib/machine.js';
import { markdownTable } from './lib/markdown-table.js';
import { REPO_ROOT } from '../test/helpers/harness/repo.js';
import { DRILL_BEGIN, DRILL_END, writeDocBlock } from './lib/benchmarks-doc.js';
import { zipFaultDrill, zipKillDrill } from '../test/helpers/harness/zip-drills.js';

/** S1's model with a shorter latency, so ten kill cycles take a minute, not ten. */
const DRILL_MODEL: ServiceModel = { latencyMs: 20, renderConcurrency: 4, renderMsPerMegapixel: 40, bandwidthBytesPerSec: 100e6 };

const ALL = [...FAULT_DRILLS.map((d) => d.name), 'sigkill', 'server-restart', 'disk-full', 'zip-faults', 'sigkill-zip'];

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

export function drillTable(outcomes: readonly DrillOutcome[]): string {
  return markdownTable(
    ['Drill', 'Faults injected', 'Retries', 'Extra bytes', 'Client runs', 'Time (s)', 'Outcome'],
    outcomes.map((o) => [
      o.name,
      `${o.faultsInjected}${Object.keys(o.faults).length > 0 ? ` (${Object.entries(o.faults).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
      String(o.retries),
      mb(o.extraBytes),
      String(o.clientRuns),
      o.wallSeconds.toFixed(1),
      o.passed ? `pass${o.notes.length > 0 ? `; ${o.notes.join('; ')}` : ''}` : `**FAIL**: ${o.problems.slice(0, 4).join('; ')}${o.problems.length > 4 ? '; …' : ''}`,
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rois: { type: 'string', default: '30' },
      scale: { type: 'string', default: '0.05' },
      kills: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      'write-doc': { type: 'boolean', default: false },
      'cache-dir': { type: 'string' },
    },
  });
  const rois = Number(values.rois);
  const scale = Number(values.scale);
  const kills = Number(values.kills);
  const seed = Number(values.seed);
  if (!Number.isInteger(rois) || rois < 1 || rois > 151) throw new Error(`--rois must be 1–151, got ${values.rois}`);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${values.scale}`);
  if (!Number.isInteger(kills) || kills < 0) throw new Error(`--kills must be a non-negative integer, got ${values.kills}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const only = values.only === undefined ? new Set(ALL) : new Set(values.only.split(',').map((s) => s.trim()));
  for (const name of only) if (!ALL.includes(name)) throw new Error(`--only: unknown drill ${JSON.stringify(name)}; choose from ${ALL.join(', ')}`);
  const progress = (line: string): void => {
    process.stderr.write(`[drill] ${line}\n`);
  };

  if (!values.source && !values['no-build']) {
    progress('building dist/ (npx tsc -p tsconfig.build.json)…');
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  }
  const work = await mkdtemp(join(tmpdir(), 'bcss-drill-'));
  progress(`scratch folder ${work}; ${rois} ROIs at scale ${scale}, seed ${seed}`);
  const outcomes: DrillOutcome[] = [];
  try {
    const dataset = await loadBenchDataset({ scale, slides: firstRoiNames(rois), cacheDir: values['cache-dir'] ?? join(tmpdir(), 'bcss-bench-cache') });
    if (dataset.roiTablePath === null) throw new Error('the demo dataset wrote no ROI table');
    const setup: DrillSetup = {
      work,
      dataset,
      roisPath: dataset.roiTablePath,
      model: DRILL_MODEL,
      launcher: values.source ? SOURCE_CLI : BUILT_CLI,
      idleTimeoutSeconds: 2,
      seed,
      progress,
    };
    const baseline = await cleanBaseline(setup);
    const report = (o: DrillOutcome): void => {
      outcomes.push(o);
      progress(`${o.name}: ${o.passed ? 'pass' : `FAIL — ${o.problems.join('; ')}`} (${o.faultsInjected} faults, ${o.retries} retries, ${o.wallSeconds.toFixed(1)} s)`);
    };
    for (const d of FAULT_DRILLS) if (only.has(d.name)) report(await faultDrill(setup, baseline, d.name, d.faults, d.figshare));
    if (only.has('sigkill') && kills > 0) report(await killDrill(setup, baseline, kills));
    if (only.has('server-restart')) report(await restartDrill(setup, baseline));
    if (only.has('disk-full')) report(await diskFullDrill(setup, baseline));
    if (only.has('zip-faults')) report(await zipFaultDrill(setup, baseline));
    if (only.has('sigkill-zip') && kills > 0) report(await zipKillDrill(setup, baseline, Math.min(kills, 5)));
  } finally {
    if (values.keep) progress(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  const machine = describeMachine();
  if (values['write-doc']) {
    const argv = process.argv.slice(2).join(' ');
    const block = [
      DRILL_BEGIN,
      `Drilled ${new Date().toISOString()} with \`npm run drill${argv === '' ? '' : ` -- ${argv}`}\`: ${rois} ROIs at demo scale ${scale}, seed ${seed}, ` +
        `server model ${DRILL_MODEL.latencyMs} ms latency, ${DRILL_MODEL.renderConcurrency} renders, ${DRILL_MODEL.renderMsPerMegapixel} ms/MPix; ` +
        `client idle timeout 2 s; on ${formatMachine(machine)}.`,
      '',
      drillTable(outcomes),
      '',
      DRILL_END,
    ].join('\n');
    await writeDocBlock(join(REPO_ROOT, 'docs', 'benchmarks.md'), block, DRILL_BEGIN, DRILL_END, 'Latest drills');
    progress('wrote docs/benchmarks.md');
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, settings: { rois, scale, kills, seed, model: DRILL_MODEL }, outcomes }, null, 2)}\n`);
  } else {
    process.stdout.write(`Drills: ${rois} ROIs at demo scale ${scale}, seed ${seed}, on ${formatMachine(machine)}\n\n${drillTable(outcomes)}\n`);
  }
  if (outcomes.some((o) => !o.passed)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`drill: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
