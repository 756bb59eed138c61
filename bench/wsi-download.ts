/**
 * S5 on its own (`npm run bench:wsis`; also `npm run bench -- --only S5`): the 151 demo slides
 * through a GDC bandwidth cap, efficiency and the SIGKILL drill (bench/lib/scenario-s5.ts).
 *
 *   npm run bench:wsis -- [--scale 0.05] [--mbps 25] [--runs 3] [--seed 1] [--no-uncapped]
 *                         [--json] [--write-doc] [--no-build]
 *
 * Prints the S5 table (or JSON); exit 0 whatever the figures (a bench reports, it does not judge).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/helpers/harness/repo.js';
import { writeDocBlock } from './lib/benchmarks-doc.js';
import { buildDist } from './lib/build-dist.js';
import { describeMachine } from './lib/machine.js';
import { runS5 } from './lib/scenario-s5.js';
import { S5_BEGIN, S5_END, s5Block, s5Table } from './lib/wsi-report.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.05' },
    mbps: { type: 'string', default: '25' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'no-uncapped': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'write-doc': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

if (!values['no-build']) buildDist(log);
const machine = describeMachine();
const date = new Date().toISOString();
const result = await runS5({
  scale: Number(values.scale),
  cap: Number(values.mbps) * 1e6,
  seed: Number(values.seed),
  runs: Number(values.runs),
  cacheDir: join(tmpdir(), 'bcss-bench-cache'),
  uncapped: !values['no-uncapped'],
  progress: log,
});
if (values.json) process.stdout.write(`${JSON.stringify({ date, machine, s5: result }, null, 2)}\n`);
else process.stdout.write(`${s5Table(result)}\n`);
if (values['write-doc']) {
  const command = `npm run bench:wsis${process.argv.length > 2 ? ` -- ${process.argv.slice(2).filter((a) => a !== '--write-doc').join(' ')}` : ''}`;
  await writeDocBlock(join(REPO_ROOT, 'docs', 'benchmarks.md'), s5Block(result, machine, date, command), S5_BEGIN, S5_END, 'S5: slides from the GDC');
  log('wrote docs/benchmarks.md');
}
