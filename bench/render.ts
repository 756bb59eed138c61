/**
 * S6 on its own (`npm run bench:render`; also `npm run bench -- --only S6`): `bcss extract` of the
 * 151 ROIs at 0.25 µm/px from local demo slide files against an OpenSlide + Pillow reference,
 * and TCGA-D8-A142 at scale 1 for peak RSS (bench/lib/scenario-s6.ts).
 *
 *   npm run bench:render -- [--scale 0.3] [--runs 3] [--ref-workers N] [--no-memory] [--digest]
 *                           [--json] [--write-doc] [--no-build] [--cache-dir DIR]
 *
 * The slide files (≈ 15 GB at scale 0.3, a few minutes to make the first time) are cached in
 * --cache-dir (default $TMPDIR/bcss-bench-cache). Without /usr/bin/python3 + openslide + PIL the
 * reference column says why it was skipped; the bench still runs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/helpers/harness/repo.js';
import { writeDocBlock } from './lib/benchmarks-doc.js';
import { buildDist } from './lib/build-dist.js';
import { describeMachine } from './lib/machine.js';
import { DEFAULT_REF_WORKERS, runS6 } from './lib/scenario-s6.js';
import { S6_BEGIN, S6_END, s6Block, s6Table } from './lib/wsi-report.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '0.3' },
    runs: { type: 'string', default: '3' },
    'ref-workers': { type: 'string' },
    'no-memory': { type: 'boolean', default: false },
    digest: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'write-doc': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'cache-dir': { type: 'string' },
  },
});
const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const scale = Number(values.scale);
if (!(scale >= 0.3 && scale <= 1)) throw new Error(`--scale must be in [0.3, 1] (issue 10 §6), got ${JSON.stringify(values.scale)}`);

if (!values['no-build']) buildDist(log);
const machine = describeMachine();
const date = new Date().toISOString();
const result = await runS6({
  scale,
  runs: Number(values.runs),
  cacheDir: values['cache-dir'] ?? join(tmpdir(), 'bcss-bench-cache'),
  refWorkers: values['ref-workers'] === undefined ? DEFAULT_REF_WORKERS : Number(values['ref-workers']),
  memory: !values['no-memory'],
  digest: values.digest,
  progress: log,
});
if (values.json) process.stdout.write(`${JSON.stringify({ date, machine, s6: result }, null, 2)}\n`);
else process.stdout.write(`${s6Table(result)}\n`);
if (values['write-doc']) {
  const command = `npm run bench:render${process.argv.length > 2 ? ` -- ${process.argv.slice(2).filter((a) => a !== '--write-doc').join(' ')}` : ''}`;
  await writeDocBlock(join(REPO_ROOT, 'docs', 'benchmarks.md'), s6Block(result, machine, date, command), S6_BEGIN, S6_END, 'S6: ROI images rendered from local slides');
  log('wrote docs/benchmarks.md');
}
