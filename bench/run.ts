/**
 * `npm run bench`: bcss download against the modelled demo server (issue #5).
 *
 *   npm run bench -- [--runs N] [--s2-runs N] [--only S1,S1-ref,S2,S3,S4,S5,S6] [--quick]
 *                    [--json] [--write-doc] [--no-build] [--keep] [--client-args "…"]
 *
 * The server runs in this process (regions and masks cached before timing, render cost modelled
 * by the queue's timers); every client runs as a child process under `/usr/bin/time -v` for wall
 * time, CPU seconds and peak RSS. Progress goes to stderr; the Markdown table (or, with --json,
 * one JSON object) to stdout.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinRois } from '../src/catalog/index.js';
import { judgeTargets, resultsTable, summariseRef, summariseS1, summariseS1Relaxed, summariseS2, summariseS3, summariseS4, summariseSub, type BenchResults } from './lib/bench-report.js';
import { firstRoiNames, loadBenchDataset, PAPER_MODEL, startBenchServer, modelFaults } from '../test/helpers/harness/bench-server.js';
import { resultsBlock, writeBenchmarksDoc, writeDocBlock } from './lib/benchmarks-doc.js';
import { buildDist } from './lib/build-dist.js';
import { describeMachine } from './lib/machine.js';
import { runS5, type S5Result } from './lib/scenario-s5.js';
import { DEFAULT_REF_WORKERS, runS6, type S6Result } from './lib/scenario-s6.js';
import { S5_BEGIN, S5_END, s5Block, s5Table, S6_BEGIN, S6_END, s6Block, s6Table } from './lib/wsi-report.js';
import { canMeasureResources, GNU_TIME } from '../test/helpers/harness/measure-child.js';
import { REPO_ROOT } from '../test/helpers/harness/repo.js';
import { runRef } from './lib/scenario-ref.js';
import { runS1, runS1Relaxed, runS3, runS4, type ScenarioEnv } from './lib/scenario-s1.js';
import { runSub } from './lib/scenario-sub.js';
import { runS2 } from './lib/scenario-s2.js';
import { rasterizeRow, runRasterizeBench, type RasterizeBench } from './rasterize-demo.js';

const SCENARIOS = ['S1', 'S1-relaxed', 'S1-sub', 'S1-ref', 'S2', 'S3', 'S4', 'R', 'S5', 'S6'] as const;
type Scenario = (typeof SCENARIOS)[number];

const HELP = `npm run bench -- [options]
  --runs N           runs per scenario (default 3; 1 with --quick)
  --s2-runs N        runs of S2 (default 1)
  --only LIST        scenarios to run, e.g. S1,S3 (default all: ${SCENARIOS.join(',')}; R = bcss rasterize,
                     S5 = slides from the GDC (bench:wsis), S6 = ROIs rendered from local slides (bench:render))
  --quick            smoke version: 20 ROIs, 1 run, S2 at scale 0.25; S6 on the first 20 slides, no memory check
  --json             print one JSON object instead of the Markdown table
  --write-doc        put the figures into docs/benchmarks.md
  --no-build         use dist/ as it is (default: npx tsc -p tsconfig.build.json first)
  --keep             keep the scratch folder with every run's output
  --scale X          demo scale of S1/S1-ref/S3/S4 (default 0.1, the issue's)
  --client-args STR  extra arguments for every bcss download (experiments)
  --cache-dir DIR    demo cache (rendered masks; default $TMPDIR/bcss-bench-cache)
  --from-json FILE   print (and with --write-doc, write) the figures of an earlier --json run`;

function positiveInt(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      's2-runs': { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'write-doc': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'client-args': { type: 'string' },
      'cache-dir': { type: 'string' },
      scale: { type: 'string' },
      'from-json': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values['from-json'] !== undefined) {
    // Tolerates the lines `npm run` prints before the object.
    const text = await readFile(values['from-json'], 'utf8');
    const saved = JSON.parse(text.slice(text.indexOf('{'))) as BenchResults;
    await report(saved, values.json, values['write-doc'], 'npm run bench');
    return;
  }
  const quick = values.quick;
  const runs = positiveInt(values.runs, '--runs', quick ? 1 : 3);
  const s2Runs = positiveInt(values['s2-runs'], '--s2-runs', 1);
  const only = new Set<Scenario>(
    (values.only?.split(',').map((s) => s.trim()) ?? [...SCENARIOS]).map((s) => {
      const hit = SCENARIOS.find((x) => x.toLowerCase() === s.toLowerCase());
      if (hit === undefined) throw new Error(`--only: unknown scenario ${JSON.stringify(s)}; choose from ${SCENARIOS.join(', ')}`);
      return hit;
    }),
  );
  const clientArgs = values['client-args']?.split(/\s+/).filter((s) => s !== '') ?? [];
  const cacheDir = values['cache-dir'] ?? join(tmpdir(), 'bcss-bench-cache');
  const progress = (line: string): void => {
    process.stderr.write(`[bench] ${line}\n`);
  };
  const scale = values.scale === undefined ? 0.1 : Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${JSON.stringify(values.scale)}`);
  const roiCount = quick ? 20 : builtinRois().length;
  const s2Scale = quick ? 0.25 : 1;
  const model = PAPER_MODEL;

  if (!values['no-build']) buildDist(progress);
  if (!canMeasureResources()) progress(`${GNU_TIME} not found: only wall time is measured (CPU and RSS are n/a)`);
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'bcss-bench-'));
  progress(`scratch folder ${work}`);

  const partial: Omit<BenchResults, 'targets'> = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: {
      quick,
      runs,
      s2Runs,
      scale,
      rois: roiCount,
      s2Scale,
      model,
      clientArgs,
      measurement: canMeasureResources() ? 'GNU `/usr/bin/time -v` (wall measured by the bench around spawn → exit)' : 'wall time only',
    },
  };
  let rasterize: RasterizeBench | null = null;
  let s5: S5Result | null = null;
  let s6: S6Result | null = null;
  try {
    const needS1 = only.has('S1') || only.has('S1-relaxed') || only.has('S1-sub') || only.has('S1-ref') || only.has('S3') || only.has('S4');
    if (needS1) {
      const dataset = await loadBenchDataset({ scale, cacheDir, ...(quick ? { slides: firstRoiNames(roiCount) } : {}) });
      if (dataset.roiTablePath === null) throw new Error('the demo dataset wrote no ROI table');
      const bench = await startBenchServer({ dataset, faults: modelFaults(model) });
      const env: ScenarioEnv = { work, bench, model, roisPath: dataset.roiTablePath, runs, clientArgs, progress };
      try {
        const s1 = await runS1(env);
        if (only.has('S1') || only.has('S1-ref')) partial.s1 = summariseS1(s1.warmup.wallSeconds, s1.runs);
        const lastOut = (s1.runs[s1.runs.length - 1] ?? s1.warmup).outDir;
        if (only.has('S3')) partial.s3 = summariseS3(await runS3(env, lastOut));
        if (only.has('S4')) partial.s4 = summariseS4(await runS4(env, lastOut));
        if (only.has('S1-relaxed')) partial.s1Relaxed = summariseS1Relaxed(await runS1Relaxed(env));
        if (only.has('S1-sub') && !quick) partial.sub = summariseSub(await runSub(env));
        if (only.has('S1-ref')) partial.ref = summariseRef(await runRef(env), partial.s1);
      } finally {
        await bench.server.close();
      }
    }
    if (only.has('R')) rasterize = await runRasterizeBench({ cacheDir, runs, progress });
    if (only.has('S5')) s5 = await runS5({ scale: 0.05, cap: 25e6, seed: 1, runs, cacheDir, uncapped: true, progress });
    if (only.has('S6')) {
      s6 = await runS6({ scale: 0.3, runs, cacheDir, refWorkers: DEFAULT_REF_WORKERS, memory: !quick, digest: false, progress, ...(quick ? { slides: firstRoiNames(roiCount) } : {}) });
    }
    if (only.has('S2')) {
      const s2 = await runS2({ work, cacheDir, scale: s2Scale, model, runs: s2Runs, clientArgs, progress });
      partial.s2 = summariseS2(s2.warmupSeconds, s2.runs);
    }
  } finally {
    if (values.keep) progress(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }

  const results: BenchResults = { ...partial, targets: judgeTargets(partial) };
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  // The rasterize row stands apart from the download table: one more field, or one more line.
  const withExtras = { ...results, ...(rasterize === null ? {} : { rasterize }), ...(s5 === null ? {} : { s5 }), ...(s6 === null ? {} : { s6 }) };
  // The download table's block is only rewritten when one of its scenarios ran.
  const downloadRan = ['S1', 'S1-relaxed', 'S1-sub', 'S1-ref', 'S2', 'S3', 'S4'].some((x) => only.has(x as Scenario));
  await report(withExtras, values.json, values['write-doc'] && downloadRan, command, downloadRan || rasterize !== null);
  if (rasterize !== null && !values.json) process.stdout.write(`${rasterizeRow(rasterize)}\n`);
  // S5 and S6 have their own tables (and their own blocks in docs/benchmarks.md).
  if (s5 !== null && !values.json) process.stdout.write(`\n${s5Table(s5)}\n`);
  if (s6 !== null && !values.json) process.stdout.write(`\n${s6Table(s6)}\n`);
  if (values['write-doc']) {
    const doc = join(REPO_ROOT, 'docs', 'benchmarks.md');
    if (s5 !== null) await writeDocBlock(doc, s5Block(s5, partial.machine, partial.date, command), S5_BEGIN, S5_END, 'S5: slides from the GDC');
    if (s6 !== null) await writeDocBlock(doc, s6Block(s6, partial.machine, partial.date, command), S6_BEGIN, S6_END, 'S6: ROI images rendered from local slides');
  }
}

async function report(results: BenchResults, json: boolean, writeDoc: boolean, command: string, table = true): Promise<void> {
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else if (table) process.stdout.write(`${resultsTable(results)}\n`);
  if (writeDoc) {
    await writeBenchmarksDoc(join(REPO_ROOT, 'docs', 'benchmarks.md'), resultsBlock(results, command));
    process.stderr.write('[bench] wrote docs/benchmarks.md\n');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
