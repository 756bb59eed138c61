import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { FaultOptions } from '../../server/faults.js';
import type { RequestLogEntry } from '../../server/request-log.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

interface ServeFlags {
  demo?: boolean;
  data?: string;
  port: string;
  host: string;
  scale?: string;
  seed?: string;
  slides?: string;
  cacheDir?: string;
  slideFiles?: string;
  apiKeyEnv?: string;
  faults?: string;
  maxRegionPixels?: string;
  logRequests?: boolean;
  json?: boolean;
}

const DEFAULT_API_KEY_ENV = 'BCSS_SERVE_API_KEY';

const HELP = `
The server speaks three protocols on one port, each under its own base URL:
  girder   Digital Slide Archive / Girder REST API   (…/api/v1)
  figshare figshare API v2 + download and blob URLs  (…/figshare/v2)
  gdc      NCI Genomic Data Commons API              (…/gdc)
On start it prints exactly these lines on stdout, then keeps serving until Ctrl-C:
  girder <url>
  figshare <url>
  gdc <url>
  rois <path>      (only when the dataset has a roiBounds.csv-format table, e.g. a scaled demo)

Data (pick one):
  --demo             the deterministic demo: the 151 BCSS slides as virtual slides, one seeded
                     annotation and mask per ROI (default when neither option is given)
  --data DIR         a folder of real .svs/.tif slides (+ <slide>.json annotations)

Demo options: --scale F shrinks slides, ROIs and masks (0 < F <= 1, default 1); --seed N changes
every generated value (default 1); --slides LIST keeps only some ROIs (comma-separated names, case
ids such as TCGA-A1-A0SK, or short forms A1-A0SK); --cache-dir DIR holds rendered masks and
slide files (default $XDG_CACHE_HOME/bcss/serve or ~/.cache/bcss/serve).
The slides' .svs files (GDC /data, Girder file downloads) are real pyramidal JPEG TIFFs with an
Aperio description, made from the demo's pixels when first needed and cached (all 151 at
--scale 0.05: ~15 s, ~370 MB). --slide-files tiff|stand-in overrides the default, which is tiff
up to 2 Gpx of slides in total (the whole demo up to --scale 0.07) and a few KB of placeholder
bytes per slide beyond that.

Private mode: set an API key in an environment variable (never on the command line, where other
users of the machine can read it). --api-key-env VAR names the variable (default ${DEFAULT_API_KEY_ENV});
when it is set, all data belongs to the user "demo" (password "demo"), anonymous calls get 401
and other users 403. Without it the data is public. Basic login: demo / demo.

Faults (seeded, reproducible): --faults takes JSON or @file.json, e.g.
  {"seed": 7, "girder": {"error503": 0.1, "rateLimit429": 0.05, "latencyMs": 200},
   "figshare": {"truncateBody": 0.2}, "gdc": {"bandwidthBytesPerSec": 1000000}}
Per service (girder, figshare, gdc): probabilities error500 error502 error503 error504
rateLimit429 htmlPage200 challenge202 expiredUrl403 (figshare blob URLs) emptyBody200
resetMidBody truncateBody stallBody ignoreRange badAnnotationJson (girder annotation lists); latencyMs, latencyJitterMs, bandwidthBytesPerSec
(total for the service), retryAfterSeconds, retryAfterHttpDate, pathIncludes, requests (list of
request numbers); girder also renderConcurrency (default 4) and renderMsPerMegapixel. Top level:
seed, cacheRegions (keep rendered regions in memory), cacheRegionsMaxBytes.

Examples:
  bcss serve --demo --port 8080
  bcss serve --demo --scale 0.1 --slides A1-A0SK,A2-A0CM --port 0
  bcss serve --data ./my-slides --json
  BCSS_SERVE_API_KEY=$(openssl rand -hex 20) bcss serve --demo
  bcss serve --demo --faults '{"girder": {"error503": 0.2}}' --log-requests
`;

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`expected an integer from ${min} to ${max} for ${what} but received "${text}"`);
  }
  return Number(text);
}

async function parseFaults(text: string, cwd: string): Promise<FaultOptions> {
  let json = text;
  let where = '--faults';
  if (text.startsWith('@')) {
    const path = resolve(cwd, text.slice(1));
    where = path;
    try {
      json = await readFile(path, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the fault file ${path}: ${(err as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`${where} is not valid JSON: ${(err as Error).message}`, {
      hint: `example: --faults '{"girder": {"error503": 0.1}}'`,
    });
  }
  const { parseFaultOptions } = await import('../../server/faults.js');
  return parseFaultOptions(value);
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolveWait) => signal.addEventListener('abort', () => resolveWait(), { once: true }));
}

function formatEntry(e: RequestLogEntry): string {
  const fault = e.fault ? ` fault=${e.fault}` : '';
  const aborted = e.aborted ? ' aborted' : '';
  return `${e.service} ${e.method} ${e.path} ${e.status} ${e.bytes}B ${e.ms}ms${fault}${aborted}\n`;
}

export function registerServe(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('serve')
    .description('run a local server that speaks DSA/Girder, figshare and GDC over demo data or a folder of slides')
    .option('--demo', 'serve the deterministic demo dataset (default)')
    .option('--data <dir>', 'serve the slides in this folder instead of the demo')
    .option('--port <n>', 'TCP port; 0 picks a free one', '0')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--scale <f>', 'demo: shrink factor for slides, ROIs and masks, 0 < f <= 1 (default 1)')
    .option('--seed <n>', 'demo: seed of all generated values (default 1)')
    .option('--slides <list>', 'demo: only these ROIs/slides (comma-separated)')
    .option('--cache-dir <dir>', 'demo: where rendered masks and slide files are cached')
    .option('--slide-files <kind>', 'demo: tiff (real slide files) or stand-in (placeholder bytes); default by size')
    .option('--api-key-env <var>', `private mode: read the API key from this environment variable (default ${DEFAULT_API_KEY_ENV})`)
    .option('--faults <json>', 'fault injection settings as JSON or @file.json')
    .option('--max-region-pixels <n>', 'refuse tiles/region outputs above this many pixels (default 268435456)')
    .option('--log-requests', 'print one line per request on stderr')
    .option('--json', 'print the URLs as one JSON object instead of lines')
    .addHelpText('after', HELP)
    .action(async (flags: ServeFlags) => {
      if (flags.demo && flags.data !== undefined) throw new UsageError('use either --demo or --data, not both');
      const port = parseInteger(flags.port, '--port', 0, 65535);
      const seed = flags.seed === undefined ? undefined : parseInteger(flags.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
      const scale = flags.scale === undefined ? undefined : Number(flags.scale);
      if (scale !== undefined && (!Number.isFinite(scale) || scale <= 0 || scale > 1)) {
        throw new UsageError(`expected a number in (0, 1] for --scale but received "${flags.scale}"`);
      }
      const slides = flags.slides
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (flags.slides !== undefined && (slides ?? []).length === 0) throw new UsageError('--slides needs at least one name');
      const maxRegionPixels =
        flags.maxRegionPixels === undefined ? undefined : parseInteger(flags.maxRegionPixels, '--max-region-pixels', 1, Number.MAX_SAFE_INTEGER);
      if (flags.data !== undefined && (flags.scale ?? flags.seed ?? flags.slides ?? flags.cacheDir ?? flags.slideFiles) !== undefined) {
        throw new UsageError('--scale, --seed, --slides, --cache-dir and --slide-files apply to --demo only');
      }
      const slideFiles = flags.slideFiles;
      if (slideFiles !== undefined && slideFiles !== 'tiff' && slideFiles !== 'stand-in') {
        throw new UsageError(`--slide-files expects tiff or stand-in, not "${slideFiles}"`);
      }
      const keyVar = flags.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyVar)) throw new UsageError(`--api-key-env expects a variable name, not "${keyVar}"`);
      const apiKey = ctx.env[keyVar] || undefined;
      if (flags.apiKeyEnv !== undefined && apiKey === undefined) {
        throw new UsageError(`--api-key-env ${keyVar}: that environment variable is not set or empty`);
      }
      const faults = flags.faults === undefined ? undefined : await parseFaults(flags.faults, ctx.cwd);

      let dataset;
      if (flags.data !== undefined) {
        const { loadDataDir } = await import('../../server/data-dir/data-dir-dataset.js');
        dataset = await loadDataDir(resolve(ctx.cwd, flags.data));
      } else {
        const cacheRoot = ctx.env.XDG_CACHE_HOME || join(ctx.env.HOME || homedir(), '.cache');
        const cacheDir = flags.cacheDir === undefined ? join(cacheRoot, 'bcss', 'serve') : resolve(ctx.cwd, flags.cacheDir);
        const { loadDemoDataset } = await import('../../server/demo/demo-dataset.js');
        dataset = await loadDemoDataset({ seed, scale, slides, cacheDir, ...(slideFiles ? { slideFiles } : {}) });
      }

      const { startServer } = await import('../../server/start-server.js');
      let server;
      try {
        server = await startServer({
          dataset,
          host: flags.host,
          port,
          apiKey,
          faults,
          regionLimits: maxRegionPixels === undefined ? undefined : { maxRegionPixels },
          onRequest: flags.logRequests
            ? (e) => ctx.stderr.write(flags.json ? `${JSON.stringify(e)}\n` : formatEntry(e))
            : undefined,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new UsageError(`cannot listen on ${flags.host}:${port} (${code})`, { hint: 'try another --port, or --port 0' });
        }
        throw err;
      }
      const rois = dataset.roiTablePath;
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify({ girder: server.urls.girder, figshare: server.urls.figshare, gdc: server.urls.gdc, rois })}\n`);
      } else {
        ctx.stdout.write(`girder ${server.urls.girder}\nfigshare ${server.urls.figshare}\ngdc ${server.urls.gdc}\n`);
        if (rois !== null) ctx.stdout.write(`rois ${rois}\n`);
      }
      const source = flags.data !== undefined ? `the slides in ${resolve(ctx.cwd, flags.data)}` : 'the demo dataset';
      ctx.stderr.write(
        `bcss serve: ${dataset.items.length} item(s) from ${source}${apiKey ? `, private (API key from $${keyVar})` : ''}; ` +
          'stop with Ctrl-C\n',
      );
      await waitForAbort(ctx.signal);
      await server.close();
      setResult({ exitCode: EXIT.ok });
    });
}
