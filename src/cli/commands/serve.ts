import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { FaultOptions } from '../../server/faults.js';
import type { RequestLogEntry } from '../../server/request-log.js';
import type { CliContext } from '../context.js';
import { DEFAULT_RENDER_MEMORY_MB } from '../../server/render-budget.js';
import { FLAG_NUMBERS, flagNumber, rangeText } from '../options/numeric-settings.js';
import { EXIT } from '../exit-codes.js';
import { DEFAULT_API_KEY_ENV, DEFAULT_FIGSHARE_TOKEN_ENV, DEFAULT_GDC_TOKEN_ENV, readServeSecrets } from './serve-secrets.js';

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
  passwordEnv?: string;
  gdcTokenEnv?: string;
  figshareTokenEnv?: string;
  faults?: string;
  maxRegionPixels?: string;
  renderMemoryMb?: string;
  logRequests?: boolean;
  followSymlinks?: boolean;
  json?: boolean;
}


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
  --data DIR         a folder of real .svs/.tif slides (+ <slide>.json annotations); a file whose
                     symlink leads outside DIR is refused (and reported) unless --follow-symlinks

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
when it is set, all data belongs to the user "demo" and every route of every service wants a
credential in that service's own form:
  girder    a token from POST /api_key/token?key=<key> (Girder-Token header); anonymous → 401
  gdc       X-Auth-Token: <token>               (default: the API key; --gdc-token-env VAR)
  figshare  Authorization: token <token>        (default: the API key; --figshare-token-env VAR)
Without a credential GDC and figshare answer 403 JSON, as they do for guarded data. There is no
built-in password in private mode: Basic login (GET /user/authentication) fails with 401 unless
--password-env VAR names a variable holding the password of "demo". Without a key the data is
public and Basic login is demo / demo. Default token variables: ${DEFAULT_GDC_TOKEN_ENV},
${DEFAULT_FIGSHARE_TOKEN_ENV}. See docs/security-serve.md.

Memory: tiles/region renders wait in a queue until their estimated memory fits the budget
(--render-memory-mb, default ${DEFAULT_RENDER_MEMORY_MB} MiB) and hold it until the answer has been sent; small
renders always find room, so a thumbnail never waits behind huge regions.

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
  BCSS_SERVE_API_KEY=… MY_PW=… bcss serve --data ./my-slides --password-env MY_PW
  bcss serve --demo --render-memory-mb 512
  bcss serve --demo --faults '{"girder": {"error503": 0.2}}' --log-requests
`;

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

/** The served dataset: the slides of --data, or the demo (generated once, then cached). */
async function loadDataset(
  flags: ServeFlags,
  ctx: CliContext,
  demo: { seed: number | undefined; scale: number | undefined; slides: string[] | undefined; slideFiles: 'tiff' | 'stand-in' | undefined },
) {
  if (flags.data !== undefined) {
    const { loadDataDir } = await import('../../server/data-dir/data-dir-dataset.js');
    return loadDataDir(resolve(ctx.cwd, flags.data), {
      followSymlinks: flags.followSymlinks === true,
      log: (message) => ctx.stderr.write(`bcss serve: ${message}\n`),
    });
  }
  const cacheRoot = ctx.env.XDG_CACHE_HOME || join(ctx.env.HOME || homedir(), '.cache');
  const cacheDir = flags.cacheDir === undefined ? join(cacheRoot, 'bcss', 'serve') : resolve(ctx.cwd, flags.cacheDir);
  const { loadDemoDataset } = await import('../../server/demo/demo-dataset.js');
  const { slideFiles } = demo;
  return loadDemoDataset({ seed: demo.seed, scale: demo.scale, slides: demo.slides, cacheDir, ...(slideFiles ? { slideFiles } : {}) });
}

/** The URLs on stdout (lines or one JSON object), what is served on stderr. */
function printServing(
  flags: ServeFlags,
  ctx: CliContext,
  urls: { girder: string; figshare: string; gdc: string },
  dataset: { roiTablePath: string | null; items: readonly unknown[] },
  keyVar: string | null,
): void {
  const rois = dataset.roiTablePath;
  if (flags.json) {
    ctx.stdout.write(`${JSON.stringify({ girder: urls.girder, figshare: urls.figshare, gdc: urls.gdc, rois })}\n`);
  } else {
    ctx.stdout.write(`girder ${urls.girder}\nfigshare ${urls.figshare}\ngdc ${urls.gdc}\n`);
    if (rois !== null) ctx.stdout.write(`rois ${rois}\n`);
  }
  const source = flags.data !== undefined ? `the slides in ${resolve(ctx.cwd, flags.data)}` : 'the demo dataset';
  ctx.stderr.write(
    `bcss serve: ${dataset.items.length} item(s) from ${source}${keyVar !== null ? `, private (API key from $${keyVar})` : ''}; ` +
      'stop with Ctrl-C\n',
  );
}

export function registerServe(program: Command, ctx: CliContext, setResult: (r: { exitCode: number }) => void): void {
  program
    .command('serve')
    .description('run a local server that speaks DSA/Girder, figshare and GDC over demo data or a folder of slides')
    .option('--demo', 'serve the deterministic demo dataset (default)')
    .option('--data <dir>', 'serve the slides in this folder instead of the demo')
    .option('--port <n>', `TCP port: ${rangeText(FLAG_NUMBERS.port)}`, '0')
    .option('--host <h>', 'address to listen on', '127.0.0.1')
    .option('--scale <f>', `demo: shrink factor for slides, ROIs and masks (default 1; ${rangeText(FLAG_NUMBERS.scale)})`)
    .option('--seed <n>', `demo: seed of all generated values (default 1; ${rangeText(FLAG_NUMBERS.seed)})`)
    .option('--slides <list>', 'demo: only these ROIs/slides (comma-separated)')
    .option('--follow-symlinks', 'data: also serve files whose symlinks lead outside the --data folder (refused by default)')
    .option('--cache-dir <dir>', 'demo: where rendered masks and slide files are cached')
    .option('--slide-files <kind>', 'demo: tiff (real slide files) or stand-in (placeholder bytes); default by size')
    .option('--api-key-env <var>', `private mode: read the API key from this environment variable (default ${DEFAULT_API_KEY_ENV})`)
    .option('--password-env <var>', 'private mode: Basic-login password of "demo" from this environment variable (none by default)')
    .option('--gdc-token-env <var>', `private mode: the GDC X-Auth-Token from this variable (default ${DEFAULT_GDC_TOKEN_ENV}, else the API key)`)
    .option('--figshare-token-env <var>', `private mode: the figshare token from this variable (default ${DEFAULT_FIGSHARE_TOKEN_ENV}, else the API key)`)
    .option('--faults <json>', 'fault injection settings as JSON or @file.json')
    .option('--max-region-pixels <n>', `refuse tiles/region outputs above this many pixels (default 268435456; ${rangeText(FLAG_NUMBERS.maxRegionPixels)})`)
    .option('--render-memory-mb <n>', `memory budget of region renders in MiB; more requests wait in a queue (default ${DEFAULT_RENDER_MEMORY_MB}; ${rangeText(FLAG_NUMBERS.renderMemoryMb)})`)
    .option('--log-requests', 'print one line per request on stderr')
    .option('--json', 'print the URLs as one JSON object instead of lines')
    .addHelpText('after', HELP)
    .action(async (flags: ServeFlags) => {
      if (flags.demo && flags.data !== undefined) throw new UsageError('use either --demo or --data, not both');
      const port = flagNumber('port', flags.port) as number;
      const seed = flagNumber('seed', flags.seed);
      const scale = flagNumber('scale', flags.scale);
      const slides = flags.slides
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (flags.slides !== undefined && (slides ?? []).length === 0) throw new UsageError('--slides needs at least one name');
      const maxRegionPixels = flagNumber('maxRegionPixels', flags.maxRegionPixels);
      const renderMemoryMb = flagNumber('renderMemoryMb', flags.renderMemoryMb);
      if (flags.data !== undefined && (flags.scale ?? flags.seed ?? flags.slides ?? flags.cacheDir ?? flags.slideFiles) !== undefined) {
        throw new UsageError('--scale, --seed, --slides, --cache-dir and --slide-files apply to --demo only');
      }
      const slideFiles = flags.slideFiles;
      if (slideFiles !== undefined && slideFiles !== 'tiff' && slideFiles !== 'stand-in') {
        throw new UsageError(`--slide-files expects tiff or stand-in, not "${slideFiles}"`);
      }
      const { apiKey, keyVar, password, gdcToken, figshareToken } = readServeSecrets(flags, ctx.env);
      const faults = flags.faults === undefined ? undefined : await parseFaults(flags.faults, ctx.cwd);

      const dataset = await loadDataset(flags, ctx, { seed, scale, slides, slideFiles });

      const { startServer } = await import('../../server/start-server.js');
      let server;
      try {
        server = await startServer({
          dataset,
          host: flags.host,
          port,
          apiKey,
          password,
          gdcToken,
          figshareToken,
          faults,
          regionLimits: maxRegionPixels === undefined ? undefined : { maxRegionPixels },
          renderMemoryMb,
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
      printServing(flags, ctx, server.urls, dataset, apiKey ? keyVar : null);
      await waitForAbort(ctx.signal);
      await server.close();
      setResult({ exitCode: EXIT.ok });
    });
}
